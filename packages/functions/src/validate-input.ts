/**
 * ValidateInput (first state): checks the execution input against the zod contract and
 * normalises it into `$.run`. Bad input fails here with a ValidationError naming the field;
 * nothing has been touched. Pure, so trivially idempotent.
 */
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failover.ValidateInputEvent, async (event) => Failover.normalizeRun(event));
