/**
 * `pnpm bench`: the figures that matter for recovery time, printed. Performance targets live
 * here, not in timed tests: each line says the target and whether this run met it.
 */
import { benchHealth, printHealthBench } from "./bench-health";

printHealthBench(await benchHealth());
