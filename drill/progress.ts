// The live progress line on stderr: one line rewritten in place on a terminal, plain lines
// (phase changes, and the status every few seconds) when stderr is a file or a CI log.

export interface ProgressState {
  readonly elapsedMs: number;
  readonly scenario: string;
  readonly acked: number;
  readonly ratePerS: number;
  readonly retries: number;
  readonly inFlight: number;
  readonly lagMs: number | null;
  readonly consumed: number;
  readonly active: string;
}

/** The status text. Pure. */
export function formatProgress(state: ProgressState): string {
  const seconds = Math.floor(state.elapsedMs / 1000);
  const clock = `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
  const lag = state.lagMs === null ? "-" : `${Math.round(state.lagMs)} ms`;
  return `[${clock}] ${state.scenario} | active ${state.active} | acked ${state.acked} (${Math.round(state.ratePerS)}/s, ${state.inFlight} in flight, ${state.retries} retries) | consumed ${state.consumed} | mirror lag ${lag}`;
}

export class Progress {
  private status = "";
  private lastPlain = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly source: () => ProgressState | undefined,
    private readonly enabled = true,
  ) {
    this.tty = out.isTTY === true;
  }

  start(): void {
    if (this.enabled && this.timer === undefined) this.timer = setInterval(() => this.refresh(), this.tty ? 250 : 1000);
  }

  /** A line that stays (a phase change, an event). */
  log(line: string): void {
    if (!this.enabled) return;
    if (this.tty) this.out.write(`\r\x1b[2K${line}\n${this.status}`);
    else this.out.write(`${line}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled && this.tty) this.out.write("\r\x1b[2K");
  }

  private refresh(): void {
    const state = this.source();
    if (state === undefined) return;
    const text = formatProgress(state);
    if (this.tty) {
      const width = Math.max(20, (this.out.columns ?? 120) - 1);
      this.status = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      this.out.write(`\r\x1b[2K${this.status}`);
    } else if (state.elapsedMs - this.lastPlain >= 5000) {
      this.lastPlain = state.elapsedMs;
      this.out.write(`${text}\n`);
    }
  }
}
