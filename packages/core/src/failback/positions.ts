/**
 * Has the replica applied everything? Not a metric's word: the source's binary log position,
 * read once writes have stopped, must be stable and equal to the position the replica's applier
 * has executed (and the GTID sets equal when GTIDs are on). ReplicaLag is Seconds_Behind_Source,
 * which reads 0 whenever the applier has caught up with the receiver, however far the receiver
 * is behind the source (MySQL reference manual, SHOW REPLICA STATUS). The positions come from a
 * probe Lambda in each region's VPC running three read-only statements (db-probe).
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { callAws } from "../errors";
import { ProbeUnavailableError } from "../workflow/errors";

/** A session the probe runs its statements on (mysql2 in the probe Lambda; the world in tests). */
export interface SqlSession {
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface BinlogPosition {
  file: string;
  position: number;
  gtidExecuted: string;
}

export interface ReplicaPosition {
  /** The source's binary log the applier executes from, and how far it got. */
  execFile: string;
  execPosition: number;
  readFile: string;
  readPosition: number;
  ioRunning: boolean;
  sqlRunning: boolean;
  secondsBehind: number | null;
  gtidExecuted: string;
  lastError: string | null;
}

export interface ProbeReport {
  identifier: string;
  readOnly: boolean;
  binlog: BinlogPosition | null;
  replica: ReplicaPosition | null;
  at: string;
}

const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown) => Number(v ?? 0);

/** The probe's statements; MySQL 8.4 names (SHOW MASTER STATUS is gone in 8.4). */
export async function probe(session: SqlSession, identifier: string, now: Date): Promise<ProbeReport> {
  const [status] = await session.query("SHOW BINARY LOG STATUS");
  const [replica] = await session.query("SHOW REPLICA STATUS");
  const [ro] = await session.query("SELECT @@GLOBAL.read_only AS read_only");
  return {
    identifier,
    readOnly: num(ro?.read_only) === 1,
    binlog: status ? { file: str(status.File), position: num(status.Position), gtidExecuted: str(status.Executed_Gtid_Set) } : null,
    replica: replica
      ? {
          execFile: str(replica.Relay_Source_Log_File),
          execPosition: num(replica.Exec_Source_Log_Pos),
          readFile: str(replica.Source_Log_File),
          readPosition: num(replica.Read_Source_Log_Pos),
          ioRunning: replica.Replica_IO_Running === "Yes",
          sqlRunning: replica.Replica_SQL_Running === "Yes",
          secondsBehind: replica.Seconds_Behind_Source === null || replica.Seconds_Behind_Source === undefined ? null : num(replica.Seconds_Behind_Source),
          gtidExecuted: str(replica.Executed_Gtid_Set),
          lastError: str(replica.Last_SQL_Error) || str(replica.Last_IO_Error) || null,
        }
      : null,
    at: now.toISOString(),
  };
}

/** Asks a region's probe Lambda for one instance's report. */
export async function readProbe(lambda: LambdaClient, functionName: string, request: { identifier: string; host: string | null }): Promise<ProbeReport> {
  const out = await callAws("lambda:Invoke", () => lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(request)) })));
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
  if (out.FunctionError) throw new ProbeUnavailableError(`probe ${functionName} failed for ${request.identifier}: ${text}`);
  return JSON.parse(text) as ProbeReport;
}

export interface CatchUp {
  caughtUp: boolean;
  /** Why not yet (empty when caught up). */
  waitingFor: string[];
  source: BinlogPosition | null;
  replica: ReplicaPosition | null;
  servingRunning: number;
  /** The source position seen by the previous check (stability: no writer left). */
  previousSource: BinlogPosition | null;
  attempts: number;
  checkedAt: string;
  caughtUpAt: string | null;
}

const samePosition = (a: BinlogPosition | null, b: BinlogPosition | null) => Boolean(a && b && a.file === b.file && a.position === b.position && a.gtidExecuted === b.gtidExecuted);

/** Pure: caught up once nothing serves, the source stands still, and the replica executed exactly up to it. */
export function judgeCatchUp(o: { source: BinlogPosition | null; replica: ReplicaPosition | null; servingRunning: number; previous: CatchUp | undefined; now: Date }): CatchUp {
  const waiting: string[] = [];
  const { source, replica } = o;
  if (o.servingRunning > 0) waiting.push(`${o.servingRunning} task(s) still run on the serving side`);
  if (!source) waiting.push("the source's binary log position could not be read");
  if (!replica) waiting.push("the replica reports no replication");
  const previousSource = o.previous?.source ?? null;
  if (source && !samePosition(previousSource, source)) waiting.push(`the source's position ${source.file}:${source.position} is new since the last check (writes may still arrive)`);
  if (source && replica) {
    if (!replica.sqlRunning || !replica.ioRunning) waiting.push(`replication threads: receiver ${replica.ioRunning ? "running" : "NOT running"}, applier ${replica.sqlRunning ? "running" : "NOT running"}${replica.lastError ? ` (${replica.lastError})` : ""}`);
    if (replica.execFile !== source.file || replica.execPosition !== source.position) {
      waiting.push(`the replica executed ${replica.execFile}:${replica.execPosition} of the source's ${source.file}:${source.position}`);
    }
    if (source.gtidExecuted !== "" && replica.gtidExecuted !== source.gtidExecuted) waiting.push("the replica's executed GTID set differs from the source's");
    if (replica.secondsBehind !== 0) waiting.push(`Seconds_Behind_Source is ${replica.secondsBehind ?? "NULL"}`);
  }
  const caughtUp = waiting.length === 0;
  const at = o.now.toISOString();
  return { caughtUp, waitingFor: waiting, source, replica, servingRunning: o.servingRunning, previousSource, attempts: (o.previous?.attempts ?? 0) + 1, checkedAt: at, caughtUpAt: caughtUp ? (o.previous?.caughtUpAt ?? at) : null };
}
