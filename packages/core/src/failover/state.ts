/**
 * The execution's data as it grows from state to state: every Task keeps its input and adds
 * its result under its own key (`$.lock`, `$.preflight`, `$.recovery`, ...). Handlers parse
 * only the parts they need with these schemas; the state machine definition uses the same keys.
 */
import * as z from "zod";
import { Run } from "./input";
import { ServingFailure, ServingRetry } from "./serving";

export const PromotionStatus = z.object({
  identifier: z.string(),
  status: z.string(),
  writable: z.boolean(),
  alreadyPromoted: z.boolean(),
  requestedAt: z.string(),
  writableAt: z.string().nullable(),
  attempts: z.number().int().min(0),
  /** Promote calls this execution has made (re-requests included). */
  requests: z.number().int().min(0).optional(),
  /** What RDS shows of the request: accepted (promoting), pending (too early to tell), not-accepted. */
  acceptance: z.enum(["accepted", "pending", "not-accepted"]).optional(),
  /** The loop goes back to PromoteReplica: RDS showed no sign of the last request for the acceptance window. */
  requestAgain: z.boolean().optional(),
  /** When the promotion loop looks again (WaitForPromotion waits until then): Failover.withNextLook. */
  nextLookAt: z.string().optional(),
});

export const ScaleStatus = z.object({
  cluster: z.string(),
  service: z.string(),
  targetCount: z.number().int(),
  previousDesired: z.number().int(),
  desired: z.number().int(),
  running: z.number().int(),
  healthyTargets: z.number().int(),
  stable: z.boolean(),
  requestedAt: z.string(),
  stableAt: z.string().nullable(),
  attempts: z.number().int().min(0),
  /** Times the desired count was found lowered (a stopped drill's scale-back, a person) and set again. */
  reasserted: z.number().int().min(0).optional(),
  /** An adopting stage's DR service: which definition the scale-up started (Compute.ApplicationStart). */
  application: z.object({ family: z.string(), taskDefinition: z.string(), mirrored: z.boolean(), replaced: z.string().nullable() }).optional(),
});

export const DnsSwitch = z.object({
  switched: z.boolean(),
  alreadyPinned: z.boolean(),
  changeId: z.string().nullable(),
  insync: z.boolean(),
  previous: z.record(z.string(), z.unknown()).nullable(),
  requestedAt: z.string(),
  insyncAt: z.string().nullable(),
  attempts: z.number().int().min(0),
  /** When the DNS loop looks again (WaitForDns waits until then): Failover.withNextLook. */
  nextLookAt: z.string().optional(),
});

export const LockResult = z.object({
  acquired: z.boolean(),
  owner: z.string(),
  at: z.string(),
  skipped: z.string().optional(),
  /** The lock was this execution's already (a retry after a lost answer): nothing was written. */
  alreadyHeld: z.boolean().optional(),
  /** The drill this failover took the lock from, and what became of its execution. */
  preempted: z
    .object({ owner: z.string(), executionArn: z.string().nullable(), at: z.string(), stoppedAt: z.string().optional(), status: z.string().optional() })
    .optional(),
  /** The ended execution whose lock this one took over (its releases were lost). */
  takenOver: z.object({ owner: z.string(), executionArn: z.string(), status: z.string(), at: z.string() }).optional(),
});

export const PreflightReport = z.object({
  mode: z.string(),
  checkedAt: z.string(),
  replica: z
    .object({
      identifier: z.string(),
      status: z.string(),
      sourceIdentifier: z.string().nullable(),
      backupRetentionDays: z.number(),
      replication: z.object({ status: z.string(), normal: z.boolean(), message: z.string().nullable() }).nullable().optional(),
    })
    .nullable(),
  alreadyPromoted: z.boolean(),
  lag: z.object({
    /** The last valid ReplicaLag datapoint in the lookback (the RPO estimate); null when none. */
    seconds: z.number().nullable(),
    /** When that datapoint was measured and how old it was at the check (optional: older reports lack them). */
    observedAt: z.string().nullable().optional(),
    ageSeconds: z.number().nullable().optional(),
    budgetSeconds: z.number(),
    withinBudget: z.boolean(),
    acknowledged: z.boolean(),
  }),
  service: z.object({ cluster: z.string(), service: z.string(), desired: z.number(), running: z.number(), taskDefinition: z.string() }).nullable(),
  targetCount: z.number().int(),
  pilotCount: z.number().int(),
  dns: z.object({ configured: z.boolean(), willSwitch: z.boolean() }),
  blockers: z.array(z.string()),
  /** The blockers that clear by themselves (a backup, a modification): waited for, not fatal. */
  notReady: z.array(z.string()).optional(),
  wouldProceed: z.boolean(),
  plan: z.array(z.string()),
});
export type PreflightReport = z.infer<typeof PreflightReport>;

export const HealthProbe = z.object({ url: z.string(), status: z.number(), verifiedAt: z.string(), latencyMs: z.number() });

export const SecretPromotion = z.object({
  secretId: z.string(),
  region: z.string(),
  standalone: z.boolean(),
  alreadyStandalone: z.boolean(),
  replicatedFrom: z.string().nullable(),
  at: z.string(),
});

const FencePart = z.object({ done: z.boolean(), detail: z.string(), skipped: z.boolean().optional() });
export const FenceResult = z.object({
  fenced: z.boolean(),
  region: z.string(),
  detail: z.string(),
  at: z.string(),
  database: FencePart.optional(),
  service: FencePart.optional(),
  dns: FencePart.optional(),
});

/** Set by the `<Step>Failed` Pass states from a Catch: which step, which error, why. */
export const Failure = z.object({ step: z.string(), error: z.string(), cause: z.string() });
export type Failure = z.infer<typeof Failure>;

export const Assessment = z.object({
  promotionStarted: z.boolean(),
  needsOperator: z.boolean(),
  detail: z.string(),
  /** False while the evidence is still coming (a promote call within its acceptance window): look again. */
  settled: z.boolean().optional(),
  /** Looks taken so far (the state machine caps them). */
  attempts: z.number().int().min(0).optional(),
});
export type Assessment = z.infer<typeof Assessment>;

/** A step's result when the step itself failed in the compensation path (caught, not fatal). */
const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

/** What the promotion branch holds for DNS and the fence until their steps have run (a drill never runs them). */
const NotAttempted = z.object({ notAttempted: z.literal(true) });

export const FailoverState = z.object({
  run: Run,
  /** After a failed scale step: which and why, then the plan for trying again (serving.ts). */
  servingFailure: ServingFailure.optional(),
  serving: ServingRetry.optional(),
  lock: LockResult.optional(),
  preflight: PreflightReport.optional(),
  recovery: z
    .object({ promotion: z.union([PromotionStatus, z.object({ skipped: z.string() })]), service: ScaleStatus })
    .optional(),
  health: HealthProbe.optional(),
  dns: z.union([DnsSwitch, z.object({ leftToHealthChecks: z.boolean(), detail: z.string() }), NotAttempted]).optional(),
  secret: z.union([SecretPromotion, CaughtError]).optional(),
  fence: z.union([FenceResult, CaughtError, NotAttempted]).optional(),
  drillRestore: z.union([ScaleStatus, CaughtError]).optional(),
  failure: Failure.optional(),
  /** RecordOutcome's result: the DNS it reported, as Route 53 showed it (NotifySucceeded says the same). */
  outcome: z.object({ dns: z.enum(["switched", "switched-pending", "already-pinned", "left-to-health-checks", "not-configured", "not-switched"]) }).optional(),
  assessment: Assessment.optional(),
  restore: z.union([ScaleStatus, z.object({ skipped: z.string() }), CaughtError]).optional(),
});
export type FailoverState = z.infer<typeof FailoverState>;

/** PromoteReplica's event: the state, and the previous status when the loop comes back to re-request. */
export const PromotionRequest = FailoverState.extend({ promotion: PromotionStatus.optional() });

/** Poll events: the run plus the previous poll's status. */
export const PromotionPoll = z.object({ run: Run, promotion: PromotionStatus });
export const ServicePoll = z.object({ run: Run, service: ScaleStatus });
export const DnsPoll = z.object({ run: Run, dns: DnsSwitch });
/** RetryServing's event: the failed scale step, and the plan so far. */
export const ServingRetryRequest = FailoverState.extend({ servingFailure: ServingFailure });
/** Compensation steps read the assessment made by AssessFailure. */
export const AssessedState = FailoverState.extend({ assessment: Assessment });
