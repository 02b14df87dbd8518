/**
 * StopWrites (switchback): the DR service to 0, so the application writes no more; users' writes
 * are refused from here until the primary serves (the measured write downtime). CheckCatchUp
 * waits until no DR task runs. Absolute count: repeating it changes nothing.
 */
import { Failback } from "@pilot-light/core";
import { ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => Failback.scaleSide(ecs("dr"), sides().dr, 0, new Date()));
