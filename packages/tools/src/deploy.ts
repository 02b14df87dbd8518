/**
 * `pnpm deploy:all --stage S [--plan] [--remove [--yes]]`: deploys (or removes) both regions in order.
 * SST v2 deploys one region per `sst deploy`, and the two regions depend on each other:
 *   1. DR: Network, Alerts, Storage — the DR bucket must exist before the primary bucket can
 *      name it as its replication destination.
 *   2. Primary: everything — the database the DR replica copies, the ALB address in SSM, and on a
 *      stage with DNS its copy of the orchestrator (docs/design.md D2).
 *   3. DR: everything — the read replica (needs the primary), compute, DNS, the orchestrator.
 * Removal runs the other way: DR first (the replica before its source), then the primary.
 * Before deploying, it refuses when the stage's config disagrees with the DR database: "primary"
 * while it is no longer a replica (a failover promoted it: a deploy would scale the DR service
 * back under the database that serves users), or "dr" while it is a replica again (a switchback
 * re-protected it: a deploy would set the serving primary to 0); when a Data stack's DB
 * parameter group holds a fence (read_only = 1) while the instance under its database's name uses
 * another group: a deploy that updates that DBInstance would attach the fenced group to it
 * (read-only at its next reboot). It also refuses a deploy whose new synthesis would replace or
 * remove a database, bucket, table, key or secret that is deployed, naming the resource and the
 * setting (./deploy-guard.ts). After a deploy of both regions it records the values of the settings
 * that replace data (stacks/deployed-settings.json, to commit): every later synthesis refuses to
 * change them unless `--allow-replace <setting>` says the team means it (docs/deploy.md).
 * Removing a stage destroys it, so --remove asks for the stage's name on a terminal (as
 * `pnpm dr failover` does); a script passes --yes; without either it refuses.
 */
import { spawnSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { Adoption, Database, Stage } from "@pilot-light/core";
import { adoptStage } from "./adopt";
import { stageConfig, stages } from "../../../stacks/stages";
import { CliError, explainAwsError } from "./cli/errors";
import { cliClientBounds } from "./cli/aws";
import { isConfirmed } from "./cli/args";
import { deployedTemplates, replacementRefusal } from "./deploy-guard";
import { recordDeployedSettings } from "../../../stacks/deployed";
import { allowReplace, newCommand, processIo, refuseUnknownStage, runCommand, runWhenMain, stageName, type Io } from "./cli/program";

export interface Step {
  what: string;
  args: string[];
}

export function deployPlan(config: Stage.StageConfig): Step[] {
  const base = (region: string) => ["deploy", "--stage", config.stage, "--region", region];
  return [
    { what: `DR region ${config.drRegion}: network, alerts, replication destination bucket`, args: [...base(config.drRegion), "network|alerts|storage"] },
    { what: `primary region ${config.primaryRegion}: all stacks${config.dns ? " (with its copy of the orchestrator)" : ""}`, args: base(config.primaryRegion) },
    { what: `DR region ${config.drRegion}: all stacks (replica, compute, DNS, orchestrator)`, args: base(config.drRegion) },
  ];
}

export function removePlan(config: Stage.StageConfig): Step[] {
  const base = (region: string) => ["remove", "--stage", config.stage, "--region", region];
  return [
    { what: `DR region ${config.drRegion}: all stacks`, args: base(config.drRegion) },
    { what: `primary region ${config.primaryRegion}: all stacks${config.dns ? " (with its copy of the orchestrator)" : ""}`, args: base(config.primaryRegion) },
  ];
}

/**
 * Which region the world says is active: the DR database tells. Still a read replica →
 * "primary"; promoted (no replication source) → "dr"; absent (first deploy) → undefined.
 */
export function observedActiveRegion(replica: { ReadReplicaSourceDBInstanceIdentifier?: string } | undefined): "primary" | "dr" | undefined {
  if (!replica) return undefined;
  return replica.ReadReplicaSourceDBInstanceIdentifier ? "primary" : "dr";
}

/** Why a deploy must not run, or undefined when it may. */
export function refuseDeploy(configured: "primary" | "dr", observed: "primary" | "dr" | undefined): string | undefined {
  if (observed === "dr" && configured === "primary") {
    return [
      "The DR database has been promoted: the DR region serves users, but this stage's settings",
      'still say activeRegion: "primary". Deploying now would scale the DR service back to its',
      'pilot light. Set activeRegion: "dr" for this stage in stacks/stages.ts (see docs/deploy.md,',
      '"After a failover") or fail back first.',
    ].join("\n");
  }
  if (observed === "primary" && configured === "dr") {
    return [
      "The DR database is a read replica again: the primary region serves (a switchback re-protected",
      'the DR region), but this stage\'s settings still say activeRegion: "dr". Deploying now would set',
      'the primary service to 0 under the users. Set activeRegion: "primary" for this stage in',
      'stacks/stages.ts (docs/failback.md, "After the switchback"), commit, then deploy.',
    ].join("\n");
  }
  return undefined;
}

/** What a deploy would do to one database's DB parameter group. */
export interface DatabaseParameterGroups {
  /** The database's CloudFormation name. */
  database: string;
  /** The group the Data stack's template gives it. */
  template: string;
  /** The group the instance under that name uses now; undefined when there is none (first deploy). */
  live: string | undefined;
  /** The template's group has read_only = 1 (a fence of the instance that used it, now renamed aside). */
  templateReadOnly: boolean;
}

/** Why a deploy must not attach a read-only group to the database under a stack's name, or undefined. */
export function refuseFencedParameterGroup(g: DatabaseParameterGroups): string | undefined {
  if (!g.templateReadOnly || g.live === undefined || g.live === g.template) return undefined;
  return [
    `The DB parameter group ${g.template} holds read_only = 1: a fence of the instance that used it (now renamed`,
    `aside), while the database under ${g.database} uses ${g.live}. A deploy that updates that DBInstance resource`,
    `would attach ${g.template} to it: read-only at its next reboot (or once promoted).`,
    'Delete or stop the renamed-aside copy first, then reset read_only in the group (docs/runbook.md,',
    '"The fenced parameter group after a round trip"), then deploy.',
  ].join("\n");
}

/**
 * A read in `region` whose failure names that region: the clients are the CLI's, bounded
 * (cliClientBounds), so a region in an outage ends the command with this error instead of
 * holding it for minutes.
 */
async function readIn<T>(what: string, region: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw error instanceof CliError ? error : explainAwsError(what, region, error, `A deploy reads both regions first: while ${region} is in an outage, do not deploy (fail over instead: docs/runbook.md).`);
  }
}

/** Both regions' databases: the group each uses now, and whether the template's group is fenced. */
export async function describeParameterGroups(config: Stage.StageConfig): Promise<DatabaseParameterGroups[]> {
  const names = Stage.resourceNames(config);
  const one = (region: string, database: string, template: string): Promise<DatabaseParameterGroups> => readIn(`reading database ${database} and its DB parameter group`, region, async () => {
    const rds = new RDSClient({ region, ...cliClientBounds });
    try {
      const live = await rds
        .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: database }))
        .then((out) => out.DBInstances?.[0]?.DBParameterGroups?.[0]?.DBParameterGroupName)
        .catch((error: unknown) => {
          if (error instanceof DBInstanceNotFoundFault) return undefined;
          throw error;
        });
      if (live === undefined || live === template) return { database, template, live, templateReadOnly: false };
      return { database, template, live, templateReadOnly: Database.isOn(await Database.readOnlySetIn(rds, template)) };
    } finally {
      rds.destroy();
    }
  });
  return Promise.all([one(config.primaryRegion, names.primaryDb, names.primaryParameterGroup), one(config.drRegion, names.replicaDb, names.replicaParameterGroup)]);
}

export function describeReplica(config: Stage.StageConfig) {
  const replicaDb = Stage.resourceNames(config).replicaDb;
  return readIn(`reading the DR database ${replicaDb}`, config.drRegion, async () => {
    const rds = new RDSClient({ region: config.drRegion, ...cliClientBounds });
    try {
      const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: replicaDb }));
      return out.DBInstances?.[0];
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return undefined;
      throw error;
    } finally {
      rds.destroy();
    }
  });
}

/** The question before a removal; the operator must type the stage name back. */
export function removalQuestion(config: Stage.StageConfig): string {
  return [
    `This REMOVES stage "${config.stage}" from ${config.drRegion} and then ${config.primaryRegion}: every stack, and with them`,
    config.isDevelopment
      ? "its databases, buckets and keys (a development stage keeps none of them)."
      : "everything it does not retain (its databases, buckets and keys are retained and then need deleting by hand; docs/deploy.md).",
    `Type the stage name (${config.stage}) to go ahead: `,
  ].join("\n");
}

export interface DeployDeps {
  /** Runs `sst <args>`; returns its exit code. */
  sst: (args: string[]) => number | null;
  describeReplica: (config: Stage.StageConfig) => Promise<{ ReadReplicaSourceDBInstanceIdentifier?: string } | undefined>;
  describeParameterGroups: (config: Stage.StageConfig) => Promise<DatabaseParameterGroups[]>;
  ask: (question: string) => Promise<string>;
  /** Why the new synthesis must not replace what is deployed (./deploy-guard.ts), or undefined. */
  replacementCheck: (config: Stage.StageConfig) => Promise<string | undefined>;
  /** After a deploy: records the stage's settings that replace data; returns the file written. */
  recordDeployed: (config: Stage.StageConfig) => string;
  /** An adopting stage's plan read from the account; with `apply`, made (./adopt.ts). */
  adoption: (config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, options: { apply: boolean }) => Promise<Adoption.AdoptionPlan>;
}

/** Both regions: the new synthesis against each stack's deployed template. */
async function replacementCheck(config: Stage.StageConfig): Promise<string | undefined> {
  const { synthRegion } = await import("./offline-synth");
  for (const region of [config.drRegion, config.primaryRegion]) {
    const synth = await synthRegion(config.stage, region);
    const cfn = new CloudFormationClient({ region, ...cliClientBounds });
    try {
      const deployed = await readIn("reading the deployed templates", region, () => deployedTemplates(cfn, Object.fromEntries(Object.entries(synth.stacks).map(([name, s]) => [name, s.stackName]))));
      const why = replacementRefusal(region, deployed, Object.fromEntries(Object.entries(synth.stacks).map(([name, s]) => [name, s.template])));
      if (why) return why;
    } finally {
      cfn.destroy();
    }
  }
  return undefined;
}

const realDeps: DeployDeps = {
  sst: (args) => spawnSync("sst", args, { stdio: "inherit" }).status,
  describeReplica,
  describeParameterGroups,
  replacementCheck,
  recordDeployed: (config) => recordDeployedSettings(process.cwd(), config),
  adoption: adoptStage,
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

export const examples = ["pnpm deploy:all --stage prod", "pnpm deploy:all --stage prod --plan", "pnpm deploy:all --stage shop --apply-adoption", "pnpm deploy:all --stage alice --dev --remove", "pnpm deploy:all --stage ci-123 --dev --remove --yes"];

/** Runs the command line; returns the exit code (2 for a usage mistake). */
export async function run(argv: readonly string[], io: Io = processIo, deps: DeployDeps = realDeps): Promise<number> {
  let code = 0;
  const command = newCommand("pnpm deploy:all", "Deploy (or remove) both regions of a stage in dependency order (docs/deploy.md).", examples, io)
    .requiredOption("--stage <stage>", "the stage (see stacks/stages.ts)", stageName)
    .option("--plan", "print the steps without running them")
    .option("--dev", "the stage is a personal development stage (the defaults): needed for a name stacks/stages.ts does not configure")
    .option("--remove", "remove the stage instead: DR region first, then the primary (asks you to type the stage)")
    .option("-y, --yes", "with --remove: do not ask (scripts that have already decided)")
    .option("--allow-replace <settings>", "a change to these settings (comma-separated) replaces deployed data and is meant: the data was moved (docs/deploy.md)", allowReplace)
    .option("--apply-adoption", "a stage that adopts its primary: make the adoption plan's changes to your resources once the stacks are deployed (docs/adopt.md)")
    .action(async (options: { stage: string; plan?: boolean; remove?: boolean; yes?: boolean; dev?: boolean; allowReplace?: string; applyAdoption?: boolean }) => {
      refuseUnknownStage(command, options.stage, Object.keys(stages), options.dev);
      // Read by sst.config.ts in this process's syntheses and in the `sst deploy` it runs.
      if (options.allowReplace) process.env[Stage.allowReplaceVariable] = options.allowReplace;
      code = await deploy(options, io, deps);
    });
  const parsed = await runCommand(command, argv);
  return parsed !== 0 ? parsed : code;
}

async function deploy(options: { stage: string; plan?: boolean; remove?: boolean; yes?: boolean; applyAdoption?: boolean }, io: Io, deps: DeployDeps): Promise<number> {
  const config = stageConfig(options.stage);
  const steps = options.remove ? removePlan(config) : deployPlan(config);
  if (options.remove && !options.plan && !options.yes) {
    if (!io.isTTY) {
      io.err("pnpm deploy:all: --remove destroys the stage and needs a person's confirmation: run it on a terminal, or pass --yes in a script that has already decided");
      return 1;
    }
    if (!isConfirmed(await deps.ask(removalQuestion(config)), config.stage)) {
      io.err("Not confirmed: nothing was removed.");
      return 1;
    }
  }
  if (!options.plan && !options.remove) {
    let why;
    try {
      const replica = await deps.describeReplica(config);
      const groups = await deps.describeParameterGroups(config);
      why =
        refuseDeploy(config.activeRegion, observedActiveRegion(replica)) ??
        groups.map(refuseFencedParameterGroup).find((reason) => reason !== undefined) ??
        (await deps.replacementCheck(config));
    } catch (error) {
      // The same advice as `pnpm dr`: credentials, the network (during an outage, the outage) or throttling.
      const explained = error instanceof CliError ? error : explainAwsError("reading the databases before deploying (which region serves? is a fenced group attached?)", config.drRegion, error);
      io.err(`${explained.message}
A deploy reads both regions before it changes anything: nothing was deployed.`);
      return 1;
    }
    if (why) {
      io.err(why);
      return 1;
    }
  }
  const adopting = adoptingStage(config);
  if (adopting && !options.remove) {
    const refusal = await stateAdoption(adopting, options, io, deps);
    if (refusal !== 0) return refusal;
  }
  for (const [i, step] of steps.entries()) {
    io.out(`\n[${i + 1}/${steps.length}] ${step.what}\n  sst ${step.args.join(" ")}`);
    if (options.plan) continue;
    const status = deps.sst(step.args);
    if (status !== 0) {
      io.err(`step ${i + 1} failed (exit ${status}); later steps were not run`);
      return 1;
    }
  }
  if (adopting && options.applyAdoption && !options.plan && !options.remove) {
    const applied = await applyAdoption(adopting, io, deps);
    if (applied !== 0) return applied;
  }
  if (!options.plan && !options.remove) io.out(`\nRecorded the settings that replace data in ${deps.recordDeployed(config)}: commit it.`);
  return 0;
}

const adoptingStage = (config: Stage.StageConfig) => (config.adopt ? { ...config, adopt: config.adopt } : undefined);

/**
 * Before any step: the adoption plan, read from the account. The deploy goes ahead only when
 * nothing of the team's is left to change, or when the operator said the plan may be applied
 * (--apply-adoption: after the stacks it needs are deployed); findings (the team's to do) stop it.
 */
async function stateAdoption(config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, options: { plan?: boolean; applyAdoption?: boolean }, io: Io, deps: DeployDeps): Promise<number> {
  let plan: Adoption.AdoptionPlan;
  try {
    plan = await deps.adoption(config, { apply: false });
  } catch (error) {
    io.err(explainAwsError("reading your primary's resources to state the adoption plan (docs/adopt.md)", config.primaryRegion, error).message);
    return 1;
  }
  for (const line of Adoption.describePlan(config.stage, plan)) io.out(line);
  if (options.plan) return 0;
  if (plan.findings.length > 0) {
    io.err("The adoption plan lists what you must do first (above): nothing was deployed. Run this again once it is done.");
    return 1;
  }
  if (plan.changes.length > 0 && !options.applyAdoption) {
    io.err(
      `The adoption plan changes your resources (above): nothing was deployed. To deploy and then make exactly these changes, run pnpm deploy:all --stage ${config.stage} --apply-adoption.`,
    );
    return 1;
  }
  return 0;
}

/** After the last step: the plan read again (with what the deploy created) and applied, then read once more. */
async function applyAdoption(config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, io: Io, deps: DeployDeps): Promise<number> {
  try {
    const applied = await deps.adoption(config, { apply: true });
    const left = await deps.adoption(config, { apply: false });
    io.out(`\nApplied the adoption plan (${applied.changes.length} change${applied.changes.length === 1 ? "" : "s"} to your resources).`);
    if (left.changes.length > 0 || left.findings.length > 0) {
      for (const line of Adoption.describePlan(config.stage, left)) io.err(line);
      io.err("The account still shows the plan's changes as not made (above): run the deploy again with --apply-adoption.");
      return 1;
    }
    return 0;
  } catch (error) {
    io.err(explainAwsError("applying the adoption plan to your resources (docs/adopt.md)", config.primaryRegion, error).message);
    return 1;
  }
}

runWhenMain(import.meta.url, run);
