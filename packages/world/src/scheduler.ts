/**
 * Virtual time for concurrent work (the Parallel's two polling branches, a call hanging in a
 * region that is down). A sleeper waits until the clock reaches its wake time; when nothing is
 * running, the scheduler advances the clock to the earliest wake time. Work in progress is
 * counted with `run`; a call that waits on the network (`hang`) is not work, so virtual time
 * passes while it waits, exactly until the first of its own timeout or its invocation's
 * timeout. One scheduler per clock, so the world's hanging calls and the local state machine
 * runner share it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { VirtualClock } from "./clock";

/** Real milliseconds of quiet before time jumps: lets the other branch reach its own sleep. */
const settleMs = 15;

interface Invocation {
  /** Aborted when the invocation is over (its Lambda or Task timed out): its waits never end. */
  signal: AbortSignal | undefined;
}

const never = new Promise<never>(() => undefined);

export class Scheduler {
  static readonly #byClock = new WeakMap<VirtualClock, Scheduler>();

  /** The scheduler of a clock (created on first use). */
  static of(clock: VirtualClock): Scheduler {
    let scheduler = Scheduler.#byClock.get(clock);
    if (!scheduler) {
      scheduler = new Scheduler(clock);
      Scheduler.#byClock.set(clock, scheduler);
    }
    return scheduler;
  }

  readonly #clock: VirtualClock;
  readonly #invocation = new AsyncLocalStorage<Invocation>();
  #busy = 0;
  readonly #sleepers: { wakeMs: number; seq: number; wake: () => void }[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /**
   * Runs `work` counted as busy (time does not jump while it runs). `signal` ends the work's
   * network waits for good when aborted (a Lambda stopped at its timeout returns nothing).
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.#busy += 1;
    try {
      return await this.#invocation.run({ signal }, work);
    } finally {
      this.#busy -= 1;
      this.#kick();
    }
  }

  /** Sleeps `seconds` of virtual time; when `signal` aborts first, never wakes. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return never;
    if (seconds <= 0) return Promise.resolve();
    if (!Number.isFinite(seconds)) return never;
    return new Promise<void>((wake) => {
      const sleeper = { wakeMs: this.#clock.nowMs() + seconds * 1000, seq: this.#seq++, wake };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.#sleepers.indexOf(sleeper);
          if (i >= 0) this.#sleepers.splice(i, 1);
          // The last sleeper gone: a pending step would do nothing, and its timer would outlive the run.
          if (this.#sleepers.length === 0 && this.#timer) {
            clearTimeout(this.#timer);
            this.#timer = undefined;
          }
        },
        { once: true },
      );
      this.#kick();
    });
  }

  /**
   * Waits `seconds` (Infinity: forever) on the network: not counted as work, so time passes
   * meanwhile. Inside `run`, ends for good when the invocation's signal aborts.
   */
  async hang(seconds: number): Promise<void> {
    const invocation = this.#invocation.getStore();
    if (!invocation) return this.sleep(seconds);
    this.#busy -= 1;
    this.#kick();
    try {
      await this.sleep(seconds, invocation.signal);
    } finally {
      this.#busy += 1;
    }
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
    // With no one left asleep a step would do nothing: no timer (it would outlive the run); whoever sleeps next kicks.
    if (this.#sleepers.length > 0) this.#kick();
  }
}
