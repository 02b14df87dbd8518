/**
 * Observability for every handler comes from one place: each Lambda entry point in
 * packages/functions/src exports a handler built by the shared middy wrapper, which attaches
 * the Powertools logger, metrics (namespace PilotLight, service pilot-light, the dimension the
 * Operations dashboard reads) and tracer.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../functions/src/", import.meta.url));
const handlers = readdirSync(src).filter((f) => f.endsWith(".ts"));

describe("every Lambda handler goes through the one wrapper", () => {
  it("finds the handlers", () => {
    expect(handlers).toContain("health-monitor.ts");
    expect(handlers.length).toBeGreaterThan(10);
  });

  it.each(handlers.map((h) => [h]))("%s exports `handler = wrap(...)` from ./lib/handler", (file) => {
    const text = readFileSync(`${src}${file}`, "utf8");
    expect(text).toMatch(/import \{[^}]*\bhandler as wrap\b[^}]*\} from "\.\/lib\/handler"/);
    expect(text).toMatch(/export const handler = wrap\(/);
  });

  it("the wrapper attaches the Powertools tracer, logger and metrics under the names the dashboard reads", () => {
    const wrapper = readFileSync(`${src}lib/handler.ts`, "utf8");
    for (const middleware of ["captureLambdaHandler(tracer)", "injectLambdaContext(logger)", "logMetrics(metrics)"]) expect(wrapper).toContain(middleware);
    expect(wrapper).toMatch(/new Metrics\(\{ namespace: "PilotLight", serviceName: "pilot-light"[ ,}]/);
  });
});
