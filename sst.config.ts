import type { SSTConfig } from "sst";
import { stageConfig } from "./stacks/stages";
import { composeStacks } from "./stacks/compose";
import { lambdaNodejs } from "./stacks/bundling";
import { refuseReplacingSettings } from "./stacks/deployed";
import { useProject } from "sst/project.js";

export default {
  config(input) {
    return {
      name: "pilot-light",
      // One region per `sst deploy`; `pnpm deploy:all --stage S` runs both in order.
      region: input.region ?? stageConfig(input.stage ?? "dev").primaryRegion,
    };
  },
  stacks(app) {
    const config = stageConfig(app.stage);
    // Before anything is built: a settings change that would replace a deployed database,
    // bucket, table, key or secret stops here, for `pnpm synth` and `sst deploy` alike.
    refuseReplacingSettings(useProject().paths.root, config);
    app.setDefaultRemovalPolicy(config.isDevelopment ? "destroy" : "retain");
    app.setDefaultFunctionProps({
      runtime: "nodejs22.x",
      architecture: "arm_64",
      tracing: "active",
      logRetention: "one_month",
      // As measured by `pnpm bench` (stacks/bundling.ts says what is left out and why).
      nodejs: lambdaNodejs,
      environment: {
        POWERTOOLS_SERVICE_NAME: "pilot-light",
        POWERTOOLS_METRICS_NAMESPACE: "PilotLight",
      },
    });
    composeStacks(app, config);
  },
} satisfies SSTConfig;
