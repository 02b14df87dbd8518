/**
 * The failover runbook's domain: input contract, lock, preflight decision, compensation,
 * outcome and notifications. Steps are orchestrated by the state machine in stacks/failover;
 * each step handler in packages/functions calls one function from here or from Database,
 * Compute and Dns.
 */
export * from "../workflow/errors";
export * from "./input";
export * from "./settings";
export * from "./state";
export * from "./lock";
export * from "./preflight";
export * from "./outcome";
export * from "./targets";
export * from "./compensation";
export * from "./fence";
export * from "./serving";
export * from "./move";
export * from "./recheck";
export * as Notifications from "./notifications";
export * from "./ended";
