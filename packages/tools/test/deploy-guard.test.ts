/**
 * The deploy guard: the deployed templates (CloudFormation GetTemplate, mocked) against a new
 * synthesis, judged by the cdk diff engine; a replaced or removed data resource is refused with
 * the resource and the stage setting named.
 */
import { CloudFormationClient, CloudFormationServiceException, GetTemplateCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { deployedTemplates, replacementRefusal } from "../src/deploy-guard";

const database = (id: string) => ({ Resources: { Database: { Type: "AWS::RDS::DBInstance", Properties: { DBInstanceIdentifier: id, Engine: "mysql", DBInstanceClass: "db.t4g.small" } } } });
const withClass = (cls: string) => ({ Resources: { Database: { Type: "AWS::RDS::DBInstance", Properties: { DBInstanceIdentifier: "pilot-light-prod-primary", Engine: "mysql", DBInstanceClass: cls } } } });

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

describe("deploy guard", () => {
  it("refuses a synthesis that renames a deployed database, naming the resource and the setting", () => {
    const why = replacementRefusal("eu-west-1", { Data: database("pilot-light-prod-primary") }, { Data: database("pilot-light-production-primary") });
    expect(why).toContain("Data/Database (AWS::RDS::DBInstance): WILL_REPLACE by DBInstanceIdentifier");
    expect(why).toContain("caused by DBInstanceIdentifier: stage");
  });

  it("refuses a synthesis that no longer has a deployed stack's bucket", () => {
    const bucket = { Resources: { Bucket: { Type: "AWS::S3::Bucket", Properties: { BucketName: "pl-prod-data" } } } };
    const why = replacementRefusal("eu-central-1", { Storage: bucket }, {});
    expect(why).toContain("Storage/Bucket (AWS::S3::Bucket): WILL_DESTROY");
    expect(why).toContain("the stage's shape");
  });

  it("lets an in-place change through (a new instance class modifies the database)", () => {
    expect(replacementRefusal("eu-west-1", { Data: withClass("db.t4g.small") }, { Data: withClass("db.r6g.large") })).toBeUndefined();
  });

  it("reads each stack's original template and leaves out stacks never deployed", async () => {
    cfn.on(GetTemplateCommand, { StackName: "prod-pilot-light-Data", TemplateStage: "Original" }).resolves({ TemplateBody: JSON.stringify(database("pilot-light-prod-primary")) });
    cfn
      .on(GetTemplateCommand, { StackName: "prod-pilot-light-Dns" })
      .rejects(new CloudFormationServiceException({ name: "ValidationError", $fault: "client", $metadata: {}, message: "Stack with id prod-pilot-light-Dns does not exist" }));
    const got = await deployedTemplates(new CloudFormationClient({ region: "eu-west-1" }), { Data: "prod-pilot-light-Data", Dns: "prod-pilot-light-Dns" });
    expect(Object.keys(got)).toEqual(["Data"]);
    expect(got.Data).toEqual(database("pilot-light-prod-primary"));
  });

  it("does not take an access error for a stack never deployed", async () => {
    cfn.on(GetTemplateCommand).rejects(new CloudFormationServiceException({ name: "AccessDenied", $fault: "client", $metadata: {}, message: "not authorized to perform: cloudformation:GetTemplate" }));
    await expect(deployedTemplates(new CloudFormationClient({ region: "eu-west-1" }), { Data: "prod-pilot-light-Data" })).rejects.toThrow(/GetTemplate/);
  });
});
