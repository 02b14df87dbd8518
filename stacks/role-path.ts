/**
 * Every IAM role the stage's stacks create lives under the stage's IAM path (Stage.resourceNames
 * `rolePath`, `/pilot-light/<stage>/`), so a grant on the stage's roles (readiness's
 * iam:SimulatePrincipalPolicy, stacks/readiness/grants.ts) names `role/<path>*`: CloudFormation
 * names a role `<stack>-<logical id>-<random>` but cuts the stack name past IAM's 64 characters,
 * so a name prefix fails for a long stage name (docs/aws-behaviour.md). One aspect reaches every
 * role: ours, SST's functions', Step Functions', and CDK's singletons and custom resource
 * providers (those are plain CfnResources of type AWS::IAM::Role).
 *
 * A role with its own RoleName keeps its path: Path replaces a role, and CloudFormation refuses to
 * replace a custom-named resource (the adopted bucket's replication role, docs/design.md).
 */
import { AspectPriority, Aspects, CfnResource, Stack, type IAspect } from "aws-cdk-lib";
import { CfnRole } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";

class RolePath implements IAspect {
  constructor(private readonly path: string) {}

  visit(node: IConstruct): void {
    if (node instanceof CfnRole) {
      // An iam.Role without roleName still holds a token (CDK names it only if another environment refers to it).
      if (Stack.of(node).resolve(node.roleName) === undefined && node.path === undefined) node.path = this.path;
    } else if (node instanceof CfnResource && node.cfnResourceType === "AWS::IAM::Role") {
      node.addPropertyOverride("Path", this.path);
    }
  }
}

/** Puts every role created under `scope` (without a RoleName of its own) under `path`. */
export function putRolesUnder(scope: IConstruct, path: string): void {
  Aspects.of(scope).add(new RolePath(path), { priority: AspectPriority.MUTATING });
}
