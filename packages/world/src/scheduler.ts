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

/**
 * Turns of the event loop with no scheduler call before time jumps: lets the other branch reach
 * its own sleep. Between a Task's end and the next sleep (a Parallel's other branch, the next
 * state, a test's next step) there are only promise continuations, which all run before the
 * next turn's immediates; real I/O (dynalite) is work inside `run`. Counted in turns, not real
 * milliseconds, so a loaded machine cannot let time jump early, and an idle one does not wait.
 */
const quietTurns = 3;

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
  /** Bumped by every call that may change who is ready: a pending step waits until it stops changing. */
  #activity = 0;
  #pending = false;

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
    this.#activity += 1;
    if (this.#pending) return;
    this.#pending = true;
    this.#settle(this.#activity, 0);
  }

  /** Steps once `quietTurns` turns of the event loop in a row have seen no scheduler call. */
  #settle(seen: number, quiet: number): void {
    setImmediate(() => {
      if (this.#activity !== seen) return this.#settle(this.#activity, 0);
      if (quiet + 1 < quietTurns) return this.#settle(seen, quiet + 1);
      this.#pending = false;
      this.#step();
    });
  }

  #step(): void {
    if (this.#busy > 0 || this.#sleepers.length === 0) return;
    this.#sleepers.sort((a, b) => a.wakeMs - b.wakeMs || a.seq - b.seq);
    const next = this.#sleepers.shift();
    if (!next) return;
    const delta = (next.wakeMs - this.#clock.nowMs()) / 1000;
    if (delta > 0) this.#clock.advance(delta);
    next.wake();
    // With no one left asleep a step would do nothing: whoever sleeps next kicks.
    if (this.#sleepers.length > 0) this.#kick();
  }
}
