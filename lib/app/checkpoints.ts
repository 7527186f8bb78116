/**
 * Training checkpoints in Hugging Face's layout: `OUTPUT_DIR/checkpoint-STEP/` holds the model (`config.json`,
 * `model.safetensors`, tokenizer files — written by the caller's `saveModel`), `optimizer.safetensors` (AdamW's
 * `m.<param>`, `v.<param>` and `step`), `trainer_state.json` (HF's) and `training_state.json` (ours: seed, schedule,
 * data position, RNG state). A checkpoint is written to a temporary folder and renamed, so a folder named
 * `checkpoint-STEP` is always complete. Older checkpoints beyond `saveTotalLimit` are removed, oldest first.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "../model/safetensors.ts";
import type { AdamWState } from "../train/adamw.ts";
import type { TrainingState } from "../train/run_state.ts";
import { assignWeights, type ResumePoint, type WeightArrays } from "../train/sink.ts";
import { writeDirAtomic, writeFileAtomic } from "../fs.ts";
import type { TrainerState } from "../log_schema.ts";
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { writeTrainerState } from "./file_sink.ts";

/** The files a `checkpoint-STEP/` folder of this toolkit may hold (the model's, the optimizer's and the states). */
export const CHECKPOINT_FILES: readonly string[] = [
  "config.json",
  "model.safetensors",
  ...TOKENIZER_FILES,
  "optimizer.safetensors",
  "trainer_state.json",
  "training_state.json",
  "run_args.json",
];

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Writes the model (config, weights, tokenizer files) into the folder given. */
  saveModel: (dir: string) => Promise<void>;
  /** Optimizer state to save (tensors are read, not disposed). */
  optimizer: AdamWState;
  /** HF trainer state. */
  trainerState: TrainerState;
  /** Our resume state. */
  trainingState: TrainingState;
  /** Keep at most this many `checkpoint-*` folders (oldest removed first); unlimited when absent. */
  saveTotalLimit?: number;
  /** The data arguments of the run, written as `run_args.json` (checked when resuming). */
  runArgs?: Record<string, unknown>;
}

/**
 * `checkpoint-STEP` folders under `outputDir`, sorted by step.
 *
 * @example
 * ```ts
 * import { listCheckpoints } from "./checkpoints.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/checkpoint-10`);
 * await Deno.mkdir(`${dir}/checkpoint-2`);
 * if ((await listCheckpoints(dir)).map((c) => c.step).join() !== "2,10") throw new Error("sorted by step");
 * ```
 */
export async function listCheckpoints(outputDir: string): Promise<{ step: number; dir: string }[]> {
  const found: { step: number; dir: string }[] = [];
  try {
    for await (const e of Deno.readDir(outputDir)) {
      const m = /^checkpoint-(\d+)$/.exec(e.name);
      if (e.isDirectory && m) found.push({ step: Number(m[1]), dir: `${outputDir}/${e.name}` });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return found.sort((a, b) => a.step - b.step);
}

async function optimizerTensors(state: AdamWState): Promise<Map<string, SafeTensor>> {
  const out = new Map<string, SafeTensor>();
  for (const [kind, src] of [["m", state.m], ["v", state.v]] as const) {
    for (const [name, t] of src) {
      out.set(`${kind}.${name}`, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
    }
  }
  out.set("step", { shape: [1], data: Int32Array.of(state.step) });
  return out;
}

/**
 * Write `outputDir/checkpoint-STEP/` (STEP = `trainingState.global_step`) through a temporary folder and a rename,
 * then apply `saveTotalLimit`. Returns the folder.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { writeSafetensors } from "../model/safetensors.ts";
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoints.ts";
 * import { newTrainerState } from "../log_schema.ts";
 * const out = await Deno.makeTempDir();
 * const trainingState = {
 *   format: "mlm-adapt-training-state/1" as const, global_step: 1, epoch: 0, step_in_epoch: 1, steps_per_epoch: 2,
 *   epoch_evaluated: false, seed: 0, rng_state: [1, 2, 3, 4] as [number, number, number, number],
 *   scheduler: { type: "linear" as const, base_lr: 1e-3, warmup_steps: 0, total_steps: 2, last_lr: 5e-4 },
 *   args: {}, epoch_losses: [], tokens_seen: 8,
 * };
 * const optimizer = { step: 1, m: new Map([["w", tf.tensor([0.5])]]), v: new Map([["w", tf.tensor([0.25])]]) };
 * const dir = await saveCheckpoint(out, {
 *   saveModel: (d) => writeSafetensors(`${d}/model.safetensors`, new Map([["w", { shape: [1], data: Float32Array.of(1) }]])),
 *   optimizer, trainerState: newTrainerState({ global_step: 1 }), trainingState,
 * });
 * const back = await loadCheckpoint(dir);
 * if (back.optimizer.v.get("w")!.dataSync()[0] !== 0.25) throw new Error("round trip");
 * tf.dispose([...back.optimizer.m.values(), ...back.optimizer.v.values()]);
 * ```
 */
export async function saveCheckpoint(outputDir: string, options: SaveCheckpointOptions): Promise<string> {
  const step = options.trainingState.global_step;
  const final = `${outputDir}/checkpoint-${step}`;
  await writeDirAtomic(final, async (tmp) => {
    await options.saveModel(tmp);
    await writeSafetensors(`${tmp}/optimizer.safetensors`, await optimizerTensors(options.optimizer), {
      metadata: { format: "pt", optimizer: "AdamW" },
    });
    await writeTrainerState(tmp, options.trainerState);
    await writeFileAtomic(`${tmp}/training_state.json`, JSON.stringify(options.trainingState, null, 2) + "\n");
    if (options.runArgs) await writeFileAtomic(`${tmp}/run_args.json`, JSON.stringify(options.runArgs, null, 2) + "\n");
  });
  const limit = options.saveTotalLimit;
  if (limit !== undefined && limit > 0) {
    const all = await listCheckpoints(outputDir);
    for (const old of all.slice(0, Math.max(0, all.length - limit))) {
      if (old.dir !== final) await Deno.remove(old.dir, { recursive: true });
    }
  }
  return final;
}

/**
 * Read a checkpoint's optimizer and training state and its model's weights; a missing folder or file fails naming
 * it.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "./checkpoints.ts";
 * let msg = "";
 * await loadCheckpoint("/no/such/checkpoint-5").catch((e) => msg = e.message);
 * if (!msg.includes("/no/such/checkpoint-5")) throw new Error(msg);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<ResumePoint> {
  const stat = await Deno.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory) throw new Error(`checkpoint ${dir}: no such folder`);
  for (const f of ["optimizer.safetensors", "trainer_state.json", "training_state.json", "model.safetensors"]) {
    if (!(await Deno.stat(`${dir}/${f}`).catch(() => undefined))) {
      throw new Error(`checkpoint ${dir}: ${f} is missing (not a checkpoint written by this trainer?)`);
    }
  }
  const trainingState = await readTrainingState(`${dir}/training_state.json`);
  const trainerState = await readTrainerState(`${dir}/trainer_state.json`);
  const file = await readSafetensors(`${dir}/optimizer.safetensors`);
  const m = new Map<string, tf.Tensor>(), v = new Map<string, tf.Tensor>();
  let step: number | undefined;
  for (const [name, t] of file.tensors) {
    if (name === "step") step = t.data[0];
    else if (name.startsWith("m.")) m.set(name.slice(2), tf.tensor(t.data, t.shape, "float32"));
    else if (name.startsWith("v.")) v.set(name.slice(2), tf.tensor(t.data, t.shape, "float32"));
    else throw new Error(`checkpoint ${dir}/optimizer.safetensors: unexpected tensor "${name}"`);
  }
  if (step === undefined) throw new Error(`checkpoint ${dir}/optimizer.safetensors: no "step" tensor`);
  return { name: dir, optimizer: { step, m, v }, trainerState, trainingState, weights: await readWeights(dir) };
}

/**
 * Copy the weights of `dir/model.safetensors` into `params` (every parameter must be present with its shape; extra
 * tensors, such as a tied decoder saved twice, are ignored).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { writeSafetensors } from "../model/safetensors.ts";
 * import { restoreWeights } from "./checkpoints.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/model.safetensors`, new Map([["w", { shape: [1], data: Float32Array.of(3) }]]));
 * const w = tf.variable(tf.zeros([1]));
 * await restoreWeights(new Map([["w", w]]), dir);
 * if (w.dataSync()[0] !== 3) throw new Error("restored");
 * ```
 */
export async function restoreWeights(params: Map<string, tf.Variable>, dir: string): Promise<void> {
  assignWeights(params, await readWeights(dir), `${dir}/model.safetensors`);
}

async function readWeights(dir: string): Promise<WeightArrays> {
  const file = await readSafetensors(`${dir}/model.safetensors`);
  const weights: WeightArrays = new Map();
  for (const [name, t] of file.tensors) {
    if (t.data instanceof Float32Array) weights.set(name, { shape: t.shape, data: t.data });
  }
  return weights;
}

/**
 * Read the JSON object in `path`; fails naming the file when it cannot be read, is not JSON (a torn write) or not an
 * object.
 *
 * @example
 * ```ts
 * import { readJsonObject } from "./checkpoints.ts";
 * const path = `${await Deno.makeTempDir()}/trainer_state.json`;
 * await Deno.writeTextFile(path, '{"global_step": 3');
 * const err = await readJsonObject(path, "HF trainer state").catch((e) => e);
 * if (!String(err.message).startsWith(`${path}: expected HF trainer state`)) throw new Error(err.message);
 * ```
 */
export async function readJsonObject(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: expected ${what} as a JSON object, but it is not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new Error(`${path}: expected ${what} as a JSON object, got ${Array.isArray(v) ? "an array" : typeof v}`);
  }
  return v as Record<string, unknown>;
}

type Kind = "integer" | "number" | "boolean" | "object" | "array" | "number|null";

function checkFields(path: string, o: Record<string, unknown>, fields: Record<string, Kind>, prefix = ""): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = o[name];
    const ok = kind === "integer"
      ? Number.isInteger(v) && (v as number) >= 0
      : kind === "number"
      ? typeof v === "number" && Number.isFinite(v)
      : kind === "number|null"
      ? v === null || (typeof v === "number" && Number.isFinite(v))
      : kind === "array"
      ? Array.isArray(v)
      : kind === "object"
      ? v !== null && typeof v === "object" && !Array.isArray(v)
      : typeof v === "boolean";
    if (!ok) {
      const expected = kind === "integer"
        ? "an integer >= 0"
        : kind === "number|null"
        ? "a number or null"
        : `a ${kind}`;
      throw new Error(
        `${path}: field "${prefix}${name}": expected ${expected}, got ${
          v === undefined ? "nothing" : JSON.stringify(v)
        }`,
      );
    }
  }
}

/** `training_state.json`, checked field by field. */
async function readTrainingState(path: string): Promise<TrainingState> {
  const o = await readJsonObject(path, "a training state (mlm-adapt-training-state/1)");
  if (o.format !== "mlm-adapt-training-state/1") {
    throw new Error(`${path}: unknown format ${JSON.stringify(o.format)} (expected "mlm-adapt-training-state/1")`);
  }
  checkFields(path, o, {
    global_step: "integer",
    epoch: "integer",
    step_in_epoch: "integer",
    steps_per_epoch: "integer",
    epoch_evaluated: "boolean",
    seed: "integer",
    scheduler: "object",
    args: "object",
    epoch_losses: "array",
    tokens_seen: "integer",
  });
  (o.epoch_losses as unknown[]).forEach((e, i) => {
    if (e === null || typeof e !== "object") throw new Error(`${path}: field "epoch_losses[${i}]": expected an object`);
    checkFields(
      path,
      e as Record<string, unknown>,
      { epoch: "integer", loss_sum: "number", steps: "integer" },
      `epoch_losses[${i}].`,
    );
  });
  checkFields(
    path,
    o.scheduler as Record<string, unknown>,
    { base_lr: "number", total_steps: "integer" },
    "scheduler.",
  );
  return o as unknown as TrainingState;
}

/** HF's `trainer_state.json`, checked in the fields a resume reads. */
async function readTrainerState(path: string): Promise<TrainerState> {
  const o = await readJsonObject(path, "HF trainer state");
  checkFields(path, o, { global_step: "integer", log_history: "array", best_metric: "number|null" });
  return o as unknown as TrainerState;
}
