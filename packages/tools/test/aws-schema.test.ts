/** The schema check itself: what CloudFormation's resource schemas refuse, it reports. */
import { describe, expect, it } from "vitest";
import { templateErrors } from "../src/aws-check/schema";

const bucket = (properties: Record<string, unknown>) => ({ Resources: { Assets: { Type: "AWS::S3::Bucket", Properties: properties } } });

describe("resource schema check (@aws-cdk/aws-service-spec)", () => {
  it("accepts a valid resource, intrinsic functions standing for values", () => {
    expect(templateErrors(bucket({ BucketName: { "Fn::Join": ["-", ["a", { Ref: "AWS::Region" }]] }, VersioningConfiguration: { Status: "Enabled" } }))).toEqual([]);
  });

  it.each([
    ["an unknown type", { Resources: { X: { Type: "AWS::S3::Buckets" } } }, "X (AWS::S3::Buckets): no such resource type"],
    ["an unknown property", bucket({ Versioning: true }), "Assets (AWS::S3::Bucket).Versioning: no such property"],
    ["a value outside the enum", bucket({ VersioningConfiguration: { Status: "On" } }), 'Assets (AWS::S3::Bucket).VersioningConfiguration.Status: "On" is not one of Enabled, Suspended'],
    ["a missing required property", bucket({ VersioningConfiguration: {} }), "Assets (AWS::S3::Bucket).VersioningConfiguration.Status: required, missing"],
    ["a value of the wrong type", { Resources: { Db: { Type: "AWS::RDS::DBInstance", Properties: { MultiAZ: "yes" } } } }, 'Db (AWS::RDS::DBInstance).MultiAZ: expected a boolean, got "yes"'],
    ["a list where an object belongs", bucket({ VersioningConfiguration: [] }), "Assets (AWS::S3::Bucket).VersioningConfiguration: expected a VersioningConfiguration object, got []"],
  ])("reports %s", (_, template, error) => {
    expect(templateErrors(template)).toContain(error);
  });
});
