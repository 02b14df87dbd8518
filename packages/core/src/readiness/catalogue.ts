/**
 * The steps' permission catalogue as rendered from their grants (packages/tools/src/cli/permissions.ts
 * writes ./step-catalogue.json; packages/tools/test/readiness-world.test.ts fails when it is stale).
 * Kept as JSON so the scheduled evaluation carries it without CDK.
 */
import rendered from "./step-catalogue.json";
import type { StepCatalogue } from "./permissions";

export const stepCatalogue: StepCatalogue = rendered;
