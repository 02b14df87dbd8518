/**
 * After the failover: re-protect (a replica of the serving database in the other region, the
 * bucket replicated that way, the other region a pilot light) and the planned switchback (stop
 * writes, wait until the replica executed everything, promote, verify, restore DNS, re-protect
 * the other way). Orchestrated by the failback state machine in stacks/failback; each step
 * handler in packages/functions calls one function from here (docs/failback.md).
 */
export * from "../workflow/errors";
export * from "./input";
export * from "./settings";
export * from "./state";
export * from "./lock";
export * from "./standby";
export * from "./positions";
export * from "./topology";
export * from "./replication";
export * from "./switchback";
export * from "./outcome";
