/**
 * Training arguments, named as Hugging Face `TrainingArguments` (camelCase), in one table
 * ({@link TRAINING_ARGUMENTS}: name, flag, kind, default, bounds, help) from which the defaults, the checks and the
 * command-line flags (`lib/app/flags.ts`) all derive; resolved once for every trainer (masked LM, sequence
 * classifier, the page, the benchmark). A bad value fails with an {@link OptionError} naming the option
 * (`learningRate must be a number > 0, got 0`); the tasks say it in flag language.
 *
 * @module
 */

/**
 * Training arguments, named as HF `TrainingArguments` (camelCase): the run folder, the checkpoint to resume from, and
 * one optional field per row of {@link TRAINING_ARGUMENTS} (its name; a number, or one of its choices), whose help,
 * default and bounds are that row's.
 */
export interface TrainArgs extends TableArgs {
  /** Where checkpoints, metrics and the final model go. */
  outputDir: string;
  /** Continue from this `checkpoint-STEP` folder. */
  resumeFromCheckpoint?: string;
  /**
   * Mixed precision (HF's `fp16`): dynamic loss scaling with torch's `GradScaler` defaults in the loop; the backend
   * must be set up for half precision (`selectBackend`'s `fp16`), which the tasks do. Default false.
   */
  fp16?: boolean;
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

/** A bad argument value: names the option (camelCase) and what was expected; {@link OptionError.flagMessage} says it as a flag. */
export class OptionError extends Error {
  /** The option, camelCase (`learningRate`). */
  readonly option: string;
  /** What it must be (`a number > 0`). */
  readonly expected: string;
  /** The value given, as written in messages. */
  readonly got: string;
  /** `option must be expected, got got`. */
  constructor(option: string, expected: string, got: unknown) {
    const shown = typeof got === "string" ? JSON.stringify(got) : String(got);
    super(`${option} must be ${expected}, got ${shown}`);
    this.name = "OptionError";
    this.option = option;
    this.expected = expected;
    this.got = shown;
  }

  /** The same in flag language: `--learning-rate: expected a number > 0, got 0`. */
  get flagMessage(): string {
    return `--${kebab(this.option)}: expected ${this.expected}, got ${this.got}`;
  }
}

/**
 * camelCase to kebab-case (`perDeviceTrainBatchSize` → `per-device-train-batch-size`; `adamBeta1` → `adam-beta1`).
 *
 * @example
 * ```ts
 * import { kebab } from "./args.ts";
 * if (kebab("perDeviceTrainBatchSize") !== "per-device-train-batch-size") throw new Error("kebab");
 * ```
 */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** An integer argument of at least `min`. */
export type IntegerKind = { type: "integer"; min: number };
/** A number argument: at least `min` (above it with `strict`), below `below` when given. */
export type NumberKind = { type: "number"; min: number; strict?: boolean; below?: number };
/** An argument that is one of `choices`. */
export type ChoiceKind<C extends string = string> = { type: "choice"; choices: readonly C[] };
/** How an argument's value is read and checked. */
export type ArgumentKind = IntegerKind | NumberKind | ChoiceKind;

/** The value of an argument of kind `K`: one of its choices, or a number. */
export type ArgumentValue<K extends ArgumentKind> = K extends ChoiceKind<infer C> ? C : number;

/** One row of {@link TRAINING_ARGUMENTS}. */
export interface ArgumentSpec {
  /** camelCase name: the {@link TrainArgs} field (HF's `TrainingArguments` field in camelCase). */
  name: string;
  /** Kind and bounds. */
  kind: ArgumentKind;
  /** HF's default; `undefined` where the task brings it ({@link ArgDefaults}) or where the argument is optional. */
  default?: number | string;
  /** One line of help. */
  help: string;
}

function int(min: number): IntegerKind {
  return { type: "integer", min };
}

function num(min: number, more: { strict?: boolean; below?: number } = {}): NumberKind {
  return { type: "number", min, ...more };
}

function choice<C extends string>(...choices: C[]): ChoiceKind<C> {
  return { type: "choice", choices };
}

/**
 * The table's arguments as a type, one optional field per row (help, default and bounds: the row). The compiler holds
 * it equal to the rows (`RowArgs` below), so a row without a field or a field without a row does not type-check.
 */
export interface TableArgs {
  /** Peak learning rate (default 2e-5). */
  learningRate?: number;
  /** AdamW weight decay (default 0.01). */
  weightDecay?: number;
  /** AdamW beta1 (default 0.9). */
  adamBeta1?: number;
  /** AdamW beta2 (default 0.999). */
  adamBeta2?: number;
  /** AdamW epsilon (default 1e-8). */
  adamEpsilon?: number;
  /** Rows per training batch. */
  perDeviceTrainBatchSize?: number;
  /** Epochs. */
  numTrainEpochs?: number;
  /** Total optimizer steps when > 0 (overrides epochs; default -1). */
  maxSteps?: number;
  /** Linear warm-up steps (default 0). */
  warmupSteps?: number;
  /** Global gradient-norm clip (0: off; default 1). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradientAccumulationSteps?: number;
  /** Log every N steps. */
  loggingSteps?: number;
  /** Seed of every random stream (default 42). */
  seed?: number;
  /** When checkpoints are saved (default `"epoch"`). */
  saveStrategy?: "epoch" | "steps" | "no";
  /** Steps between checkpoints with `saveStrategy: "steps"` (default 500). */
  saveSteps?: number;
  /** Keep at most N checkpoints. */
  saveTotalLimit?: number;
}

/** The rows, with their literal names and kinds ({@link TableArgs} is held equal to them at compile time). */
const ROWS = [
  { name: "learningRate", kind: num(0, { strict: true }), default: 2e-5, help: "peak learning rate" },
  { name: "weightDecay", kind: num(0), default: 0.01, help: "AdamW weight decay (none for biases and LayerNorm)" },
  { name: "adamBeta1", kind: num(0, { below: 1 }), default: 0.9, help: "AdamW beta1" },
  { name: "adamBeta2", kind: num(0, { below: 1 }), default: 0.999, help: "AdamW beta2" },
  { name: "adamEpsilon", kind: num(0), default: 1e-8, help: "AdamW epsilon" },
  { name: "perDeviceTrainBatchSize", kind: int(1), help: "rows per training batch" },
  { name: "numTrainEpochs", kind: num(0, { strict: true }), help: "epochs" },
  { name: "maxSteps", kind: int(-1), default: -1, help: "total optimizer steps when > 0 (overrides epochs)" },
  { name: "warmupSteps", kind: int(0), default: 0, help: "linear warm-up steps" },
  { name: "maxGradNorm", kind: num(0), default: 1.0, help: "global gradient-norm clip (0: off)" },
  { name: "gradientAccumulationSteps", kind: int(1), default: 1, help: "micro-batches per optimizer step" },
  { name: "loggingSteps", kind: int(1), help: "log every N steps" },
  { name: "seed", kind: int(0), default: 42, help: "seed of every random stream" },
  { name: "saveStrategy", kind: choice("epoch", "steps", "no"), default: "epoch", help: "epoch, steps or no" },
  { name: "saveSteps", kind: int(1), default: 500, help: "steps between checkpoints with --save-strategy steps" },
  { name: "saveTotalLimit", kind: int(1), help: "keep at most N checkpoints" },
] as const satisfies readonly ArgumentSpec[];

// The rows as a type; TableArgs must equal it (both ways), or this does not compile.
type RowArgs = { [A in (typeof ROWS)[number] as A["name"]]?: ArgumentValue<A["kind"]> };
const _tableMatchesRows: [Required<RowArgs>, Required<TableArgs>] extends [Required<TableArgs>, Required<RowArgs>]
  ? true
  : never = true;

/** The names of the table's arguments. */
export type ArgumentName = keyof TableArgs;

/**
 * The training arguments: the {@link TrainArgs} fields, every default, check and command-line flag derive from this
 * table (the flag is the name in kebab-case: `learningRate` → `--learning-rate`, its help the row's). Adding an
 * argument is adding a row.
 *
 * @example
 * ```ts
 * import { TRAINING_ARGUMENTS } from "./args.ts";
 * const lr = TRAINING_ARGUMENTS.find((a) => a.name === "learningRate");
 * if (lr?.default !== 2e-5) throw new Error("HF's default learning rate");
 * ```
 */
export const TRAINING_ARGUMENTS: readonly (ArgumentSpec & { name: ArgumentName })[] = ROWS;

/** What an argument of `kind` must be, as messages say it (`an integer >= 1`). */
export function expectation(kind: ArgumentKind): string {
  if (kind.type === "integer") return `an integer >= ${kind.min}`;
  if (kind.type === "choice") return `${kind.choices.slice(0, -1).join(", ")} or ${kind.choices.at(-1)}`;
  if (kind.below !== undefined) return `a number in [${kind.min}, ${kind.below})`;
  return `a number ${kind.strict ? ">" : ">="} ${kind.min}`;
}

/**
 * Check one value against its kind; fails with an {@link OptionError} naming `option`.
 *
 * @example
 * ```ts
 * import { checkArgument } from "./args.ts";
 * checkArgument("seed", { type: "integer", min: 0 }, 3);
 * let msg = "";
 * try { checkArgument("seed", { type: "integer", min: 0 }, -1); } catch (e) { msg = (e as Error).message; }
 * if (msg !== "seed must be an integer >= 0, got -1") throw new Error(msg);
 * ```
 */
export function checkArgument(option: string, kind: ArgumentKind, v: unknown): void {
  let ok: boolean;
  if (kind.type === "choice") ok = typeof v === "string" && kind.choices.includes(v);
  else if (typeof v !== "number" || !Number.isFinite(v)) ok = false;
  else if (kind.type === "integer") ok = Number.isInteger(v) && v >= kind.min;
  else ok = (kind.strict ? v > kind.min : v >= kind.min) && (kind.below === undefined || v < kind.below);
  if (!ok) throw new OptionError(option, expectation(kind), v);
}

const KIND = new Map(TRAINING_ARGUMENTS.map((a) => [a.name as string, a.kind]));

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
  checkArgument("perDeviceTrainBatchSize", KIND.get("perDeviceTrainBatchSize")!, options.batchSize);
  checkArgument("gradientAccumulationSteps", KIND.get("gradientAccumulationSteps")!, options.accumulation);
  if (!(n >= 1)) throw new Error("the training set is empty");
  return Math.ceil(Math.ceil(n / options.batchSize) / options.accumulation);
}

/** {@link TrainArgs} with every default filled, before the training set is known. */
function fill(args: TrainArgs, defaults: ArgDefaults, perEpoch: number): Omit<ResolvedArgs, DerivedCounts> {
  const byTask: Record<string, number> = {
    perDeviceTrainBatchSize: defaults.perDeviceTrainBatchSize,
    numTrainEpochs: defaults.numTrainEpochs,
    loggingSteps: defaults.loggingSteps(perEpoch),
  };
  const filled: Record<string, unknown> = {
    outputDir: args.outputDir,
    resumeFromCheckpoint: args.resumeFromCheckpoint,
  };
  for (const a of TRAINING_ARGUMENTS) filled[a.name] = args[a.name] ?? a.default ?? byTask[a.name];
  return filled as Omit<ResolvedArgs, DerivedCounts>;
}

type DerivedCounts = "trainSamples" | "batchesPerEpoch" | "stepsPerEpoch" | "totalSteps" | "numEpochs";

/**
 * Check every value of `args` (with `defaults` filled) before any data is loaded; {@link resolveTrainArgs} runs the
 * same checks. Errors are {@link OptionError}s naming the option: `warmupSteps must be an integer >= 0, got -1`.
 *
 * @example
 * ```ts
 * import { checkTrainArgs, MLM_DEFAULTS } from "./args.ts";
 * checkTrainArgs({ outputDir: "runs/x" }, MLM_DEFAULTS);
 * const err = (() => { try { checkTrainArgs({ outputDir: "x", learningRate: 0 }, MLM_DEFAULTS); } catch (e) { return e as Error; } })();
 * if (err?.message !== "learningRate must be a number > 0, got 0") throw new Error(err?.message);
 * ```
 */
export function checkTrainArgs(args: TrainArgs, defaults: ArgDefaults): void {
  const a = fill(args, defaults, 1) as unknown as Record<string, unknown>;
  if (typeof a.outputDir !== "string") throw new OptionError("outputDir", "a folder", a.outputDir);
  for (const spec of TRAINING_ARGUMENTS) {
    const v = a[spec.name];
    if (v === undefined) continue; // optional (saveTotalLimit)
    if (spec.name === "numTrainEpochs" && (a.maxSteps as number) > 0) continue; // maxSteps overrides epochs
    checkArgument(spec.name, spec.kind, v);
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
  checkArgument("loggingSteps", KIND.get("loggingSteps")!, a.loggingSteps);
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
