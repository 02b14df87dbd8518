/**
 * zod/mini with English messages, for the schemas on the health monitor's path (health,
 * notify). The monitor's bundle has a 700 KB budget and classic zod alone is ~100 KB of it;
 * zod/mini with the one locale is ~35 KB. The config call is a deliberate side effect
 * (declared in package.json `sideEffects`): without it mini reports every issue as "Invalid input".
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
