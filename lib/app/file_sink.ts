/**
 * The file sink: a training run's outputs in its run folder, as Hugging Face's `Trainer` lays them out.
 * `metrics.jsonl` (a header line, then every row the loop records, see `lib/log_schema.ts`), `trainer_state.json`,
 * `checkpoint-STEP/` folders (written whole through a temporary folder and a rename) and finally the model; a
 * progress bar on stderr.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";
import { headerLine, type LogEntry, type RunHeaderInfo, type TrainerState } from "../log_schema.ts";
import type { CheckpointData, ResumePoint, RunSink, StepProgress } from "../train/sink.ts";
import { listCheckpoints, loadCheckpoint, saveCheckpoint } from "./checkpoints.ts";
import { ProgressBar } from "./progress.ts";

/**
 * Write `trainer_state.json` in `dir` (HF's indent of 2, keys sorted as HF's `json.dumps(sort_keys=True)`).
 *
 * @example
 * ```ts
 * import { newTrainerState } from "../log_schema.ts";
 * import { writeTrainerState } from "./file_sink.ts";
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
 * import { appendJsonl } from "./file_sink.ts";
 * const path = `${await Deno.makeTempDir()}/metrics.jsonl`;
 * await appendJsonl(path, { step: 1, loss: 2.5 });
 * if (!(await Deno.readTextFile(path)).endsWith("}\n")) throw new Error("one line");
 * ```
 */
export async function appendJsonl(path: string, entry: LogEntry | Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(entry) + "\n", { append: true, create: true });
}

/** Options of {@link FileSink}. */
export interface FileSinkOptions {
  /** Write the model (config, weights, tokenizer files) into a folder: each checkpoint's, and the run folder at the end. */
  saveModel: (dir: string) => Promise<void>;
  /** The header line written first to `metrics.jsonl` ({@link headerLine}); none when absent. */
  runHeader?: RunHeaderInfo;
  /** Progress bar: `true` forces it, `false` hides it; default: on a TTY. */
  progress?: boolean;
  /** Lines of human-readable output (default: console.log). */
  log?: (line: string) => void;
  /** The run's data and masking options, written as `run_args.json` in each checkpoint (checked on resume). */
  runArgs?: Record<string, unknown>;
}

/**
 * A run folder as a {@link RunSink}.
 *
 * @example
 * ```ts
 * import { FileSink } from "./file_sink.ts";
 * import { newTrainerState } from "../log_schema.ts";
 * const dir = `${await Deno.makeTempDir()}/run`;
 * const sink = new FileSink(dir, { saveModel: (d) => Deno.writeTextFile(`${d}/config.json`, "{}"), progress: false });
 * await sink.start();
 * await sink.record({ step: 1, loss: 2 });
 * await sink.finish({ trainerState: newTrainerState({ global_step: 1 }), interrupted: false });
 * if (!(await Deno.readTextFile(`${dir}/metrics.jsonl`)).includes('"loss":2')) throw new Error("recorded");
 * if (!(await Deno.stat(`${dir}/config.json`)).isFile) throw new Error("the final model");
 * ```
 */
export class FileSink implements RunSink {
  /** The run folder. */
  readonly dir: string;
  readonly #options: FileSinkOptions;
  readonly #log: (line: string) => void;
  #bar: ProgressBar | undefined;

  /** A sink writing into `dir`. */
  constructor(dir: string, options: FileSinkOptions) {
    this.dir = dir;
    this.#options = options;
    this.#log = options.log ?? ((line: string) => console.log(line));
  }

  /** `metrics.jsonl` in the run folder. */
  get metricsPath(): string {
    return `${this.dir}/metrics.jsonl`;
  }

  /** Make the folder and write the header line. */
  async start(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    if (this.#options.runHeader) await appendJsonl(this.metricsPath, headerLine(this.#options.runHeader));
  }

  /** Append a row to `metrics.jsonl`. */
  async record(entry: LogEntry): Promise<void> {
    await appendJsonl(this.metricsPath, entry);
  }

  /** Advance the progress bar. */
  progress(step: StepProgress): void {
    this.#bar ??= new ProgressBar({ total: step.totalSteps, force: this.#options.progress });
    this.#bar.update({ step: step.step, loss: step.loss, lr: step.lr, tokens: step.tokens });
  }

  /** Clear the bar and print the line. */
  note(line: string): void {
    this.#bar?.done();
    this.#log(line);
  }

  /** Write `checkpoint-STEP/` (model, optimizer, states) and apply the checkpoint limit. */
  async checkpoint(data: CheckpointData): Promise<string> {
    return await saveCheckpoint(this.dir, {
      saveModel: this.#options.saveModel,
      optimizer: data.optimizer,
      trainerState: data.trainerState,
      trainingState: data.trainingState,
      saveTotalLimit: data.keep,
      runArgs: this.#options.runArgs,
    });
  }

  /** The newest `checkpoint-STEP/` in the folder. */
  async latestCheckpoint(): Promise<string | undefined> {
    return (await listCheckpoints(this.dir)).at(-1)?.dir;
  }

  /** Read a checkpoint folder. */
  async loadCheckpoint(name: string): Promise<ResumePoint> {
    return await loadCheckpoint(name);
  }

  /** Write `trainer_state.json` and, unless interrupted, the final model. */
  async finish(end: { trainerState: TrainerState; interrupted: boolean }): Promise<void> {
    this.#bar?.done();
    await writeTrainerState(this.dir, end.trainerState);
    if (!end.interrupted) await this.#options.saveModel(this.dir);
  }

  /** Clear the progress bar. */
  close(): void {
    this.#bar?.done();
  }
}
