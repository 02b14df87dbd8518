import { describe, expect, it } from "vitest";
import { latencyModel, sampleLatencies, samplePert } from "../src/latency";
import { seededRandom } from "../src/random";

describe("latency model", () => {
  it("cites a source for every figure and orders best ≤ typical ≤ bad", () => {
    for (const [name, f] of Object.entries(latencyModel)) {
      expect(f.source.length, name).toBeGreaterThan(10);
      expect(f.best, name).toBeLessThanOrEqual(f.typical);
      expect(f.typical, name).toBeLessThanOrEqual(f.bad);
    }
  });

  it("draws within [best, bad] with PERT's mean (best + 4·typical + bad) / 6", () => {
    const random = seededRandom(7);
    const draws = Array.from({ length: 20000 }, () => samplePert(latencyModel.promotion, random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...draws)).toBeLessThanOrEqual(900);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    // (90 + 4·300 + 900) / 6 = 365
    expect(mean).toBeGreaterThan(357);
    expect(mean).toBeLessThan(373);
  });

  it("puts the most draws near typical (the mode)", () => {
    const random = seededRandom(11);
    const draws = Array.from({ length: 20000 }, () => samplePert(latencyModel.taskStart, random));
    const near = (x: number) => draws.filter((d) => Math.abs(d - x) < 5).length;
    expect(near(60)).toBeGreaterThan(near(45));
    expect(near(60)).toBeGreaterThan(near(100));
  });

  it("gives the same sample for the same seed and another for another seed", () => {
    expect(sampleLatencies(seededRandom(42))).toEqual(sampleLatencies(seededRandom(42)));
    expect(sampleLatencies(seededRandom(42))).not.toEqual(sampleLatencies(seededRandom(43)));
  });
});
