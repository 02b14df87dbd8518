import type { Terminal } from "../src/dr";

/** The operator's terminal in the CLI tests: what was printed (progress included) and asked; every question gets `answer`. */
export class FakeTerminal implements Terminal {
  printed: string[] = [];
  asked: string[] = [];
  constructor(
    readonly isInteractive = false,
    private readonly answer = "",
  ) {}
  async ask(q: string) {
    this.asked.push(q);
    return this.answer;
  }
  print(t: string) {
    this.printed.push(t);
  }
  progress(t: string) {
    this.printed.push(t);
  }
  get output() {
    return this.printed.join("\n");
  }
}
