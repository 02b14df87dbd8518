import { describe, expect, it } from "vitest";
import { latencyModel, sampleLatencies, sampleTriangular } from "../src/latency";
import { seededRandom } from "../src/random";

describe("latency model", () => {
  it("cites a source for every figure and orders best ≤ typical ≤ bad", () => {
    for (const [name, f] of Object.entries(latencyModel)) {
      expect(f.source.length, name).toBeGreaterThan(10);
      expect(f.best, name).toBeLessThanOrEqual(f.typical);
      expect(f.typical, name).toBeLessThanOrEqual(f.bad);
    }
  });

  it("draws within [best, bad] with its median near typical", () => {
    const random = seededRandom(7);
    const draws = Array.from({ length: 4000 }, () => sampleTriangular(latencyModel.taskStart, random)).sort((a, b) => a - b);
    expect(draws[0]).toBeGreaterThanOrEqual(45);
    expect(draws.at(-1)).toBeLessThanOrEqual(120);
    // Triangular(45, 60, 120): median = 120 - sqrt(0.5 * 75 * 60) ≈ 72.6.
    expect(draws[2000]).toBeGreaterThan(69);
    expect(draws[2000]).toBeLessThan(76);
  });

  it("gives the same sample for the same seed and another for another seed", () => {
    expect(sampleLatencies(seededRandom(42))).toEqual(sampleLatencies(seededRandom(42)));
    expect(sampleLatencies(seededRandom(42))).not.toEqual(sampleLatencies(seededRandom(43)));
  });
});
