export * as Errors from "./errors";
export * as Health from "./health";
export * as Notify from "./notify";
export * as Stage from "./stage";
export * as State from "./state";
