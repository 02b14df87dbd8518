/**
 * No deploy replaces data: before `pnpm deploy:all` runs a single `sst deploy`, each stack's
 * template as deployed (CloudFormation GetTemplate, the original template) is compared with the
 * new synthesis by the `cdk diff` engine (./aws-check/replacements.ts). A database, bucket, table,
 * key or secret the deploy would replace or remove refuses the whole deploy, with a message that
 * names the resource, the properties CloudFormation replaces it for, and the stage setting those
 * properties come from. A stack not deployed yet has nothing to lose.
 */
import { CloudFormationServiceException, GetTemplateCommand, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { dataChanges, describeChange, type DataChange } from "./aws-check/replacements";

type Templates = Record<string, Record<string, unknown>>;

/**
 * Which stage setting (stacks/stages.ts, packages/core/src/stage) a data resource's property
 * comes from. Names derive from the app, the stage and the regions (Stage.resourceNames); the
 * placement from the VPC CIDRs; encryption from the keys the Data stack creates.
 */
const settingsByProperty: Record<string, string> = {
  DBInstanceIdentifier: "stage (the database's name is derived from the app and stage names)",
  SourceDBInstanceIdentifier: "primaryRegion / stage (the replica's source is the primary region's database)",
  SourceRegion: "primaryRegion",
  DBSubnetGroupName: "vpcCidrs (the database's subnets)",
  AvailabilityZone: "primaryRegion / drRegion (the database's zone)",
  KmsKeyId: "primaryRegion / drRegion (the region's database key)",
  StorageEncrypted: "the Data stack's encryption (not a stage setting)",
  Engine: "the Data stack's engine (not a stage setting)",
  MasterUsername: "the Data stack's credentials (not a stage setting)",
  DBName: "the Data stack's database name (not a stage setting)",
  BucketName: "stage / primaryRegion / drRegion (bucket names are derived from them and the account)",
  TableName: "stage (the state table's name is derived from it)",
  KeySchema: "the State stack's key schema (not a stage setting)",
  Name: "stage (the secret's name is derived from it)",
  KeySpec: "the Data stack's key spec (not a stage setting)",
  KeyUsage: "the Data stack's key usage (not a stage setting)",
};

/** The stage setting(s) a change comes from; a removal comes from the stage's shape (a stack or resource no longer synthesized). */
export function settingsOf(change: DataChange): string[] {
  if (change.properties.length === 0) return ["the stage's shape (the resource or its stack is no longer synthesized: a region, DNS or a stack removed)"];
  return change.properties.map((p) => `${p}: ${settingsByProperty[p] ?? "no stage setting known to feed it"}`);
}

/** Why this deploy must not run, or undefined when it replaces and removes no data. */
export function replacementRefusal(region: string, deployed: Templates, synthesized: Templates): string | undefined {
  const changes = dataChanges(deployed, synthesized);
  if (changes.length === 0) return undefined;
  return [
    `This deploy would replace or remove data in ${region} (judged by the cdk diff engine against the deployed templates):`,
    ...changes.flatMap((c) => [`  ${describeChange(c)}`, ...settingsOf(c).map((s) => `    caused by ${s}`)]),
    "Nothing was deployed. Put the setting back, or move the data by hand first (docs/deploy.md, \"Settings that replace data\").",
  ].join("\n");
}

/** The deployed template of each stack (by the name the synthesis gives it); stacks not deployed are left out. */
export async function deployedTemplates(cfn: CloudFormationClient, stacks: Record<string, string>): Promise<Templates> {
  const out: Templates = {};
  for (const [name, stackName] of Object.entries(stacks)) {
    try {
      const got = await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: "Original" }));
      if (got.TemplateBody) out[name] = JSON.parse(got.TemplateBody) as Record<string, unknown>;
    } catch (error) {
      // CloudFormation answers ValidationError "Stack with id X does not exist" for a stack never deployed.
      if (error instanceof CloudFormationServiceException && error.name === "ValidationError" && /does not exist/.test(error.message)) continue;
      throw error;
    }
  }
  return out;
}
