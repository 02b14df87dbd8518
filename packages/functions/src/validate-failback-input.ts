/**
 * ValidateFailbackInput (first state): the execution input against the zod contract, into
 * `$.run`. Bad input fails here, naming the field; nothing has been touched. Pure.
 */
import { Failback } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.ValidateFailbackEvent, async (event) => Failback.normalizeFailbackRun(event));
