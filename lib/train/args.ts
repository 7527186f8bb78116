/**
 * Training arguments, named as Hugging Face `TrainingArguments` (camelCase), resolved and checked in ONE place for
 * every trainer (masked LM and sequence classifier): defaults filled, the step counts derived, one set of error
 * messages naming the command-line flag (`--learning-rate: expected a number > 0, got 0`).
 *
 * @module
 */

/** Training arguments, named as HF `TrainingArguments` (camelCase). */
export interface TrainArgs {
  /** Where checkpoints, metrics and the final model go. */
  outputDir: string;
  /** Peak learning rate (default 2e-5). */
  learningRate?: number;
  /** AdamW weight decay (default 0.01; none for biases and LayerNorm). */
  weightDecay?: number;
  /** AdamW beta1 (0.9). */
  adamBeta1?: number;
  /** AdamW beta2 (0.999). */
  adamBeta2?: number;
  /** AdamW epsilon (1e-8). */
  adamEpsilon?: number;
  /** Rows per micro-batch (default 64 for the masked LM). */
  perDeviceTrainBatchSize?: number;
  /** Epochs (default 3 for the masked LM). */
  numTrainEpochs?: number;
  /** When > 0, the total number of optimizer steps (overrides epochs, as HF). */
  maxSteps?: number;
  /** Linear warm-up steps (default 0). */
  warmupSteps?: number;
  /** Global gradient-norm clip (default 1.0; 0 disables). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradientAccumulationSteps?: number;
  /** Log every this many optimizer steps (default: steps per epoch, like the course's `len(train) // batch`). */
  loggingSteps?: number;
  /** Seed of every random stream (default 42). */
  seed?: number;
  /** `"epoch"` (default), `"steps"` or `"no"`. */
  saveStrategy?: "epoch" | "steps" | "no";
  /** Steps between checkpoints with `saveStrategy: "steps"` (default 500). */
  saveSteps?: number;
  /** Keep at most this many checkpoints. */
  saveTotalLimit?: number;
  /** Continue from this `checkpoint-STEP` folder. */
  resumeFromCheckpoint?: string;
}

/** The defaults a trainer brings where HF's differ by task (the course's masked-LM and classifier values). */
export interface ArgDefaults {
  /** Rows per micro-batch when not given. */
  perDeviceTrainBatchSize: number;
  /** Epochs when not given. */
  numTrainEpochs: number;
  /** `loggingSteps` when not given, from the steps per epoch. */
  loggingSteps: (stepsPerEpoch: number) => number;
}

/** The masked-LM trainer's defaults (the course: batch 64, 3 epochs, one log per epoch). */
export const MLM_DEFAULTS: ArgDefaults = {
  perDeviceTrainBatchSize: 64,
  numTrainEpochs: 3,
  loggingSteps: (perEpoch) => perEpoch,
};

/** {@link TrainArgs} with every default filled and the run's step counts derived. */
export interface ResolvedArgs extends Required<Omit<TrainArgs, "resumeFromCheckpoint" | "saveTotalLimit">> {
  /** Continue from this folder. */
  resumeFromCheckpoint?: string;
  /** Keep at most this many checkpoints. */
  saveTotalLimit?: number;
  /** Training rows. */
  trainSamples: number;
  /** Micro-batches per epoch: `ceil(trainSamples / perDeviceTrainBatchSize)`. */
  batchesPerEpoch: number;
  /** Optimizer steps per epoch: `ceil(batchesPerEpoch / gradientAccumulationSteps)`. */
  stepsPerEpoch: number;
  /** Optimizer steps of the whole run (`maxSteps`, else `ceil(numTrainEpochs * stepsPerEpoch)`). */
  totalSteps: number;
  /** Epochs the run touches: `ceil(totalSteps / stepsPerEpoch)`. */
  numEpochs: number;
}

function integer(flag: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`--${flag}: expected an integer >= ${min}, got ${v}`);
}

function number(flag: string, v: number, min: number, strict: boolean): void {
  const ok = Number.isFinite(v) && (strict ? v > min : v >= min);
  if (!ok) throw new Error(`--${flag}: expected a number ${strict ? ">" : ">="} ${min}, got ${v}`);
}

/**
 * Steps per epoch: `ceil(ceil(n / batch) / accumulation)` (the last micro-batch and the last step may be short).
 *
 * @example
 * ```ts
 * import { stepsPerEpoch } from "./args.ts";
 * if (stepsPerEpoch(10000, { batchSize: 64, accumulation: 1 }) !== 157) throw new Error("course: 157");
 * ```
 */
export function stepsPerEpoch(n: number, options: { batchSize: number; accumulation: number }): number {
  integer("per-device-train-batch-size", options.batchSize, 1);
  integer("gradient-accumulation-steps", options.accumulation, 1);
  if (!(n >= 1)) throw new Error("the training set is empty");
  return Math.ceil(Math.ceil(n / options.batchSize) / options.accumulation);
}

/** {@link TrainArgs} with every default filled, before the training set is known. */
function fill(args: TrainArgs, defaults: ArgDefaults, perEpoch: number) {
  return {
    outputDir: args.outputDir,
    learningRate: args.learningRate ?? 2e-5,
    weightDecay: args.weightDecay ?? 0.01,
    adamBeta1: args.adamBeta1 ?? 0.9,
    adamBeta2: args.adamBeta2 ?? 0.999,
    adamEpsilon: args.adamEpsilon ?? 1e-8,
    perDeviceTrainBatchSize: args.perDeviceTrainBatchSize ?? defaults.perDeviceTrainBatchSize,
    numTrainEpochs: args.numTrainEpochs ?? defaults.numTrainEpochs,
    maxSteps: args.maxSteps ?? -1,
    warmupSteps: args.warmupSteps ?? 0,
    maxGradNorm: args.maxGradNorm ?? 1.0,
    gradientAccumulationSteps: args.gradientAccumulationSteps ?? 1,
    loggingSteps: args.loggingSteps ?? defaults.loggingSteps(perEpoch),
    seed: args.seed ?? 42,
    saveStrategy: args.saveStrategy ?? "epoch",
    saveSteps: args.saveSteps ?? 500,
    saveTotalLimit: args.saveTotalLimit,
    resumeFromCheckpoint: args.resumeFromCheckpoint,
  };
}

/**
 * Check every value of `args` (with `defaults` filled) before any data is loaded; {@link resolveTrainArgs} runs the
 * same checks. Errors name the flag: `--warmup-steps: expected an integer >= 0, got -1`.
 *
 * @example
 * ```ts
 * import { checkTrainArgs, MLM_DEFAULTS } from "./args.ts";
 * checkTrainArgs({ outputDir: "runs/x" }, MLM_DEFAULTS);
 * const err = (() => { try { checkTrainArgs({ outputDir: "x", learningRate: 0 }, MLM_DEFAULTS); } catch (e) { return e as Error; } })();
 * if (err?.message !== "--learning-rate: expected a number > 0, got 0") throw new Error(err?.message);
 * ```
 */
export function checkTrainArgs(args: TrainArgs, defaults: ArgDefaults): void {
  const a = fill(args, defaults, 1);
  if (typeof a.outputDir !== "string" || a.outputDir === "") throw new Error("--output-dir: expected a folder");
  integer("per-device-train-batch-size", a.perDeviceTrainBatchSize, 1);
  integer("gradient-accumulation-steps", a.gradientAccumulationSteps, 1);
  number("learning-rate", a.learningRate, 0, true);
  number("weight-decay", a.weightDecay, 0, false);
  number("adam-epsilon", a.adamEpsilon, 0, false);
  for (const [flag, v] of [["adam-beta1", a.adamBeta1], ["adam-beta2", a.adamBeta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new Error(`--${flag}: expected a number in [0, 1), got ${v}`);
  }
  number("max-grad-norm", a.maxGradNorm, 0, false);
  integer("warmup-steps", a.warmupSteps, 0);
  integer("logging-steps", a.loggingSteps, 1);
  integer("save-steps", a.saveSteps, 1);
  if (a.saveTotalLimit !== undefined) integer("save-total-limit", a.saveTotalLimit, 1);
  integer("seed", a.seed, 0);
  if (!Number.isInteger(a.maxSteps)) throw new Error(`--max-steps: expected an integer, got ${a.maxSteps}`);
  if (a.maxSteps <= 0) number("num-train-epochs", a.numTrainEpochs, 0, true);
  if (!["epoch", "steps", "no"].includes(a.saveStrategy)) {
    throw new Error(`--save-strategy: expected epoch, steps or no, got ${JSON.stringify(a.saveStrategy)}`);
  }
}

/**
 * Fill the defaults of `args` (`defaults` for what differs by task), check every value ({@link checkTrainArgs}),
 * and derive the step counts for `trainSamples` training rows.
 *
 * @example
 * ```ts
 * import { MLM_DEFAULTS, resolveTrainArgs } from "./args.ts";
 * const a = resolveTrainArgs({ outputDir: "runs/x", numTrainEpochs: 2 }, { trainSamples: 1000, defaults: MLM_DEFAULTS });
 * if (a.stepsPerEpoch !== 16 || a.totalSteps !== 32 || a.loggingSteps !== 16) throw new Error(JSON.stringify(a));
 * ```
 */
export function resolveTrainArgs(
  args: TrainArgs,
  options: { trainSamples: number; defaults: ArgDefaults },
): ResolvedArgs {
  const { trainSamples, defaults } = options;
  checkTrainArgs(args, defaults);
  const batchSize = args.perDeviceTrainBatchSize ?? defaults.perDeviceTrainBatchSize;
  const perEpoch = stepsPerEpoch(trainSamples, { batchSize, accumulation: args.gradientAccumulationSteps ?? 1 });
  const a = fill(args, defaults, perEpoch);
  integer("logging-steps", a.loggingSteps, 1);
  const totalSteps = a.maxSteps > 0 ? a.maxSteps : Math.ceil(a.numTrainEpochs * perEpoch);
  return {
    ...a,
    trainSamples,
    batchesPerEpoch: Math.ceil(trainSamples / batchSize),
    stepsPerEpoch: perEpoch,
    totalSteps,
    numEpochs: Math.ceil(totalSteps / perEpoch),
  };
}
