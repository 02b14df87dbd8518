/**
 * Virtual sleeps for concurrent work (the Parallel's two polling branches). A sleeper waits
 * until the clock reaches its wake time; when nothing is running, the scheduler advances the
 * clock to the earliest wake time. Work in progress is counted with `run`.
 */
import type { VirtualClock } from "./clock";

/** Real milliseconds of quiet before time jumps: lets the other branch reach its own sleep. */
const settleMs = 15;

export class Scheduler {
  readonly #clock: VirtualClock;
  #busy = 0;
  readonly #sleepers: { wakeMs: number; seq: number; wake: () => void }[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** Runs `work` counted as busy (time does not jump while it runs). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#busy += 1;
    try {
      return await work();
    } finally {
      this.#busy -= 1;
      this.#kick();
    }
  }

  sleep(seconds: number): Promise<void> {
    if (seconds <= 0) return Promise.resolve();
    return new Promise<void>((wake) => {
      this.#sleepers.push({ wakeMs: this.#clock.nowMs() + seconds * 1000, seq: this.#seq++, wake });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#step(), settleMs);
  }

  #step(): void {
    this.#timer = undefined;
    if (this.#busy > 0 || this.#sleepers.length === 0) return;
    this.#sleepers.sort((a, b) => a.wakeMs - b.wakeMs || a.seq - b.seq);
    const next = this.#sleepers.shift();
    if (!next) return;
    const delta = (next.wakeMs - this.#clock.nowMs()) / 1000;
    if (delta > 0) this.#clock.advance(delta);
    next.wake();
    this.#kick();
  }
}
