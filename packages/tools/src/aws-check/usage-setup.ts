/**
 * Vitest global setup of the `packages` project: a fresh folder for the run's IAM usage
 * (packages/world/src/iam-usage.ts), named to the test workers by PILOT_LIGHT_IAM_USAGE;
 * `pnpm check:aws` reads it for the least-privilege report.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

export const usageDir = () => join(process.cwd(), ".sst", "iam-usage");

export default async function setup() {
  const dir = usageDir();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  process.env.PILOT_LIGHT_IAM_USAGE = dir;
}
