/**
 * Live progress in time order. Some lines are only known after later ones happened (a polling
 * phase has ended once a later phase starts; the parallel branch that finished first is found
 * out when the slower one does), so lines wait here until nothing earlier can still arrive:
 * the caller releases up to a watermark it knows is safe, and flushes at the end.
 */
export interface ProgressLine {
  atSeconds: number;
  text: string;
}

export class OrderedProgress {
  private pending: ProgressLine[] = [];

  constructor(private readonly emit: (line: ProgressLine) => void) {}

  add(line: ProgressLine): void {
    this.pending.push(line);
  }

  /** Emits, oldest first (ties in the order added), every line strictly before `watermarkSeconds`. */
  release(watermarkSeconds: number): void {
    const ready = this.pending.filter((l) => l.atSeconds < watermarkSeconds);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((l) => l.atSeconds >= watermarkSeconds);
    // Array.prototype.sort is stable: lines at the same second keep the order they were added.
    for (const line of ready.sort((a, b) => a.atSeconds - b.atSeconds)) this.emit(line);
  }

  flush(): void {
    this.release(Number.POSITIVE_INFINITY);
  }
}
