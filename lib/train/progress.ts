/**
 * A one-line progress bar on a terminal: step, loss, learning rate, tokens/s and ETA. Off a TTY it prints nothing
 * (the JSONL metrics are the record).
 *
 * @module
 */

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** Total steps. */
  total: number;
  /** Draw even when stderr is not a terminal (tests); default: only on a TTY. */
  force?: boolean;
  /** Where to write; default stderr. */
  write?: (text: string) => void;
}

/** What one update shows. */
export interface ProgressUpdate {
  /** Steps done. */
  step: number;
  /** Latest training loss. */
  loss?: number;
  /** Current learning rate. */
  lr?: number;
  /** Tokens processed since the previous update. */
  tokens?: number;
}

/**
 * Seconds as `1h02m03s`, `2m05s` or `7s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * if (formatDuration(125) !== "2m05s") throw new Error(formatDuration(125));
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h${pad(m)}m${pad(r)}s`;
  if (m > 0) return `${m}m${pad(r)}s`;
  return `${r}s`;
}

/**
 * A terminal progress bar.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const out: string[] = [];
 * const bar = new ProgressBar({ total: 10, force: true, write: (t) => out.push(t) });
 * bar.update({ step: 5, loss: 2.5, lr: 1e-4, tokens: 1000 });
 * bar.done();
 * if (!out.join("").includes("5/10")) throw new Error("drawn");
 * ```
 */
export class ProgressBar {
  #total: number;
  #enabled: boolean;
  #write: (text: string) => void;
  #start = performance.now();
  #firstStep: number | undefined;
  #tokens = 0;
  #drawn = false;

  /** A bar for `total` steps. */
  constructor(options: ProgressOptions) {
    this.#total = options.total;
    this.#enabled = options.force ?? Deno.stderr.isTerminal();
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
  }

  /** Throughput in tokens per second since the first update (0 until a second one). */
  get tokensPerSecond(): number {
    return this.#tokens / Math.max(1e-9, (performance.now() - this.#start) / 1000);
  }

  /** Redraw with new figures. */
  update(u: ProgressUpdate): void {
    if (this.#firstStep === undefined) {
      // The clock starts at the end of the first update (its step includes start-up work such as shader compiles),
      // so that step's tokens are not counted either: the rate is tokens after it / time after it.
      this.#firstStep = u.step - 1;
      this.#start = performance.now();
    } else {
      this.#tokens += u.tokens ?? 0;
    }
    if (!this.#enabled) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const done = u.step - this.#firstStep;
    const eta = done > 0 ? (elapsed / done) * (this.#total - u.step) : NaN;
    const width = 24;
    const fill = Math.round((width * u.step) / Math.max(1, this.#total));
    const parts = [
      `[${"#".repeat(fill)}${".".repeat(Math.max(0, width - fill))}]`,
      `${u.step}/${this.#total}`,
      u.loss === undefined ? "" : `loss ${u.loss.toFixed(4)}`,
      u.lr === undefined ? "" : `lr ${u.lr.toExponential(2)}`,
      `${Math.round(this.tokensPerSecond)} tok/s`,
      `ETA ${formatDuration(eta)}`,
    ];
    this.#write(`\r${parts.filter((p) => p).join("  ")}\x1b[K`);
    this.#drawn = true;
  }

  /** End the line. */
  done(): void {
    if (this.#enabled && this.#drawn) this.#write("\n");
    this.#drawn = false;
  }
}
