/**
 * Progress of long data work on stderr — tokenizing a corpus, writing Parquet — counted in items (examples, chunks)
 * rather than training steps: on a terminal a line redrawn in place, off it a plain line at a steady pace (the first
 * at the first update, then every 5 s by default), each with the rate and, when the total is known, the time left:
 *
 * ```text
 * [tokenizing] 12,000/25,000 examples (48%)  1,190 examples/s  elapsed 10s  ETA 11s  2,912,000 tokens, 22,104 chunks
 * ```
 *
 * An update that repeats the last count prints nothing; {@link CountProgress.done} ends with the total and the rate.
 * The durations are `progress.ts`'s, as training's progress prints them.
 *
 * @module
 */
import { formatDuration, type ProgressMode } from "./progress.ts";

/** Seconds between plain progress lines of {@link CountProgress} by default. */
export const DEFAULT_COUNT_PROGRESS_SECONDS = 5;

/** Options of {@link CountProgress}. */
export interface CountProgressOptions {
  /** What is under way, at the start of each line (`tokenizing`, `writing Parquet`). */
  label: string;
  /** What is counted (`examples`, `chunks`). */
  unit: string;
  /** The count when done, if known (percent and time left). */
  total?: number;
  /** `bar` (redrawn in place), `lines` or `off`; default: `bar` when stderr is a terminal, else `lines`. */
  mode?: ProgressMode;
  /** Plain lines: at most one every this many seconds (default {@link DEFAULT_COUNT_PROGRESS_SECONDS}). */
  intervalSeconds?: number;
  /** Where to write (default stderr). */
  write?: (text: string) => void;
  /** Milliseconds clock (default `performance.now`); tests pass their own. */
  now?: () => number;
}

function defaultMode(): ProgressMode {
  try {
    return Deno.stderr.isTerminal() ? "bar" : "lines";
  } catch {
    return "lines";
  }
}

const number = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * Progress of a count (see the module doc).
 *
 * @example
 * ```ts
 * import { CountProgress } from "./count_progress.ts";
 * const out: string[] = [];
 * let ms = 0;
 * const p = new CountProgress({ label: "tokenizing", unit: "examples", total: 3000, mode: "lines", write: (t) => out.push(t), now: () => ms });
 * p.start("corpus.jsonl");
 * ms = 1000;
 * p.update(1000, "250,000 tokens");
 * p.update(1000); // the same count again: nothing
 * ms = 3000;
 * p.update(3000);
 * p.done();
 * if (out.length !== 3) throw new Error(out.join(""));
 * if (out[0] !== "[tokenizing] corpus.jsonl\n") throw new Error(out[0]);
 * if (!out[1].startsWith("[tokenizing] 1,000/3,000 examples (33%)  1,000 examples/s  elapsed 1s  ETA 2s")) throw new Error(out[1]);
 * if (out[2] !== "[tokenizing] done: 3,000 examples in 3s (1,000 examples/s)\n") throw new Error(out[2]);
 * ```
 */
export class CountProgress {
  #label: string;
  #unit: string;
  #total: number | undefined;
  #mode: ProgressMode;
  #intervalMs: number;
  #write: (text: string) => void;
  #now: () => number;
  #started: number;
  #count = 0;
  #lastLine: number | undefined;
  #drawn = false;

  /** Progress of `options.label`, counted in `options.unit`; the clock starts now. */
  constructor(options: CountProgressOptions) {
    this.#label = options.label;
    this.#unit = options.unit;
    this.#total = options.total;
    this.#mode = options.mode ?? defaultMode();
    this.#intervalMs = Math.max(0, options.intervalSeconds ?? DEFAULT_COUNT_PROGRESS_SECONDS) * 1000;
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  /** Print the start line (`[label] detail`) and restart the clock. */
  start(detail: string): void {
    this.#started = this.#now();
    if (this.#mode !== "off") this.#write(`[${this.#label}] ${detail}\n`);
  }

  /** Record `count` items done (`detail`: more figures for the line); prints when a line is due. */
  update(count: number, detail = ""): void {
    if (count === this.#count) return;
    this.#count = count;
    if (this.#mode === "bar") {
      this.#write(`\r${this.#line(detail)}\x1b[K`);
      this.#drawn = true;
    } else if (this.#mode === "lines") {
      const now = this.#now();
      if (this.#lastLine === undefined || now - this.#lastLine >= this.#intervalMs) {
        this.#write(`${this.#line(detail)}\n`);
        this.#lastLine = now;
      }
    }
  }

  /** End: the total count, the time taken and the rate (nothing when nothing was counted). */
  done(): void {
    if (this.#drawn) this.#write("\n");
    this.#drawn = false;
    if (this.#mode === "off" || this.#count === 0) return;
    const seconds = (this.#now() - this.#started) / 1000;
    this.#write(
      `[${this.#label}] done: ${number(this.#count)} ${this.#unit} in ${formatDuration(seconds)} ` +
        `(${number(this.#count / Math.max(seconds, 1e-3))} ${this.#unit}/s)\n`,
    );
  }

  #line(detail: string): string {
    const seconds = (this.#now() - this.#started) / 1000;
    const rate = this.#count / Math.max(seconds, 1e-3);
    const total = this.#total;
    const parts = [
      `[${this.#label}] ${number(this.#count)}${total === undefined ? "" : `/${number(total)}`} ${this.#unit}` +
      (total ? ` (${Math.floor((100 * this.#count) / total)}%)` : ""),
      `${number(rate)} ${this.#unit}/s`,
      `elapsed ${formatDuration(seconds)}`,
      total === undefined ? "" : `ETA ${formatDuration(Math.max(0, total - this.#count) / Math.max(rate, 1e-9))}`,
      detail,
    ];
    return parts.filter((p) => p).join("  ");
  }
}
