/**
 * An SSM parameter written into another region at deploy (a custom resource calling
 * `putParameter` there): what the primary region's stacks create that the DR region's stacks
 * must read in their own region (`{{resolve:ssm}}`-style stack parameters), so a DR deploy never
 * calls into the primary region. Only the primary writes into DR, never the reverse (a DR deploy
 * must work while the primary region is down: foundation.test). The physical id is the
 * parameter name: deterministic, and CloudFormation calls `putParameter` again whenever the value
 * (the resource's input) changes. Deleting the stack deletes the parameter.
 */
import type { Stack } from "aws-cdk-lib";
import * as cr from "aws-cdk-lib/custom-resources";

export function publishToRegion(stack: Stack, id: string, region: string, name: string, value: string): void {
  const put: cr.AwsSdkCall = {
    service: "SSM",
    action: "putParameter",
    parameters: { Name: name, Value: value, Type: "String", Overwrite: true },
    region,
    physicalResourceId: cr.PhysicalResourceId.of(name),
  };
  new cr.AwsCustomResource(stack, id, {
    onCreate: put,
    onUpdate: put,
    onDelete: { service: "SSM", action: "deleteParameter", parameters: { Name: name }, region, ignoreErrorCodesMatching: "ParameterNotFound" },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
      resources: [stack.formatArn({ service: "ssm", region, resource: "parameter", resourceName: name.replace(/^\//, "") })],
    }),
    installLatestAwsSdk: false,
  });
}
