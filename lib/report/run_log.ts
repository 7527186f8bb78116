/**
 * Reads a run folder's logs (`metrics.jsonl`, else `trainer_state.json`'s `log_history`) into series for the report.
 *
 * It reads the project's one log schema (`lib/log_schema.ts`) and nothing else: a JSON line is a run header
 * (`type: "header"`), a training-step log (`loss`), an evaluation (`eval_loss`) or the final summary
 * (`type: "summary"`); names are Hugging Face `Trainer`'s (`loss`, `learning_rate`, `epoch`, `step`, `eval_loss`,
 * `train_runtime`, …); `epoch` is fractional progress as HF logs it (1.0 at the end of epoch 1).
 *
 * @module
 */
import { readJsonlLocated } from "../data/jsonl.ts";
import type { EpochRow } from "../log_schema.ts";

/** What one log line is. */
export type RecordKind = "header" | "train" | "eval" | "summary" | "other";

/** One training-step log. Missing values are `null`. */
export interface TrainPoint {
  /** Optimizer step (1-based, as HF logs it). */
  step: number;
  /** Fractional epoch progress, or null. */
  epoch: number | null;
  /** Training loss (mean over the logging interval). */
  loss: number | null;
  /** Learning rate after this step (`learning_rate`). */
  learningRate: number | null;
  /** Training throughput (`tokens_per_second`). */
  tokensPerSecond: number | null;
  /** Global gradient norm before clipping (`grad_norm`). */
  gradNorm: number | null;
}

/** One evaluation (normally one per epoch): the trainer's {@link EpochRow} and the eval line's other fields. */
export interface EvalPoint extends EpochRow {
  /** Other numeric fields of the eval line (e.g. `eval_runtime`, a token-weighted loss), by their logged names. */
  extra: Record<string, number>;
}

/** The run header: what was run, with which arguments, where. */
export interface RunHeader {
  /** The task (`finetune`, `classify-finetune`, …) when logged. */
  task: string | null;
  /** Command-line / training arguments. */
  args: Record<string, unknown>;
  /** tfjs backend (`webgpu`, `wasm`, `cpu`). */
  backend: string | null;
  /** The GPU adapter, as a line of text (objects are flattened to `key: value` pairs). */
  adapter: string | null;
  /** Every other scalar field of the header line (model, started_at, versions, …). */
  other: Record<string, string | number | boolean>;
}

/** Everything the report shows about one run. */
export interface RunLog {
  /** The run folder. */
  dir: string;
  /** The files read, for the report's footer. */
  sources: string[];
  /** The run header (empty when none was logged). */
  header: RunHeader;
  /** Training-step logs in file order. */
  steps: TrainPoint[];
  /** Evaluations in file order. */
  evals: EvalPoint[];
  /** Timings and totals from summary lines (`train_runtime`, `train_samples_per_second`, …). */
  timings: Record<string, number | string>;
  /** Scalars of `trainer_state.json` (`global_step`, `max_steps`, `num_train_epochs`, …) when it exists. */
  state: Record<string, string | number | boolean>;
  /** Lines that matched no kind, counted. */
  unrecognised: number;
}

/** Options of {@link readRunLog}. */
export interface ReadRunLogOptions {
  /** Metrics file name inside the run folder (default `metrics.jsonl`). */
  metricsFile?: string;
  /** Trainer state file name inside the run folder (default `trainer_state.json`). */
  stateFile?: string;
}

/** Fields of an eval line that are not shown as extra columns. */
const EVAL_KNOWN = new Set([
  "step",
  "epoch",
  "eval_loss",
  "perplexity",
  "eval_accuracy",
  "eval_f1",
  "train_loss",
  "type",
]);

/**
 * What a log line is: `type: "header"` or `type: "summary"`, else `eval_loss` → eval, `loss` → train, else other.
 *
 * @example
 * ```ts
 * import { classifyRecord } from "./run_log.ts";
 * if (classifyRecord({ step: 3, loss: 2.5, learning_rate: 1e-5 }) !== "train") throw new Error("unexpected");
 * if (classifyRecord({ epoch: 1, eval_loss: 2.1 }) !== "eval") throw new Error("unexpected");
 * ```
 */
export function classifyRecord(record: Record<string, unknown>): RecordKind {
  if (record.type === "header") return "header";
  if (record.type === "summary") return "summary";
  if ("eval_loss" in record) return "eval";
  if ("loss" in record) return "train";
  return "other";
}

/**
 * Read a run folder's logs: `metrics.jsonl` when present, else the `log_history` of `trainer_state.json`. A step
 * logged twice (a resumed run re-logs the steps after its checkpoint) keeps its last line. Fails naming the file and
 * line (or field) on malformed input, and the folder when it holds neither log.
 *
 * @example
 * ```ts
 * import { readRunLog } from "./run_log.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"step":1,"epoch":0.5,"loss":3,"learning_rate":1e-5}\n');
 * const log = await readRunLog(dir);
 * if (log.steps[0].loss !== 3) throw new Error("unexpected");
 * ```
 */
export async function readRunLog(runDir: string, options: ReadRunLogOptions = {}): Promise<RunLog> {
  const metricsPath = `${runDir}/${options.metricsFile ?? "metrics.jsonl"}`;
  const statePath = `${runDir}/${options.stateFile ?? "trainer_state.json"}`;
  const log: RunLog = {
    dir: runDir,
    sources: [],
    header: { task: null, args: {}, backend: null, adapter: null, other: {} },
    steps: [],
    evals: [],
    timings: {},
    state: {},
    unrecognised: 0,
  };
  const haveMetrics = await isFile(metricsPath);
  if (haveMetrics) {
    log.sources.push(metricsPath);
    for await (const { where, record } of readJsonlLocated(metricsPath)) addRecord(log, record, where);
  }
  if (await isFile(statePath)) {
    log.sources.push(statePath);
    let state: unknown;
    try {
      state = JSON.parse(await Deno.readTextFile(statePath));
    } catch (e) {
      throw new Error(`${statePath}: malformed JSON (${(e as Error).message})`);
    }
    if (state === null || typeof state !== "object" || Array.isArray(state)) {
      throw new Error(`${statePath}: expected a JSON object (Hugging Face trainer_state.json)`);
    }
    for (const [k, v] of Object.entries(state as Record<string, unknown>)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") log.state[k] = v;
    }
    const history = (state as Record<string, unknown>).log_history;
    if (!haveMetrics && history !== undefined) {
      if (!Array.isArray(history)) throw new Error(`${statePath}: field "log_history": expected an array`);
      history.forEach((r, i) => {
        const where = `${statePath} log_history[${i}]`;
        if (r === null || typeof r !== "object" || Array.isArray(r)) throw new Error(`${where}: expected an object`);
        addRecord(log, r as Record<string, unknown>, where);
      });
    }
  }
  log.steps = lastPerStep(log.steps);
  log.evals = lastPerStep(log.evals);
  if (log.sources.length === 0) {
    throw new Error(
      `${runDir}: no ${metricsPath.slice(runDir.length + 1)} or ${statePath.slice(runDir.length + 1)} here`,
    );
  }
  return log;
}

/**
 * Add one log line to `log` by its kind (see {@link classifyRecord}); `where` names it in errors.
 *
 * @example
 * ```ts
 * import { addRecord, type RunLog } from "./run_log.ts";
 * const log: RunLog = { dir: ".", sources: [], steps: [], evals: [], timings: {}, state: {}, unrecognised: 0,
 *   header: { task: null, args: {}, backend: null, adapter: null, other: {} } };
 * addRecord(log, { epoch: 1, eval_loss: Math.log(8), step: 4 }, "m.jsonl:1");
 * if (log.evals[0].epoch !== 1) throw new Error("unexpected");
 * ```
 */
export function addRecord(log: RunLog, record: Record<string, unknown>, where: string): void {
  const kind = classifyRecord(record);
  if (kind === "header") addHeader(log.header, record);
  else if (kind === "summary") {
    for (const [k, v] of Object.entries(record)) {
      if (k === "type") continue;
      if (typeof v === "number" || typeof v === "string") log.timings[k] = v;
    }
  } else if (kind === "eval") {
    const extra: Record<string, number> = {};
    for (const [k, v] of Object.entries(record)) {
      if (!EVAL_KNOWN.has(k) && typeof v === "number" && Number.isFinite(v)) extra[k] = v;
    }
    log.evals.push({
      epoch: required(record, "epoch", where),
      step: required(record, "step", where),
      trainLoss: num(record, "train_loss", where),
      evalLoss: required(record, "eval_loss", where),
      perplexity: num(record, "perplexity", where),
      accuracy: num(record, "eval_accuracy", where),
      f1: num(record, "eval_f1", where),
      extra,
    });
  } else if (kind === "train") {
    const step = num(record, "step", where);
    if (step === null) throw new Error(`${where}: training log without a "step" field`);
    log.steps.push({
      step,
      epoch: num(record, "epoch", where),
      loss: num(record, "loss", where),
      learningRate: num(record, "learning_rate", where),
      tokensPerSecond: num(record, "tokens_per_second", where),
      gradNorm: num(record, "grad_norm", where),
    });
  } else log.unrecognised++;
}

/**
 * A resumed run appends again the steps logged after its checkpoint: keep the last line for each step, in step
 * order of first appearance (lines without a step are kept as they are).
 */
function lastPerStep<T extends { step: number | null }>(points: T[]): T[] {
  const last = new Map<number, number>();
  points.forEach((p, i) => {
    if (p.step !== null) last.set(p.step, i);
  });
  return points.filter((p, i) => p.step === null || last.get(p.step) === i);
}

function addHeader(header: RunHeader, record: Record<string, unknown>): void {
  const args = record.args;
  if (args && typeof args === "object" && !Array.isArray(args)) Object.assign(header.args, args);
  for (const [k, v] of Object.entries(record)) {
    if (k === "args" || k === "type") continue;
    if (k === "task") header.task = String(v);
    else if (k === "backend") header.backend = String(v);
    else if (k === "adapter") header.adapter = describe(v);
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") header.other[k] = v;
    else if (v !== null && v !== undefined) header.other[k] = describe(v);
  }
}

/** An object as `key: value, …` (one level deep), anything else as text. */
function describe(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return v.map(describe).join(", ");
  return Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null && x !== undefined && x !== "")
    .map(([k, x]) => `${k}: ${typeof x === "object" ? JSON.stringify(x) : String(x)}`)
    .join(", ");
}

/** A numeric field, null when absent or null (JSON writes NaN as null); anything else is an error. */
function num(record: Record<string, unknown>, name: string, where: string): number | null {
  const v = record[name];
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return v;
  throw new Error(`${where}: field "${name}": expected a number, got ${JSON.stringify(v)}`);
}

/** A numeric field the project always writes on this kind of line. */
function required(record: Record<string, unknown>, name: string, where: string): number {
  const v = num(record, name, where);
  if (v === null) throw new Error(`${where}: field "${name}": expected a number, found none`);
  return v;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw new Error(`${path}: cannot stat (${(e as Error).message})`);
  }
}

/**
 * True when the run logged accuracy or F1 (a classifier run) rather than perplexity.
 *
 * @example
 * ```ts
 * import { isClassifierRun, type RunLog } from "./run_log.ts";
 * const log: RunLog = { dir: ".", sources: [], steps: [], timings: {}, state: {}, unrecognised: 0,
 *   evals: [{ epoch: 1, step: 5, evalLoss: 0.4, perplexity: null, accuracy: 0.8, f1: null, trainLoss: null, extra: {} }],
 *   header: { task: null, args: {}, backend: null, adapter: null, other: {} } };
 * if (!isClassifierRun(log)) throw new Error("unexpected");
 * ```
 */
export function isClassifierRun(log: RunLog): boolean {
  return log.evals.some((e) => e.accuracy !== null || e.f1 !== null);
}

/**
 * The per-epoch table: one {@link EpochRow} per evaluation, as the trainer's result has it.
 *
 * @example
 * ```ts
 * import { addRecord, runEpochs, type RunLog } from "./run_log.ts";
 * const log: RunLog = { dir: ".", sources: [], steps: [], evals: [], timings: {}, state: {}, unrecognised: 0,
 *   header: { task: null, args: {}, backend: null, adapter: null, other: {} } };
 * addRecord(log, { step: 2, epoch: 1, eval_loss: Math.log(10), perplexity: 10, train_loss: 3 }, "c");
 * const [row] = runEpochs(log);
 * if (row.trainLoss !== 3 || row.perplexity !== 10) throw new Error("unexpected");
 * ```
 */
export function runEpochs(log: RunLog): EpochRow[] {
  return log.evals.map(({ extra: _, ...row }) => row);
}
