/**
 * Training progress on stderr. On a terminal: a one-line bar redrawn in place (step, loss, learning rate, tokens/s,
 * ETA). Off a terminal (output to a file or a CI log): a plain line at a steady pace — every 30 s by default, and/or
 * every N steps — as Hugging Face's Trainer/tqdm leave in logs:
 *
 * ```text
 * [progress] step 120/1000 (12%)  loss 2.3456  lr 1.80e-05  3468 tok/s  elapsed 6m00s  ETA 44m00s
 * ```
 *
 * `loss` on a plain line is the mean training loss over the steps since the previous line. The JSONL metrics stay the
 * record; these lines only say the run is alive and how far it is.
 *
 * @module
 */

/** How progress is shown: a redrawn bar (terminal), plain lines at a steady pace (logs), or nothing. */
export type ProgressMode = "bar" | "lines" | "off";

/**
 * Seconds between plain progress lines by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_PROGRESS_SECONDS } from "./progress.ts";
 * if (DEFAULT_PROGRESS_SECONDS !== 30) throw new Error("30 s");
 * ```
 */
export const DEFAULT_PROGRESS_SECONDS = 30;

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** Total steps. */
  total: number;
  /**
   * `true` draws the bar even off a terminal, `false` shows nothing; default: the bar on a terminal, plain lines
   * otherwise. `mode` overrides it.
   */
  force?: boolean;
  /** How to show progress (default from `force` and whether stderr is a terminal). */
  mode?: ProgressMode;
  /** Plain lines: at most one every this many seconds (default 30; 0: no time-based lines). */
  intervalSeconds?: number;
  /** Plain lines: also one every this many steps (default 0: none). */
  everySteps?: number;
  /** Where to write; default stderr. */
  write?: (text: string) => void;
  /** Milliseconds clock (default `performance.now`); tests pass their own. */
  now?: () => number;
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

/** The mode a {@link ProgressBar} uses when none is given: from `force`, else bar on a terminal and lines off it. */
function defaultMode(force: boolean | undefined): ProgressMode {
  if (force !== undefined) return force ? "bar" : "off";
  try {
    return Deno.stderr.isTerminal() ? "bar" : "lines";
  } catch {
    return "lines";
  }
}

/**
 * Training progress: a bar on a terminal, plain lines at a steady pace off it (see the module docs).
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const out: string[] = [];
 * let ms = 0;
 * const bar = new ProgressBar({ total: 10, mode: "lines", write: (t) => out.push(t), now: () => ms });
 * bar.update({ step: 1, loss: 3, tokens: 1000 });
 * ms = 31_000; // past the 30 s interval
 * bar.update({ step: 5, loss: 2.5, lr: 1e-4, tokens: 4000 });
 * bar.done();
 * if (!out.join("").startsWith("[progress] step 5/10 (50%)")) throw new Error(out.join(""));
 * ```
 */
export class ProgressBar {
  #total: number;
  #mode: ProgressMode;
  #intervalMs: number;
  #everySteps: number;
  #write: (text: string) => void;
  #now: () => number;
  #created: number;
  #start: number;
  /** The step of the first update, where the clock starts. */
  #firstStep: number | undefined;
  #tokens = 0;
  #drawn = false;
  #lastLine: number;
  #lossSum = 0;
  #lossSteps = 0;

  /** Progress over `total` steps. */
  constructor(options: ProgressOptions) {
    this.#total = options.total;
    this.#mode = options.mode ?? defaultMode(options.force);
    this.#intervalMs = Math.max(0, options.intervalSeconds ?? DEFAULT_PROGRESS_SECONDS) * 1000;
    this.#everySteps = Math.max(0, Math.floor(options.everySteps ?? 0));
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
    this.#now = options.now ?? (() => performance.now());
    this.#created = this.#start = this.#lastLine = this.#now();
  }

  /** How progress is shown. */
  get mode(): ProgressMode {
    return this.#mode;
  }

  /** Throughput in tokens per second since the first update (0 until a second one). */
  get tokensPerSecond(): number {
    return this.#tokens / Math.max(1e-9, (this.#now() - this.#start) / 1000);
  }

  /** Record one update; redraw the bar, or print a plain line when one is due. */
  update(u: ProgressUpdate): void {
    if (this.#firstStep === undefined) {
      // The clock starts at the end of the first update (its step includes start-up work such as shader compiles),
      // so that step's tokens are not counted either: the rate is tokens after it / time after it.
      this.#firstStep = u.step;
      this.#start = this.#now();
    } else {
      this.#tokens += u.tokens ?? 0;
    }
    if (u.loss !== undefined) {
      this.#lossSum += u.loss;
      this.#lossSteps += 1;
    }
    if (this.#mode === "bar") this.#drawBar(u);
    else if (this.#mode === "lines" && this.#lineDue(u.step)) this.#printLine(u);
  }

  /** End the bar's line (before other output, and at the end); plain lines need no ending. */
  done(): void {
    if (this.#mode === "bar" && this.#drawn) this.#write("\n");
    this.#drawn = false;
  }

  /** Seconds left at the pace since the first update. */
  #eta(step: number): number {
    const done = step - (this.#firstStep ?? step);
    return done > 0 ? ((this.#now() - this.#start) / 1000 / done) * (this.#total - step) : NaN;
  }

  #lineDue(step: number): boolean {
    if (this.#everySteps > 0 && step % this.#everySteps === 0) return true;
    return this.#intervalMs > 0 && this.#now() - this.#lastLine >= this.#intervalMs;
  }

  #printLine(u: ProgressUpdate): void {
    const percent = Math.floor((100 * u.step) / Math.max(1, this.#total));
    const loss = this.#lossSteps > 0 ? this.#lossSum / this.#lossSteps : undefined;
    const parts = [
      `[progress] step ${u.step}/${this.#total} (${percent}%)`,
      loss === undefined ? "" : `loss ${loss.toFixed(4)}`,
      u.lr === undefined ? "" : `lr ${u.lr.toExponential(2)}`,
      `${Math.round(this.tokensPerSecond)} tok/s`,
      `elapsed ${formatDuration((this.#now() - this.#created) / 1000)}`,
      `ETA ${formatDuration(this.#eta(u.step))}`,
    ];
    this.#write(`${parts.filter((p) => p).join("  ")}\n`);
    this.#lastLine = this.#now();
    this.#lossSum = 0;
    this.#lossSteps = 0;
  }

  #drawBar(u: ProgressUpdate): void {
    const width = 24;
    const fill = Math.round((width * u.step) / Math.max(1, this.#total));
    const parts = [
      `[${"#".repeat(fill)}${".".repeat(Math.max(0, width - fill))}]`,
      `${u.step}/${this.#total}`,
      u.loss === undefined ? "" : `loss ${u.loss.toFixed(4)}`,
      u.lr === undefined ? "" : `lr ${u.lr.toExponential(2)}`,
      `${Math.round(this.tokensPerSecond)} tok/s`,
      `ETA ${formatDuration(this.#eta(u.step))}`,
    ];
    this.#write(`\r${parts.filter((p) => p).join("  ")}\x1b[K`);
    this.#drawn = true;
  }
}
