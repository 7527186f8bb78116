/**
 * The log schema of every training run (masked-LM `finetune`, `classify-finetune`, `demo`), read by
 * `lib/report`: snake_case on disk like Hugging Face's `log_history`, camelCase in the TypeScript API.
 *
 * `metrics.jsonl` holds, in order: a header line ({@link headerLine}: `type: "header"`, `task`, `model`,
 * `model_dir`, `dataset`, `dataset_config`, `dataset_split`, `backend`, `adapter`, `started_at`, `num_parameters`,
 * `train_samples`, `eval_samples`, `args`, and for classifiers `architecture`, `labels`); step lines (`epoch`,
 * `grad_norm`, `learning_rate`, `loss`, `step`, `tokens_per_second`, `batches_without_labels`, and with `--fp16`
 * `loss_scale` — the loss scaler's scale after the step — and `skipped_steps` — steps of the interval skipped on an
 * inf/NaN gradient); eval lines (`epoch`,
 * `eval_loss` and the task's metrics — `perplexity`, `eval_loss_token_weighted`, `perplexity_token_weighted`,
 * `eval_batches_without_labels` for the masked LM, `eval_accuracy`, `eval_f1` for classifiers — then
 * `eval_runtime`, `eval_samples_per_second`, `eval_steps_per_second`, `train_loss` (the epoch's mean step loss) and
 * `step`); and a last summary line ({@link summaryLine}: `type: "summary"`, HF's `train_runtime`, `train_loss`, …).
 * `trainer_state.json` is HF's, its `log_history` the same step, eval and summary lines. {@link EpochRow} is the
 * per-epoch view of the eval lines, {@link formatEpochTable} the end-of-run table.
 *
 * @module
 */
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
 * import { round4 } from "./log_schema.ts";
 * if (round4(1 / 3) !== 0.3333) throw new Error("4 places");
 * ```
 */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** One evaluation of a run (one per epoch, and at the last step): the eval line of `metrics.jsonl`, camelCase. */
export interface EpochRow {
  /** Fractional epoch at the evaluation (1 after the first epoch). */
  epoch: number;
  /** Optimizer step at the evaluation. */
  step: number;
  /** Mean training loss of the epoch's steps (`train_loss`). */
  trainLoss: number | null;
  /** HF `eval_loss`. */
  evalLoss: number;
  /** `perplexity` (masked LM), else null. */
  perplexity: number | null;
  /** `eval_accuracy` (classifier), else null. */
  accuracy: number | null;
  /** `eval_f1` (classifier), else null. */
  f1: number | null;
}

/**
 * The {@link EpochRow}s of a log history (its eval lines, those with an `eval_loss`).
 *
 * @example
 * ```ts
 * import { epochRows } from "./log_schema.ts";
 * const [row] = epochRows([{ epoch: 0.5, loss: 3, step: 1 }, { epoch: 1, eval_loss: 2, perplexity: 7.39, train_loss: 2.5, step: 2 }]);
 * if (row.evalLoss !== 2 || row.trainLoss !== 2.5 || row.accuracy !== null) throw new Error(JSON.stringify(row));
 * ```
 */
export function epochRows(history: readonly LogEntry[]): EpochRow[] {
  const n = (v: unknown): number | null => (typeof v === "number" ? v : null);
  return history.filter((e) => typeof e.eval_loss === "number").map((e) => ({
    epoch: Number(e.epoch),
    step: Number(e.step),
    trainLoss: n(e.train_loss),
    evalLoss: Number(e.eval_loss),
    perplexity: n(e.perplexity),
    accuracy: n(e.eval_accuracy),
    f1: n(e.eval_f1),
  }));
}

/**
 * An {@link EpochRow} on disk: the eval line's names (`epoch`, `step`, `train_loss`, `eval_loss`, `perplexity`,
 * `eval_accuracy`, `eval_f1`).
 *
 * @example
 * ```ts
 * import { epochRowEntry, epochRows } from "./log_schema.ts";
 * const entry = { epoch: 1, step: 2, train_loss: 0.5, eval_loss: 0.4, perplexity: null, eval_accuracy: 0.9, eval_f1: 0.8 };
 * if (JSON.stringify(epochRowEntry(epochRows([entry])[0])) !== JSON.stringify(entry)) throw new Error("round trip");
 * ```
 */
export function epochRowEntry(row: EpochRow): LogEntry {
  return {
    epoch: row.epoch,
    step: row.step,
    train_loss: row.trainLoss,
    eval_loss: row.evalLoss,
    perplexity: row.perplexity,
    eval_accuracy: row.accuracy,
    eval_f1: row.f1,
  };
}

/**
 * The end-of-run table, one line per evaluation: `epoch | train loss | eval loss` and `perplexity` (masked LM) or
 * `accuracy | f1` (classifier).
 *
 * @example
 * ```ts
 * import { formatEpochTable } from "./log_schema.ts";
 * const t = formatEpochTable([{ epoch: 1, step: 4, trainLoss: 2.5, evalLoss: 2.4, perplexity: Math.exp(2.4), accuracy: null, f1: null }]);
 * if (!t.includes("11.02") || t.includes("accuracy")) throw new Error(t);
 * ```
 */
export function formatEpochTable(rows: readonly EpochRow[]): string {
  const classifier = rows.some((r) => r.accuracy !== null || r.f1 !== null);
  const head = ["epoch", "train loss", "eval loss", ...(classifier ? ["accuracy", "f1"] : ["perplexity"])];
  const f = (x: number | null, digits: number) => (x !== null && Number.isFinite(x) ? x.toFixed(digits) : "-");
  const body = rows.map((r) => [
    Number.isInteger(r.epoch) ? String(r.epoch) : r.epoch.toFixed(2),
    f(r.trainLoss, 4),
    f(r.evalLoss, 4),
    ...(classifier ? [f(r.accuracy, 4), f(r.f1, 4)] : [f(r.perplexity, 2)]),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  const rule = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return [line(head), rule, ...body.map(line)].join("\n");
}

/**
 * The timing fields of an eval line, rounded as HF rounds them: `eval_runtime`, `eval_samples_per_second`,
 * `eval_steps_per_second`.
 *
 * @example
 * ```ts
 * import { evalTimings } from "./log_schema.ts";
 * if (evalTimings(2, 64, 4).eval_steps_per_second !== 2) throw new Error("4 batches in 2 s");
 * ```
 */
export function evalTimings(runtime: number, samples: number, batches: number): LogEntry {
  const t = Math.max(1e-9, runtime);
  return {
    eval_runtime: round4(runtime),
    eval_samples_per_second: round4(samples / t),
    eval_steps_per_second: round4(batches / t),
  };
}

/** What the header line of `metrics.jsonl` records about a run (camelCase; {@link headerLine} writes it). */
export interface RunHeaderInfo {
  /** `finetune`, `classify-finetune` or `demo`. */
  task: string;
  /** The model as given (folder or Hub id). */
  model: string;
  /** The local folder it was loaded from. */
  modelDir: string;
  /** The dataset as given. */
  dataset: string;
  /** Config of a Hub dataset, or null. */
  datasetConfig?: string | null;
  /** Split read, or null. */
  datasetSplit?: string | null;
  /** tfjs backend. */
  backend: string;
  /** The WebGPU adapter, or null. */
  adapter: string | null;
  /** Parameters (HF `num_parameters()`). */
  numParameters: number;
  /** Training rows (chunks or examples). */
  trainSamples: number;
  /** Eval rows. */
  evalSamples: number;
  /** The arguments, snake_case ({@link loggedArgs}); never a token. */
  args: Record<string, string | number | boolean>;
  /** Classifier architecture (`DistilBertForSequenceClassification`). */
  architecture?: string;
  /** Class names, comma-separated. */
  labels?: string;
}

/**
 * The header line of `metrics.jsonl` (snake_case, `started_at` now).
 *
 * @example
 * ```ts
 * import { headerLine } from "./log_schema.ts";
 * const h = headerLine({ task: "demo", model: "m", modelDir: "m", dataset: "d", backend: "cpu", adapter: null,
 *   numParameters: 10, trainSamples: 4, evalSamples: 2, args: { seed: 1 } });
 * if (h.type !== "header" || h.model_dir !== "m" || h.num_parameters !== 10) throw new Error(JSON.stringify(h));
 * ```
 */
export function headerLine(info: RunHeaderInfo): Record<string, unknown> {
  return {
    type: "header",
    task: info.task,
    model: info.model,
    model_dir: info.modelDir,
    dataset: info.dataset,
    dataset_config: info.datasetConfig ?? null,
    dataset_split: info.datasetSplit ?? null,
    backend: info.backend,
    adapter: info.adapter,
    started_at: new Date().toISOString(),
    num_parameters: info.numParameters,
    train_samples: info.trainSamples,
    eval_samples: info.evalSamples,
    ...(info.architecture !== undefined ? { architecture: info.architecture } : {}),
    ...(info.labels !== undefined ? { labels: info.labels } : {}),
    args: info.args,
  };
}

/** Option names never written to logs (secrets and callbacks). */
const NOT_LOGGED = new Set(["hubToken", "hub", "signal", "log", "progress"]);

/**
 * A run's options as logged in the header: HF snake_case names, plain values only, and never the Hub token (nor the
 * `hub` access options that may carry one).
 *
 * @example
 * ```ts
 * import { loggedArgs } from "./log_schema.ts";
 * const a = loggedArgs({ learningRate: 2e-5, hubToken: "hf_secret", pushToHub: true, log: () => {} });
 * if (a.learning_rate !== 2e-5 || a.push_to_hub !== true || JSON.stringify(a).includes("hf_secret")) throw new Error();
 * ```
 */
export function loggedArgs(options: object): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (NOT_LOGGED.has(k) || !["string", "number", "boolean"].includes(typeof v)) continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v as string | number | boolean;
  }
  return out;
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
 * import { summaryLine } from "./log_schema.ts";
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
