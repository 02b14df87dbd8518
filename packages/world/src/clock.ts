/**
 * The world's virtual clock. Everything in the world (promotion progress, task starts,
 * Route 53 change propagation) is computed from this clock, so a test or the rehearsal
 * decides how fast time passes: `advance(seconds)` moves it and tells the listeners
 * (e.g. vitest's `setSystemTime`, so handler code calling `new Date()` sees the same time).
 */
export class VirtualClock {
  #nowMs: number;
  readonly #listeners: ((nowMs: number) => void)[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1, 3, 0, 0)) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  /** Seconds elapsed since `fromMs`. */
  since(fromMs: number): number {
    return (this.#nowMs - fromMs) / 1000;
  }

  advance(seconds: number): void {
    if (seconds < 0) throw new Error("the clock only moves forward");
    this.#nowMs += seconds * 1000;
    for (const listener of this.#listeners) listener(this.#nowMs);
  }

  onAdvance(listener: (nowMs: number) => void): void {
    this.#listeners.push(listener);
    listener(this.#nowMs);
  }
}
