/**
 * Per-stage settings. A stage missing here (a personal development stage) gets the defaults
 * from packages/core/src/stage. Every value is validated at synth time.
 */
import { Stage } from "@pilot-light/core";

export const stages: Record<string, Stage.StageSettingsInput> = {
  // A stage with Route 53 failover records; used by the tests and as an example.
  // The zone id is an example value, not an account's real zone.
  dnsdemo: {
    dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" },
    alertEmails: ["oncall@example.com"],
  },
  // Production fails over by itself, so it needs DNS to move users (a stage with
  // health.autoFailover and no dns is refused at synth). The zone, record and address are
  // examples: synth and deploy refuse this stage until they are yours (docs/first-deploy.md).
  prod: {
    isDevelopment: false,
    dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "www.example.com" },
    alertEmails: ["oncall@example.com"],
  },
};

/**
 * Set to 1 only by the stack tests' synthesis (stacks/test/support/synth-all.ts), which
 * synthesizes `prod` as shipped: any other synthesis or deploy of a production stage that still
 * holds the example zone and addresses is refused.
 */
export const allowExampleValuesVariable = "PILOT_LIGHT_ALLOW_EXAMPLE_VALUES";

export function stageConfig(stage: string, options: { allowExampleValues?: boolean } = {}): Stage.StageConfig {
  const config = Stage.resolveStageConfig(stage, stages);
  Stage.refuseSharedRegistryReplication(stage, stages);
  if (!(options.allowExampleValues ?? process.env[allowExampleValuesVariable] === "1")) Stage.refuseExampleValues(stage, config);
  return config;
}
