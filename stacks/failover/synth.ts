/**
 * The DR region of a stage synthesized offline with the Failover stack in it, so tests and
 * tools get the real synthesized definition and IAM. Uses the app's own composition; adds
 * Failover only when compose.ts does not include it yet.
 */
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { App } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../sst.config";
import { Failover } from "../Failover";
import { stageConfig } from "../stages";

const cache = new Map<string, Promise<Template>>();

export function synthFailoverStack(stage: string): Promise<Template> {
  let result = cache.get(stage);
  if (!result) {
    result = (async () => {
      process.env.NODE_ENV = "test";
      const region = stageConfig(stage).drRegion;
      await initProject({ stage, region });
      const app = new App({ mode: "deploy", stage, name: "pilot-light", region });
      await config.stacks(app);
      const id = `${stage}-pilot-light-Failover`;
      if (!app.node.tryFindChild(id)) app.stack(Failover);
      await app.finish();
      const stack = app.node.tryFindChild(id);
      if (!(stack instanceof Stack)) throw new Error(`no ${id} stack after synthesis`);
      return Template.fromStack(stack);
    })();
    cache.set(stage, result);
  }
  return result;
}
