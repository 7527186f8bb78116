/**
 * Where a training run's outputs go. {@link runTraining} never opens a file: it hands its log rows (the lines of
 * `metrics.jsonl`, see `lib/log_schema.ts`), its checkpoints (optimizer tensors and states) and its progress to a
 * {@link RunSink}. The app layer's file sink (`lib/app/file_sink.ts`) writes the run folder; {@link MemorySink} keeps
 * everything in memory (the browser page, the benchmark, tests).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { LogEntry, TrainerState } from "../log_schema.ts";
import type { AdamWState } from "./adamw.ts";
import type { TrainingState } from "./run_state.ts";

/** A checkpoint as the loop hands it over: the sink writes the model's weights beside these. */
export interface CheckpointData {
  /** Optimizer steps taken. */
  step: number;
  /** AdamW's state (device tensors: read them, do not dispose them). */
  optimizer: AdamWState;
  /** HF `trainer_state.json`. */
  trainerState: TrainerState;
  /** The data position, schedule and resume key (`training_state.json`). */
  trainingState: TrainingState;
  /** Keep at most this many checkpoints, this one included (`saveTotalLimit`); unlimited when absent. */
  keep?: number;
}

/** Weights as plain arrays, by HF parameter name. */
export type WeightArrays = Map<string, { shape: number[]; data: Float32Array }>;

/** A checkpoint read back by a sink, to continue from. */
export interface ResumePoint {
  /** Its name (a folder for the file sink). */
  name: string;
  /** AdamW's state (tensors the loop disposes once loaded). */
  optimizer: AdamWState;
  /** HF trainer state. */
  trainerState: TrainerState;
  /** The data position and schedule. */
  trainingState: TrainingState;
  /** The model's weights at that step. */
  weights: WeightArrays;
}

/** One optimizer step, read back: what a progress display shows. */
export interface StepProgress {
  /** Steps taken (1-based). */
  step: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** The step's training loss. */
  loss: number;
  /** The learning rate it trained with. */
  lr: number;
  /** Real tokens it trained on. */
  tokens: number;
}

/** Receives a run's log rows, checkpoints, progress and notes. */
export interface RunSink {
  /** Called once before the first row (the file sink writes its header line here). */
  start?(): Promise<void> | void;
  /** One row of the run log (a step, eval or summary line, as in HF `log_history`). */
  record(entry: LogEntry): Promise<void> | void;
  /** A step was read back. */
  progress?(step: StepProgress): void;
  /** A human-readable line (evaluations, resume and interrupt notes). */
  note(line: string): void;
  /** Keep a checkpoint; returns its name. Absent: the run keeps none (stopping just stops). */
  checkpoint?(data: CheckpointData): Promise<string>;
  /** The newest checkpoint already kept (from an earlier session), if any. */
  latestCheckpoint?(): Promise<string | undefined>;
  /** Read back the checkpoint `name` (`resumeFromCheckpoint`). */
  loadCheckpoint?(name: string): Promise<ResumePoint>;
  /** The run ended: its final trainer state; `interrupted` when it stopped on the signal (no final model then). */
  finish(end: { trainerState: TrainerState; interrupted: boolean }): Promise<void> | void;
  /** The run is over, finished or failed (a progress display clears its line). */
  close?(): void;
}

/**
 * A sink that keeps every row and note in memory and no checkpoint.
 *
 * @example
 * ```ts
 * import { MemorySink } from "./sink.ts";
 * const sink = new MemorySink();
 * await sink.record({ step: 1, loss: 2 });
 * sink.note("epoch 1: eval_loss 2");
 * if (sink.rows.length !== 1 || sink.notes[0] !== "epoch 1: eval_loss 2") throw new Error("kept");
 * ```
 */
export class MemorySink implements RunSink {
  /** Every row recorded, in order. */
  readonly rows: LogEntry[] = [];
  /** Every note, in order. */
  readonly notes: string[] = [];
  /** The final trainer state, once finished. */
  trainerState: TrainerState | undefined;
  readonly #onProgress?: (step: StepProgress) => void;
  readonly #onNote?: (line: string) => void;

  /** `onProgress` sees each step read back; `onNote` each note. */
  constructor(options: { onProgress?: (step: StepProgress) => void; onNote?: (line: string) => void } = {}) {
    this.#onProgress = options.onProgress;
    this.#onNote = options.onNote;
  }

  /** Keep the row. */
  record(entry: LogEntry): void {
    this.rows.push(entry);
  }

  /** Pass the step on to `onProgress`. */
  progress(step: StepProgress): void {
    this.#onProgress?.(step);
  }

  /** Keep the note (and pass it on). */
  note(line: string): void {
    this.notes.push(line);
    this.#onNote?.(line);
  }

  /** Keep the final trainer state. */
  finish(end: { trainerState: TrainerState }): void {
    this.trainerState = end.trainerState;
  }
}

/**
 * Copy `weights` into `params`: every parameter must be present with its shape (extra arrays, such as a tied decoder
 * saved twice, are ignored). `source` names where they came from, in errors.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { assignWeights } from "./sink.ts";
 * const w = tf.variable(tf.zeros([1]));
 * assignWeights(new Map([["w", w]]), new Map([["w", { shape: [1], data: Float32Array.of(3) }]]), "test");
 * if (w.dataSync()[0] !== 3) throw new Error("assigned");
 * ```
 */
export function assignWeights(params: Map<string, tf.Variable>, weights: WeightArrays, source: string): void {
  for (const [name, p] of params) {
    const t = weights.get(name);
    if (!t) throw new Error(`${source}: parameter "${name}" is missing`);
    if (t.shape.join() !== p.shape.join()) {
      throw new Error(`${source}: "${name}" has shape [${t.shape}], the model expects [${p.shape}]`);
    }
  }
  for (const [name, p] of params) {
    const t = weights.get(name)!;
    tf.tidy(() => p.assign(tf.tensor(t.data, t.shape, "float32")));
  }
}
