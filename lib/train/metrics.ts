/**
 * Training records: `metrics.jsonl` (a `{"type":"header"}` line naming the run, then one JSON object per logging
 * step and per evaluation, appended as they happen, and a last `{"type":"summary"}` line with HF's `train_runtime`,
 * `train_loss`, … — the line kinds `lib/report/run_log.ts` reads), Hugging Face's `trainer_state.json` (same field names, so tools that read HF runs read ours), and the end-of-run
 * table `epoch | train loss | eval loss | perplexity`.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";

/** One entry of `log_history`: a training log (`loss`, `learning_rate`, `grad_norm`) or an evaluation (`eval_*`). */
export type LogEntry = Record<string, number | string | null>;

/** HF `TrainerState` as written to `trainer_state.json`. */
export interface TrainerState {
  /** Best eval loss seen (HF `best_metric` with `metric_for_best_model="loss"`), or null. */
  best_metric: number | null;
  /** Checkpoint folder of the best eval loss, or null. */
  best_model_checkpoint: string | null;
  /** Fractional epoch reached. */
  epoch: number;
  /** Optimizer steps taken. */
  global_step: number;
  /** Steps between training logs. */
  logging_steps: number;
  /** Total optimizer steps of the run. */
  max_steps: number;
  /** Epochs of the run. */
  num_train_epochs: number;
  /** Steps between checkpoints (`save_strategy="steps"`). */
  save_steps: number;
  /** Rows per training batch. */
  train_batch_size: number;
  /** Real (non-pad) tokens trained on. */
  num_input_tokens_seen: number;
  /** Every log and evaluation, in order. */
  log_history: LogEntry[];
  /** HF fields kept for compatibility. */
  is_local_process_zero: boolean;
  /** HF fields kept for compatibility. */
  is_world_process_zero: boolean;
  /** HF fields kept for compatibility. */
  is_hyper_param_search: boolean;
  /** HF fields kept for compatibility. */
  trial_name: null;
  /** HF fields kept for compatibility. */
  trial_params: null;
}

/** A fresh {@link TrainerState}. */
export function newTrainerState(fields: Partial<TrainerState>): TrainerState {
  return {
    best_metric: null,
    best_model_checkpoint: null,
    epoch: 0,
    global_step: 0,
    logging_steps: 500,
    max_steps: 0,
    num_train_epochs: 0,
    save_steps: 500,
    train_batch_size: 8,
    num_input_tokens_seen: 0,
    log_history: [],
    is_local_process_zero: true,
    is_world_process_zero: true,
    is_hyper_param_search: false,
    trial_name: null,
    trial_params: null,
    ...fields,
  };
}

/**
 * Round to 4 decimals, as HF rounds `epoch` and timings in its logs.
 *
 * @example
 * ```ts
 * import { round4 } from "./metrics.ts";
 * if (round4(1 / 3) !== 0.3333) throw new Error("4 places");
 * ```
 */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * Write `trainer_state.json` in `dir` (HF's indent of 2, keys sorted as HF's `json.dumps(sort_keys=True)`).
 *
 * @example
 * ```ts
 * import { newTrainerState, writeTrainerState } from "./metrics.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTrainerState(dir, newTrainerState({ global_step: 3 }));
 * if (JSON.parse(await Deno.readTextFile(`${dir}/trainer_state.json`)).global_step !== 3) throw new Error("saved");
 * ```
 */
export async function writeTrainerState(dir: string, state: TrainerState): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(state).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await writeFileAtomic(`${dir}/trainer_state.json`, JSON.stringify(sorted, null, 2) + "\n");
}

/**
 * Append one JSON line to `path` (created when absent).
 *
 * @example
 * ```ts
 * import { appendJsonl } from "./metrics.ts";
 * const path = `${await Deno.makeTempDir()}/metrics.jsonl`;
 * await appendJsonl(path, { step: 1, loss: 2.5 });
 * if (!(await Deno.readTextFile(path)).endsWith("}\n")) throw new Error("one line");
 * ```
 */
export async function appendJsonl(path: string, entry: LogEntry | Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(entry) + "\n", { append: true, create: true });
}

/** One row of the end-of-run table. */
export interface EpochRow {
  /** Epoch number (1-based as printed; fractional when a run stopped mid-epoch). */
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  train_loss: number;
  /** HF `eval_loss` after the epoch. */
  eval_loss: number;
  /** `exp(eval_loss)`. */
  perplexity: number;
}

/**
 * The end-of-run table, one line per epoch.
 *
 * @example
 * ```ts
 * import { formatEpochTable } from "./metrics.ts";
 * const t = formatEpochTable([{ epoch: 1, train_loss: 2.5, eval_loss: 2.4, perplexity: Math.exp(2.4) }]);
 * if (!t.includes("11.02")) throw new Error(t);
 * ```
 */
export function formatEpochTable(rows: readonly EpochRow[]): string {
  const head = ["epoch", "train loss", "eval loss", "perplexity"];
  const body = rows.map((r) => [
    Number.isInteger(r.epoch) ? String(r.epoch) : r.epoch.toFixed(2),
    Number.isFinite(r.train_loss) ? r.train_loss.toFixed(4) : "-",
    r.eval_loss.toFixed(4),
    r.perplexity.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  const rule = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return [line(head), rule, ...body.map(line)].join("\n");
}

/** The fields of the `{"type":"summary"}` line (HF `TrainOutput.metrics` names, plus throughput and step). */
export interface RunSummary {
  /** Seconds this session trained (evaluations and checkpoints included, as HF). */
  train_runtime: number;
  /** Training rows per second of this session. */
  train_samples_per_second: number;
  /** Optimizer steps per second of this session. */
  train_steps_per_second: number;
  /** Mean training loss over every step of the run (resumed steps included). */
  train_loss: number;
  /** Fractional epoch reached. */
  epoch: number;
  /** Optimizer steps taken in total. */
  step: number;
  /** Real (non-pad) tokens per second of this session. */
  tokens_per_second: number;
  /** Real tokens trained on in total. */
  num_input_tokens_seen: number;
}

/**
 * The last line of `metrics.jsonl` (and of HF's `log_history`): `{"type":"summary", …}` with timings rounded as HF
 * rounds them (`train_runtime` to 4 decimals, rates to 3).
 *
 * @example
 * ```ts
 * import { summaryLine } from "./metrics.ts";
 * const s = summaryLine({ train_runtime: 2.00004, train_samples_per_second: 8, train_steps_per_second: 1,
 *   train_loss: 3.2, epoch: 1, step: 2, tokens_per_second: 900.4, num_input_tokens_seen: 1800 });
 * if (s.type !== "summary" || s.train_runtime !== 2 || s.tokens_per_second !== 900) throw new Error(JSON.stringify(s));
 * ```
 */
export function summaryLine(summary: RunSummary): LogEntry {
  const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    type: "summary",
    epoch: summary.epoch,
    step: summary.step,
    train_loss: summary.train_loss,
    train_runtime: r(summary.train_runtime, 4),
    train_samples_per_second: r(summary.train_samples_per_second, 3),
    train_steps_per_second: r(summary.train_steps_per_second, 3),
    tokens_per_second: Math.round(summary.tokens_per_second),
    num_input_tokens_seen: summary.num_input_tokens_seen,
  };
}
