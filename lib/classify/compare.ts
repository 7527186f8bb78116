/**
 * Does domain adaptation help the downstream task? {@link compareAdaptation} fine-tunes a classifier from a base
 * checkpoint and from an adapted one with the same seed, data and budget (`OUTPUT_DIR/base`, `OUTPUT_DIR/adapted`),
 * then tabulates accuracy, F1 and eval loss per epoch for each and the difference (adapted − base), and writes
 * `OUTPUT_DIR/compare.json`.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";
import { classifyFinetune, type ClassifyFinetuneOptions, type ClassifyFinetuneResult } from "./finetune.ts";
import { type EpochRow, epochRowEntry } from "../log_schema.ts";

/** Options of {@link compareAdaptation}: everything `classifyFinetune` takes except the model and resume. */
export interface CompareAdaptationOptions extends Omit<ClassifyFinetuneOptions, "model" | "resumeFromCheckpoint"> {
  /** The original checkpoint (folder or Hub id). */
  base: string;
  /** The domain-adapted checkpoint. */
  adapted: string;
}

/** One epoch of both runs. */
export interface ComparisonRow {
  /** Epoch. */
  epoch: number;
  /** The base run's evaluation (undefined when it has no evaluation at this position). */
  base?: EpochRow;
  /** The adapted run's evaluation. */
  adapted?: EpochRow;
}

/** The result of {@link compareAdaptation}. */
export interface ComparisonResult {
  /** The base run. */
  base: ClassifyFinetuneResult;
  /** The adapted run. */
  adapted: ClassifyFinetuneResult;
  /** Evaluations side by side. */
  rows: ComparisonRow[];
  /** The table, formatted. */
  table: string;
  /** Path of `compare.json`. */
  path: string;
}

/**
 * Pair two runs' evaluations by position (both runs have the same schedule, so the same epochs).
 *
 * @example
 * ```ts
 * import { pairEpochs } from "./compare.ts";
 * const row = { epoch: 1, step: 5, trainLoss: 0.6, evalLoss: 0.5, perplexity: null, accuracy: 0.7, f1: 0.7 };
 * if (pairEpochs([row], [row, { ...row, epoch: 2 }]).length !== 2) throw new Error("longest");
 * ```
 */
export function pairEpochs(
  base: readonly EpochRow[],
  adapted: readonly EpochRow[],
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (let i = 0; i < Math.max(base.length, adapted.length); i++) {
    rows.push({ epoch: (base[i] ?? adapted[i]).epoch, base: base[i], adapted: adapted[i] });
  }
  return rows;
}

/**
 * The comparison table: accuracy, F1 and eval loss of each run per epoch, and adapted − base.
 *
 * @example
 * ```ts
 * import { formatComparison } from "./compare.ts";
 * const b = { epoch: 1, step: 5, trainLoss: 0.6, evalLoss: 0.5, perplexity: null, accuracy: 0.70, f1: 0.68 };
 * const a = { ...b, evalLoss: 0.4, accuracy: 0.75, f1: 0.74 };
 * const t = formatComparison([{ epoch: 1, base: b, adapted: a }]);
 * if (!t.includes("+0.0500")) throw new Error(t);
 * ```
 */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const head = [
    "epoch",
    "accuracy base",
    "accuracy adapted",
    "Δ accuracy",
    "F1 base",
    "F1 adapted",
    "Δ F1",
    "eval loss base",
    "eval loss adapted",
    "Δ eval loss",
  ];
  const f = (
    x: number | null | undefined,
  ) => (x === undefined || x === null || !Number.isFinite(x) ? "-" : x.toFixed(4));
  const d = (a: number | null | undefined, b: number | null | undefined) => {
    if (a === undefined || b === undefined || a === null || b === null || !Number.isFinite(a - b)) return "-";
    const x = a - b, text = x.toFixed(4);
    if (Number(text) === 0) return "0.0000"; // no "-0.0000" nor "+0.0000" for a difference that rounds to zero
    return (x > 0 ? "+" : "") + text;
  };
  const body = rows.map((r) => [
    Number.isInteger(r.epoch) ? String(r.epoch) : r.epoch.toFixed(2),
    f(r.base?.accuracy),
    f(r.adapted?.accuracy),
    d(r.adapted?.accuracy, r.base?.accuracy),
    f(r.base?.f1),
    f(r.adapted?.f1),
    d(r.adapted?.f1, r.base?.f1),
    f(r.base?.evalLoss),
    f(r.adapted?.evalLoss),
    d(r.adapted?.evalLoss, r.base?.evalLoss),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  const rule = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return [line(head), rule, ...body.map(line)].join("\n");
}

/**
 * Fine-tune a classifier from `base` and from `adapted` with identical settings and compare them per epoch.
 *
 * @example
 * ```ts ignore
 * const r = await compareAdaptation({ base: "distilbert-base-uncased", adapted: "runs/adapted",
 *   dataset: "../shared/data/imdb", backend: "webgpu", outputDir: "runs/compare", trainSize: 2000, testSize: 1000 });
 * console.log(r.table);
 * ```
 */
export async function compareAdaptation(options: CompareAdaptationOptions): Promise<ComparisonResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { base: baseModel, adapted: adaptedModel, ...shared } = options;
  const runs: Record<"base" | "adapted", ClassifyFinetuneResult> = {} as Record<
    "base" | "adapted",
    ClassifyFinetuneResult
  >;
  for (const [name, model] of [["base", baseModel], ["adapted", adaptedModel]] as const) {
    log(`== ${name}: ${model} ==`);
    runs[name] = await classifyFinetune({ ...shared, model, outputDir: `${options.outputDir}/${name}`, log });
    if (runs[name].interrupted) {
      throw new Error(`the ${name} run was interrupted (${runs[name].interrupted}); the comparison is incomplete`);
    }
  }
  if (runs.base.labels.join("\n") !== runs.adapted.labels.join("\n")) {
    throw new Error(
      `the two runs have different label sets ([${runs.base.labels}] vs [${runs.adapted.labels}]); compare on one dataset`,
    );
  }
  const rows = pairEpochs(runs.base.epochs, runs.adapted.epochs);
  const table = formatComparison(rows);
  const path = `${options.outputDir}/compare.json`;
  const summary = (r: ClassifyFinetuneResult, model: string) => ({
    model,
    model_dir: r.modelDir,
    run_dir: r.outputDir,
    report: r.report,
    global_step: r.globalStep,
    train_runtime: r.trainRuntime,
    tokens_per_second: r.tokensPerSecond,
    epochs: r.epochs.map(epochRowEntry),
  });
  await writeFileAtomic(
    path,
    JSON.stringify(
      {
        dataset: options.dataset,
        labels: runs.base.labels,
        seed: options.seed ?? 42,
        args: {
          max_length: options.maxLength ?? 256,
          train_size: options.trainSize ?? null,
          test_size: options.testSize ?? null,
          learning_rate: options.learningRate ?? 2e-5,
          per_device_train_batch_size: options.perDeviceTrainBatchSize ?? 16,
          num_train_epochs: options.numTrainEpochs ?? 2,
          max_steps: options.maxSteps ?? -1,
          backend: options.backend,
        },
        base: summary(runs.base, baseModel),
        adapted: summary(runs.adapted, adaptedModel),
        difference: rows.map((r) => ({
          epoch: r.epoch,
          eval_accuracy: r.base && r.adapted ? r.adapted.accuracy! - r.base.accuracy! : null,
          eval_f1: r.base && r.adapted ? r.adapted.f1! - r.base.f1! : null,
          eval_loss: r.base && r.adapted ? r.adapted.evalLoss - r.base.evalLoss : null,
        })),
      },
      null,
      2,
    ) + "\n",
  );
  return { base: runs.base, adapted: runs.adapted, rows, table, path };
}
