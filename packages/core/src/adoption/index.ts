/**
 * Adopting a team's existing primary: what pilot-light changes on its resources, planned from
 * what the account shows (./plan.ts, pure).
 */
export * from "./plan";
