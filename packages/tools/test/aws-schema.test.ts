/** The schema check itself: what CloudFormation's resource schemas refuse, it reports. */
import { describe, expect, it } from "vitest";
import { constraintErrors } from "../src/aws-check/patterns";
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

describe("patterns, lengths and bounds (@awboost/cfn-resource-types, from the registry's schemas)", () => {
  const fn = (properties: Record<string, unknown>) => ({ Resources: { Fn: { Type: "AWS::Lambda::Function", Properties: { Code: { ZipFile: "x" }, Role: { "Fn::GetAtt": ["Role", "Arn"] }, ...properties } } } });
  const errors = (template: Parameters<typeof constraintErrors>[0]) => constraintErrors(template).errors;

  it("accepts valid values, intrinsic functions standing for values, and a pattern anchored with \\Z", () => {
    const figures = constraintErrors({
      Resources: {
        ...fn({ Architectures: ["arm64"], Timeout: 30, FunctionName: "pilot-light-prod-failover" }).Resources,
        Logs: { Type: "AWS::Logs::LogGroup", Properties: { LogGroupName: "/aws/vendedlogs/states/pilot-light-prod-failover" } },
      },
    });
    expect(figures.errors).toEqual([]);
    expect(figures.checked).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ["a value outside the pattern", { Resources: { Logs: { Type: "AWS::Logs::LogGroup", Properties: { LogGroupName: "/aws/states/with space" } } } }, 'Logs (AWS::Logs::LogGroup).LogGroupName: "/aws/states/with space" does not match the pattern'],
    ["a role that is no role ARN", fn({ Role: "arn:aws:iam::123456789012:user/alice" }), "Fn (AWS::Lambda::Function).Role: \"arn:aws:iam::123456789012:user/alice\" does not match the pattern"],
    ["a number below the minimum", fn({ Timeout: 0 }), "Fn (AWS::Lambda::Function).Timeout: 0 is below the minimum 1"],
    ["a list longer than its maximum", fn({ Architectures: ["arm64", "x86_64"] }), "Fn (AWS::Lambda::Function).Architectures: 2 items, more than 1"],
    ["a nested list longer than its maximum", fn({ VpcConfig: { SecurityGroupIds: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"], SubnetIds: [] } }), "Fn (AWS::Lambda::Function).VpcConfig.SecurityGroupIds: 6 items, more than 5"],
    ["a numeric string outside its pattern", { Resources: { Db: { Type: "AWS::RDS::DBInstance", Properties: { AllocatedStorage: "20 GiB" } } } }, 'Db (AWS::RDS::DBInstance).AllocatedStorage: "20 GiB" does not match the pattern ^[0-9]*$'],
  ])("reports %s", (_, template, error) => {
    expect(errors(template).join("\n")).toContain(error);
  });

  it("names a resource type it has no schema for instead of passing it silently", () => {
    expect(constraintErrors({ Resources: { X: { Type: "AWS::S3::Buckets" } } }).uncovered).toEqual(["AWS::S3::Buckets"]);
  });

  it("reads a pattern written with the (?s) flag", () => {
    const app = (description: string) => ({ Resources: { App: { Type: "AWS::Amplify::App", Properties: { Name: "app", Description: description } } } });
    expect(constraintErrors(app("two\nlines"))).toMatchObject({ errors: [], unreadable: [] });
  });
  it("reads a pattern whose comment end the declarations wrote with a zero-width joiner (ECR's repository filter)", () => {
    // The registry's pattern, as the CloudFormation reference prints it: ^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$
    const filter = (value: string) => ({
      Resources: {
        R: {
          Type: "AWS::ECR::ReplicationConfiguration",
          Properties: { ReplicationConfiguration: { Rules: [{ Destinations: [{ Region: "eu-central-1", RegistryId: "123456789012" }], RepositoryFilters: [{ Filter: value, FilterType: "PREFIX_MATCH" }] }] } },
        },
      },
    });
    expect(constraintErrors(filter("shop/web"))).toMatchObject({ errors: [], unreadable: [] });
    expect(constraintErrors(filter("Shop/Web")).errors).toHaveLength(1);
  });
});
