/**
 * Detection (docs/design.md D3): probe the primary's /health.php, count consecutive failed checks in
 * DynamoDB, open one incident at the threshold and start (or recommend) exactly one failover.
 * Pure decisions live in `decide`; `probe`, `store` and `monitor` are the effects around them.
 */
export * from "./contract";
export * from "./model";
export * from "./probe";
export * from "./decide";
export * from "./store";
export * from "./monitor";
export * from "./config";
