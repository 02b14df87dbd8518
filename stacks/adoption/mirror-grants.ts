/**
 * MirrorTaskDefinition's IAM (packages/functions/src/mirror-task-definition.ts): it reads the
 * team's service in the primary region and the DR service, registers revisions of the mirror's
 * family in the DR region, passes the DR task definition's roles to them, sets the DR service
 * to the mirror and deregisters the family's old revisions. Kept free of SST so tests load it without the app.
 */
import type { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Stage } from "@pilot-light/core";

export interface MirrorResources {
  names: ReturnType<typeof Stage.resourceNames>;
  primaryRegion: string;
  drRegion: string;
  /** The DR task definition's execution role and task role: the mirror runs as them. */
  roleArns: string[];
}

export function mirrorStatements(stack: Stack, r: MirrorResources): iam.PolicyStatement[] {
  const arn = (region: string, resource: string) => `arn:${stack.partition}:ecs:${region}:${stack.account}:${resource}`;
  const drService = arn(r.drRegion, `service/${r.names.cluster}/${r.names.service}`);
  return [
    new iam.PolicyStatement({ actions: ["ecs:DescribeServices"], resources: [arn(r.primaryRegion, `service/${r.names.primaryCluster}/${r.names.primaryService}`), drService] }),
    // DescribeTaskDefinition has no resource type in the Service Authorization Reference.
    new iam.PolicyStatement({ actions: ["ecs:DescribeTaskDefinition"], resources: ["*"] }),
    new iam.PolicyStatement({ actions: ["ecs:RegisterTaskDefinition"], resources: [arn(r.drRegion, `task-definition/${r.names.mirrorFamily}:*`)] }),
    // The mirror's old revisions, listed and deregistered: neither action has a resource type in the
    // Service Authorization Reference (the function names only its own family's revisions).
    new iam.PolicyStatement({ actions: ["ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition"], resources: ["*"] }),
    new iam.PolicyStatement({ actions: ["ecs:UpdateService"], resources: [drService] }),
    new iam.PolicyStatement({ actions: ["iam:PassRole"], resources: r.roleArns, conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } }),
  ];
}
