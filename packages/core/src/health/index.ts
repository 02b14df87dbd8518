/**
 * Detection (docs/design.md D3): probe the primary's /health.php, count consecutive failed checks in
 * DynamoDB, open one incident at the threshold (or when availability over a window falls below
 * its floor), confirm with a second opinion, start (or recommend) the failover and follow it to
 * its end, re-driving a run that ended before any promotion. Pure decisions live in `decide`
 * and `second-opinion`; `probe`, `store` and `monitor` are the effects around them.
 */
export * from "./contract";
export * from "./model";
export * from "./probe";
export * from "./decide";
export * from "./second-opinion";
export * from "./arming";
export * from "./store";
export * from "./monitor";
export * from "./config";
