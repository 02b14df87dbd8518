/**
 * The emulated two-region AWS world for offline tests and the local rehearsal: state on a
 * virtual clock, answered through the real SDK clients (aws-sdk-client-mock), /health.php
 * over real local HTTP, and a local state machine runner bound to real handlers.
 */
export * from "./clock";
export * from "./model";
export * from "./api";
export * from "./sdk";
export * from "./health-server";
export * from "./scheduler";
export * from "./execute";
export * from "./pilot-light";
export * from "./local";
export * from "./cloudformation";
export * from "./vantage";
export * from "./stepfunctions";
export * from "./invariants";
export * from "./iam";
export * from "./iam-requests";
export * from "./iam-usage";
export * from "./roles";
export * from "./failback";
export * from "./failback-api";
export * from "./failback-topology";
export * from "./requests";
export * from "./adopted";
export * from "./account";
