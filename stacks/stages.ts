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
  // health.autoFailover and no dns is refused at synth). The zone is an example: use yours.
  prod: {
    isDevelopment: false,
    dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "www.example.com" },
    alertEmails: ["oncall@example.com"],
  },
};

export function stageConfig(stage: string): Stage.StageConfig {
  return Stage.resolveStageConfig(stage, stages);
}
