/**
 * The failback execution's data as it grows: each Task keeps its input and adds its result
 * under its own key. Handlers parse only the parts they need; the rest passes through.
 */
import * as z from "zod";
import { Failure, PromotionStatus, ScaleStatus } from "../failover/state";
import { FailbackRun } from "./input";

export const RoleName = z.enum(["primary", "dr"]);
export const Direction = z.object({ serving: RoleName, standby: RoleName });
export type Direction = z.infer<typeof Direction>;

const Binlog = z.object({ file: z.string(), position: z.number(), gtidExecuted: z.string() });
const ReplicaPos = z.looseObject({ execFile: z.string(), execPosition: z.number(), secondsBehind: z.number().nullable() });

export const CatchUpState = z.looseObject({
  caughtUp: z.boolean(),
  waitingFor: z.array(z.string()),
  source: Binlog.nullable(),
  replica: ReplicaPos.nullable(),
  servingRunning: z.number(),
  previousSource: Binlog.nullable(),
  attempts: z.number().int(),
  checkedAt: z.string(),
  caughtUpAt: z.string().nullable(),
});

export const StandbyServiceStatus = ScaleStatus.extend({ targetGroupArn: z.string(), region: z.string() });

export const StandbyDbStatus = z.object({
  identifier: z.string(),
  region: z.string(),
  action: z.enum(["retire", "create", "enable-backups", "wait", "ready"]),
  detail: z.string(),
  retired: z.string().nullable(),
  ready: z.boolean(),
  status: z.string().nullable(),
  attempts: z.number().int(),
  at: z.string(),
});

export const Verification = z.object({ url: z.string(), status: z.number(), readOnly: z.boolean(), verifiedAt: z.string() });

/** The old serving database's last position (read as it was sealed), against the caught-up one. */
export const SealState = z.object({
  retired: z.string(),
  dataLoss: z.object({ caughtUpPosition: z.string(), positionAfterPromotion: z.string().nullable(), lostBytes: z.number().nullable(), verdict: z.enum(["none", "writes-after-catch-up", "unknown"]) }),
  /** read_only = 1 in its parameter group: kept aside, it can take no write (absent in runs before this field). */
  readOnly: z.object({ done: z.boolean(), detail: z.string() }).optional(),
  at: z.string(),
});

export const FailbackAssessment = z.object({
  kind: z.enum(["rolled-back", "needs-operator", "not-protected"]),
  promotionStarted: z.boolean(),
  rollBack: z.boolean(),
  detail: z.string(),
  /** False while a promote call may still show its effect (its acceptance window): look again. */
  settled: z.boolean().optional(),
  /** Looks taken so far (the state machine caps them). */
  attempts: z.number().int().min(0).optional(),
});
export type FailbackAssessment = z.infer<typeof FailbackAssessment>;

const Caught = z.object({ Error: z.string(), Cause: z.string().optional() });

export const FailbackState = z.looseObject({
  run: FailbackRun,
  topology: z.looseObject({ serving: RoleName.nullable(), standby: RoleName.nullable(), wouldProceed: z.boolean(), blockers: z.array(z.string()), plan: z.array(z.string()), notes: z.array(z.string()), checkedAt: z.string() }).optional(),
  direction: Direction.optional(),
  standbyService: StandbyServiceStatus.optional(),
  writesStopped: ScaleStatus.optional(),
  catchUp: CatchUpState.optional(),
  promotion: PromotionStatus.optional(),
  seal: SealState.optional(),
  verify: Verification.optional(),
  dns: z.looseObject({ insync: z.boolean().optional(), insyncAt: z.string().nullable().optional(), requestedAt: z.string().optional(), skipped: z.string().optional() }).optional(),
  standbyDb: StandbyDbStatus.optional(),
  replication: z.looseObject({ storage: z.looseObject({ added: z.boolean() }), secret: z.looseObject({ replicated: z.boolean() }) }).optional(),
  pilotLight: ScaleStatus.optional(),
  failure: Failure.optional(),
  assessment: FailbackAssessment.optional(),
  restore: z.union([z.looseObject({ serving: ScaleStatus, standby: z.union([ScaleStatus, z.object({ targetCount: z.number(), unreachable: z.string() })]) }), Caught]).optional(),
});
export type FailbackState = z.infer<typeof FailbackState>;

export const DirectedState = FailbackState.extend({ direction: Direction });
export const AssessedFailbackState = FailbackState.extend({ assessment: FailbackAssessment });
