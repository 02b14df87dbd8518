/**
 * The DR region of a stage synthesized offline with the Failover stack in it, so tests and
 * tools get the real synthesized definition and IAM. Uses the app's own composition; adds
 * Failover only when compose.ts does not include it yet.
 */
import { Aspects, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { App } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../sst.config";
import { Failover } from "../Failover";
import { suppressFrameworkResources } from "../nag";
import { stageConfig } from "../stages";

export interface FailoverSynth {
  template: Template;
  /** cdk-nag AwsSolutions errors left after the stack's suppressions ("path: rule"). */
  nagErrors: string[];
}

const cache = new Map<string, Promise<FailoverSynth>>();

export function synthFailoverStack(stage: string): Promise<FailoverSynth> {
  let result = cache.get(stage);
  if (!result) {
    result = (async () => {
      process.env.NODE_ENV = "test";
      const region = stageConfig(stage).drRegion;
      await initProject({ stage, region });
      const app = new App({ mode: "deploy", stage, name: "pilot-light", region });
      await config.stacks(app);
      const id = `${stage}-pilot-light-Failover`;
      const wired = Boolean(app.node.tryFindChild(id));
      if (!wired) app.stack(Failover);
      const stack = app.node.tryFindChild(id);
      if (!(stack instanceof Stack)) throw new Error(`no ${id} stack after synthesis`);
      // compose.ts does this for the stacks it adds.
      if (!wired) suppressFrameworkResources(stack);
      Aspects.of(stack).add(new AwsSolutionsChecks());
      await app.finish();
      const nagErrors = Annotations.fromStack(stack)
        .findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))
        .map((e) => `${e.id}: ${String(e.entry.data).split(":")[0]}`);
      return { template: Template.fromStack(stack), nagErrors };
    })();
    cache.set(stage, result);
  }
  return result;
}
