/**
 * The training-speed benchmark: a randomly initialised masked LM of a named shape trained on random MLM batches by
 * the trainer's own loop (`runTraining` of `lib/train` with an in-memory sink: loss with dropout →
 * `tf.variableGrads` → `AdamW.update`, global-norm clip and the linear schedule included), timed per step through
 * the loop's step hooks: each step is enqueued, then the previous step's read is awaited and this step's issued (the
 * last step's read is part of the timed wall time).
 *
 * With `splitPhases` the same number of steps is run again by `profileSteps`, with a sync after each phase: forward
 * (the loss alone), forward + backward, optimizer (`AdamW.update`); the backward is the second minus the first. Tokens
 * per step are `batch × seq` (every position is a real token), the count PyTorch's reference
 * (`tools/reference/bench_train_torch.py`) uses for the same shapes.
 *
 * On WebGPU the timed steps also report: GPU dispatches per step ({@link countWebgpuDispatches}: forward, backward,
 * optimizer), blocking read-backs per step ({@link countWebgpuReadbacks}: 0 when nothing inside a step waits for the
 * GPU), and the host's encode time: from the start of a step until its last command buffer is submitted, without
 * waiting for the GPU (`encode_ms`, and per dispatch `encode_us_per_dispatch`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { createMlmCollator } from "../collate/mlm.ts";
import { maxSequenceLength, parseConfig } from "../model/config.ts";
import { initMaskedLM } from "../model/init.ts";
import { type MaskedLM, maxBindingBytes } from "../model/masked_lm.ts";
import { type BackendName, MATMUL_NAMES, type MatMulName, selectBackend } from "../model/backend.ts";
import { installWriteBufferUpload, uninstallWriteBufferUpload } from "../model/kernels/webgpu_upload.ts";
import { importTfWebgpu } from "../deps.ts";
import { profileSteps, type StepPhaseTimes } from "../train/step.ts";
import { runTraining, type StepHooks } from "../train/trainer.ts";
import { MemorySink } from "../train/sink.ts";
import { heldBytes, watchPeak } from "./gpu_memory.ts";
import {
  countWebgpuDispatches,
  countWebgpuReadbacks,
  type DispatchCounter,
  type ReadbackCounter,
} from "./dispatch_counter.ts";

/**
 * The `config.json` fields a benchmark size sets: `model_type` and `vocab_size`, and the sizes of that model type
 * (HF's field names; every field not given takes transformers' default for the type).
 */
export interface ModelShape {
  /** `distilbert`, `bert`, `roberta` or `modernbert`. */
  model_type: string;
  /** Vocabulary size. */
  vocab_size: number;
  /** The type's other size fields (`dim`/`n_layers`/… for DistilBERT, `hidden_size`/… for the others). */
  [field: string]: string | number | boolean | null;
}

/** A named benchmark shape. */
export type ModelSizeName =
  | "distilbert-base"
  | "small"
  | "tiny"
  | "bert-base"
  | "roberta-base"
  | "modernbert-base"
  | "roberta-tiny"
  | "modernbert-tiny";

/**
 * The named shapes. `distilbert-base`, `bert-base`, `roberta-base` and `modernbert-base` are the `config.json` values
 * of distilbert-base-uncased, bert-base-uncased, FacebookAI/roberta-base and answerdotai/ModernBERT-base; `small`
 * keeps DistilBERT's vocabulary with a BERT-mini-sized body; `tiny`, `roberta-tiny` and `modernbert-tiny` are for
 * quick checks on CPU machines (`modernbert-tiny` has one global and two sliding-window layers).
 * `tools/reference/bench_train_torch.py` has the same table.
 */
export const MODEL_SIZES: Readonly<Record<ModelSizeName, Readonly<ModelShape>>> = {
  "distilbert-base": {
    model_type: "distilbert",
    vocab_size: 30522,
    dim: 768,
    n_layers: 6,
    n_heads: 12,
    hidden_dim: 3072,
  },
  small: { model_type: "distilbert", vocab_size: 30522, dim: 256, n_layers: 4, n_heads: 4, hidden_dim: 1024 },
  tiny: { model_type: "distilbert", vocab_size: 1000, dim: 64, n_layers: 2, n_heads: 4, hidden_dim: 256 },
  "bert-base": {
    model_type: "bert",
    vocab_size: 30522,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    pad_token_id: 0,
  },
  "roberta-base": {
    model_type: "roberta",
    vocab_size: 50265,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    max_position_embeddings: 514,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
  },
  "modernbert-base": {
    model_type: "modernbert",
    vocab_size: 50368,
    hidden_size: 768,
    num_hidden_layers: 22,
    num_attention_heads: 12,
    intermediate_size: 1152,
    local_attention: 128,
    global_attn_every_n_layers: 3,
    global_rope_theta: 160000,
    local_rope_theta: 10000,
    max_position_embeddings: 8192,
    pad_token_id: 50283,
  },
  "roberta-tiny": {
    model_type: "roberta",
    vocab_size: 1000,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 256,
    max_position_embeddings: 514,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
  },
  "modernbert-tiny": {
    model_type: "modernbert",
    vocab_size: 1000,
    hidden_size: 64,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    intermediate_size: 96,
    local_attention: 8,
    global_attn_every_n_layers: 3,
    global_rope_theta: 160000,
    local_rope_theta: 10000,
    max_position_embeddings: 8192,
    pad_token_id: 0,
  },
};

/**
 * `shape` with `vocab_size` set to `vocabSize` (the `--vocab-size` override); a `pad_token_id` that no longer fits
 * becomes 0, the benchmark's padding id (its rows are full length, so it never occurs in a batch).
 *
 * @example
 * ```ts
 * import { MODEL_SIZES, withVocabSize } from "./train_bench.ts";
 * const s = withVocabSize(MODEL_SIZES["modernbert-base"], 4096);
 * if (s.vocab_size !== 4096 || s.pad_token_id !== 0 || s.num_hidden_layers !== 22) throw new Error("override");
 * ```
 */
export function withVocabSize(shape: Readonly<ModelShape>, vocabSize: number): ModelShape {
  const out: ModelShape = { ...shape, vocab_size: vocabSize };
  if (typeof out.pad_token_id === "number" && out.pad_token_id >= vocabSize) out.pad_token_id = 0;
  return out;
}

/** How tfjs-backend-webgpu uploads CPU-held tensors: `write` (queue.writeBuffer, the default) or tfjs's `mapped`. */
export type UploadPath = "write" | "mapped";

/**
 * WebGPU `BatchMatMul`: `auto` (the default, as every task: the register-tiled kernel on real adapters, and on software
 * ones for wide products only), `tiled` (`lib/model/kernels/webgpu_matmul.ts` for every product) or `tfjs` (tfjs's own).
 */
export type MatMulKernel = MatMulName;

/**
 * WebGPU AdamW update: the fused kernels over flat buffers (`AdamW`'s `"flat"` strategy,
 * `lib/model/kernels/webgpu_adamw_flat_kernel.ts`) or tf ops (`"ops"`).
 */
export type AdamWKernel = "fused" | "tfjs";

/** Options of {@link benchTrain}. */
export interface TrainBenchOptions {
  /** Model shape. */
  modelSize: ModelSizeName;
  /**
   * Vocabulary size instead of the shape's (default: the shape's). A larger table changes the GPU dispatches of a step
   * only where it changes the parameters' flat AdamW chunks or the MLM head's row blocks (see docs/benchmarks.md).
   */
  vocabSize?: number;
  /** Rows per batch. */
  batchSize: number;
  /** Tokens per row. */
  seqLen: number;
  /** Backend to select (`auto`: a real WebGPU adapter, else wasm). */
  backend: BackendName;
  /** Timed steps. */
  steps: number;
  /** Untimed steps first (shader compiles, buffer pools). */
  warmup: number;
  /** Also time each phase, with a sync after it. */
  splitPhases?: boolean;
  /** WebGPU upload path (default `write`). */
  upload?: UploadPath;
  /** WebGPU matmul kernel (default `auto`, as the tasks). */
  matmul?: MatMulKernel;
  /** WebGPU AdamW update (default `fused`). */
  adamw?: AdamWKernel;
  /** Seed of the weights, batches and dropout (default 0). */
  seed?: number;
  /** Mixed precision (`--fp16`: half-precision matmul operands, loss scaling); WebGPU with `shader-f16` only. */
  fp16?: boolean;
  /** Distinct random batches cycled through (default 4). */
  distinctBatches?: number;
  /** Learning rate (default 5e-5). */
  lr?: number;
  /** Global gradient-norm clip, 0 for none (default 1, as HF TrainingArguments). */
  maxGradNorm?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Per-phase means of the split-phase steps, in milliseconds. */
export type PhaseTimes = StepPhaseTimes;

/** GPU dispatches per timed step (means over the timed steps), on WebGPU. */
export interface DispatchCounts {
  /** The loss (embedding to loss). */
  forward: number;
  /** The rest of `variableGrads`. */
  backward: number;
  /** `AdamW.update` and the step's read: global-norm clip + AdamW. */
  optimizer: number;
  /** Forward + backward + optimizer. */
  total: number;
}

/** What {@link benchTrain} measured: one JSON line's worth. */
export interface TrainBenchResult {
  /** Always `"train"`. */
  bench: "train";
  /** `"deno-tfjs"` (PyTorch's script writes `"pytorch"`). */
  impl: "deno-tfjs";
  /** Named shape. */
  model_size: ModelSizeName;
  /** The shape's fields. */
  shape: ModelShape;
  /** Parameters (tied weights once). */
  params: number;
  /** Rows per batch. */
  batch_size: number;
  /** Tokens per row. */
  seq_len: number;
  /** tfjs backend. */
  backend: string;
  /** WebGPU adapter, when WebGPU. */
  adapter?: string;
  /** WebGPU upload path, when WebGPU. */
  upload?: UploadPath;
  /** WebGPU matmul kernel used, when WebGPU: `tfjs`, `tiled`, or `tiled (≥ N wide)` on a software adapter. */
  matmul?: string;
  /** WebGPU AdamW update, when WebGPU. */
  adamw?: AdamWKernel;
  /** GPU dispatches per step, when WebGPU. */
  dispatches?: DispatchCounts;
  /** Blocking GPU→CPU read-backs per timed step, when WebGPU (0: no step waits for the GPU). */
  readbacks_per_step?: number;
  /** GPU→CPU reads issued per timed step, blocking or not, when WebGPU (the step's loss, read a step late). */
  gpu_reads_per_step?: number;
  /** Mean host time from the start of a step until its last command buffer is submitted (no GPU wait). */
  encode_ms: number;
  /** `encode_ms` per dispatch in microseconds, when WebGPU. */
  encode_us_per_dispatch?: number;
  /**
   * The part of `encode_ms` spent inside `GPUQueue.submit`, when WebGPU: near 0 on a real GPU; on a software adapter
   * (llvmpipe/lavapipe) submitting runs the work on the CPU, so this is most of the step there.
   */
  submit_ms?: number;
  /** Precision (`fp32`, or `fp16` with `--fp16`). */
  precision: "fp32" | "fp16";
  /**
   * Bytes the timed steps hold (`heldBytes` of `gpu_memory.ts`: on WebGPU the GPU buffers of live tensors, each buffer
   * once): `activations`, alive at the end of a step's forward beyond what was alive before the step (what the
   * backward keeps; mean over the timed steps); `step_peak`, the most alive at any moment of the timed steps (weights,
   * gradients, optimizer state and activations together; on cpu and wasm sampled at the step's phases).
   */
  memory: { activation_bytes: number; step_peak_bytes: number };
  /** Timed steps. */
  steps: number;
  /** Untimed steps. */
  warmup: number;
  /** Mean milliseconds per step (wall time of the timed steps / steps). */
  ms_per_step: number;
  /** Median milliseconds per step. */
  ms_per_step_median: number;
  /** `batch × seq / mean step time`. */
  tokens_per_s: number;
  /** Per-phase means, with `splitPhases`. */
  phases?: PhaseTimes;
  /** Loss of the first and last timed step. */
  loss_first: number;
  /** Loss of the last timed step. */
  loss_last: number;
  /** Seconds to build the model and optimizer. */
  init_s: number;
  /** Seconds of the warm-up steps. */
  warmup_s: number;
  /** Tensors alive after the run minus before it (0 when nothing leaks). */
  tensors_leaked: number;
  /** Global-norm clip used. */
  max_grad_norm: number;
  /** `Deno.version.deno`. */
  deno: string;
  /** ISO time of the run. */
  date: string;
}

const SPECIAL = { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 };

/**
 * `count` random full-length MLM batches: `[CLS] random ids [SEP]` rows masked by HF's random-token collator.
 *
 * @example
 * ```ts
 * import { randomMlmBatches } from "./train_bench.ts";
 * const [b] = randomMlmBatches(1, { batchSize: 2, seqLen: 8, vocabSize: 1000, seed: 0 });
 * if (b.shape.join() !== "2,8" || b.input_ids[0] !== 101) throw new Error("[CLS] first");
 * ```
 */
export function randomMlmBatches(
  count: number,
  options: { batchSize: number; seqLen: number; vocabSize: number; seed: number },
): MlmBatch[] {
  const { batchSize, seqLen, vocabSize, seed } = options;
  if (seqLen < 3) throw new Error(`randomMlmBatches: seqLen must be >= 3, got ${seqLen}`);
  if (vocabSize <= SPECIAL.mask + 1) throw new Error(`randomMlmBatches: vocabSize must be > 104, got ${vocabSize}`);
  const rng = new Rng(seed).fork("bench-batches");
  const collate = createMlmCollator({
    maskTokenId: SPECIAL.mask,
    vocabSize,
    specialIds: Object.values(SPECIAL),
    padTokenId: SPECIAL.pad,
    rng: rng.fork("collate"),
  });
  const ids = rng.fork("ids");
  const batches: MlmBatch[] = [];
  for (let c = 0; c < count; c++) {
    const rows: Chunk[] = [];
    for (let r = 0; r < batchSize; r++) {
      const input_ids = [SPECIAL.cls];
      for (let t = 1; t < seqLen - 1; t++) input_ids.push(SPECIAL.mask + 1 + ids.int(vocabSize - SPECIAL.mask - 1));
      input_ids.push(SPECIAL.sep);
      rows.push({ input_ids, attention_mask: input_ids.map(() => 1), word_ids: [], labels: [...input_ids] });
    }
    batches.push(collate(rows));
  }
  return batches;
}

function checkOptions(o: TrainBenchOptions): void {
  if (!(o.modelSize in MODEL_SIZES)) {
    throw new Error(
      `model size: unknown ${JSON.stringify(o.modelSize)}; expected ${Object.keys(MODEL_SIZES).join(", ")}`,
    );
  }
  const ints: [string, number, number][] = [
    ["batch size", o.batchSize, 1],
    ["seq len", o.seqLen, 3],
    ["steps", o.steps, 1],
    ["warmup", o.warmup, 0],
    ...(o.vocabSize === undefined ? [] : [["vocab size", o.vocabSize, SPECIAL.mask + 2] as [string, number, number]]),
  ];
  for (const [name, v, min] of ints) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name}: expected an integer >= ${min}, got ${v}`);
  }
  const longest = maxSequenceLength(parseConfig({ ...MODEL_SIZES[o.modelSize] }));
  if (o.seqLen > longest) {
    throw new Error(`seq len: at most ${longest} for ${o.modelSize} (max_position_embeddings), got ${o.seqLen}`);
  }
  if (o.upload !== undefined && o.upload !== "write" && o.upload !== "mapped") {
    throw new Error(`upload: expected write or mapped, got ${JSON.stringify(o.upload)}`);
  }
  if (o.matmul !== undefined && !MATMUL_NAMES.includes(o.matmul)) {
    throw new Error(`matmul: expected ${MATMUL_NAMES.join(", ")}, got ${JSON.stringify(o.matmul)}`);
  }
  if (o.adamw !== undefined && o.adamw !== "fused" && o.adamw !== "tfjs") {
    throw new Error(`adamw: expected fused or tfjs, got ${JSON.stringify(o.adamw)}`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Host time spent inside the WebGPU queue's `submit` calls, from {@link timeQueueSubmits}. */
interface SubmitTimer {
  /** Milliseconds so far. */
  readonly ms: number;
  /** Stop timing and restore the queue's method. */
  stop(): void;
}

/** Time the active webgpu backend's `queue.submit` calls (an own-property wrapper, removed by `stop`). */
function timeQueueSubmits(): SubmitTimer {
  const queue = (tf.backend() as unknown as { queue: { submit: (buffers: unknown[]) => void } }).queue;
  const had = Object.hasOwn(queue, "submit"), previous = queue.submit;
  let ms = 0;
  queue.submit = function (this: unknown, buffers: unknown[]): void {
    const t = performance.now();
    try {
      previous.call(this, buffers);
    } finally {
      ms += performance.now() - t;
    }
  };
  return {
    get ms(): number {
      return ms;
    },
    stop(): void {
      if (had) queue.submit = previous;
      else delete (queue as { submit?: unknown }).submit;
    },
  };
}

/** Submit what tfjs-webgpu has encoded but not submitted yet (it submits every 15 dispatches), as a read does. */
function submitEncoded(): void {
  const b = tf.backend() as unknown as {
    commandEncoder?: unknown;
    endComputePassEncoder?: () => void;
    submitQueue?: () => void;
  };
  if (!b.commandEncoder || !b.endComputePassEncoder || !b.submitQueue) return;
  b.endComputePassEncoder();
  b.submitQueue();
}

/**
 * What the benchmark measures of the loop's steps, through its step hooks: per step `beforeStep` → forward/backward
 * (`onPhase`) → `AdamW.update` → `onStep` (the host's encode ends here) → the previous step's read (`onRead`) → this
 * step's read issued → `afterStep`. The steps after `warmup` are timed; on WebGPU their dispatches are counted per
 * phase (the read's one dispatch goes to the optimizer) and their blocking read-backs and submit time measured.
 */
class StepMeter {
  readonly times: number[] = [];
  readonly losses: number[] = [];
  readonly sums = { forward: 0, backward: 0, optimizer: 0 };
  encodeMs = 0;
  submitMs = 0;
  warmupS = 0;
  timedStart = 0;
  timedEnd = 0;
  counter: DispatchCounter | undefined;
  readbacks: ReadbackCounter | undefined;
  submits: SubmitTimer | undefined;
  #phaseStart = 0;
  #readStart = 0;
  #stepStart = 0;
  #submitBefore = 0;
  readonly #started = performance.now();

  constructor(
    readonly warmup: number,
    readonly total: number,
    readonly webgpu: boolean,
    readonly log: (line: string) => void,
  ) {}

  #mark(): number {
    return this.counter?.count ?? 0;
  }

  #timed(step: number): boolean {
    return step > this.warmup;
  }

  /** The loop's hooks. */
  get hooks(): Required<StepHooks> {
    return {
      beforeStep: (step) => {
        if (step === this.warmup + 1) this.#startTimed();
        this.#stepStart = performance.now();
        this.#phaseStart = this.#mark();
        this.#submitBefore = this.submits?.ms ?? 0;
      },
      onPhase: (phase) => {
        this.sums[phase] += this.#mark() - this.#phaseStart;
        this.#phaseStart = this.#mark();
      },
      onStep: (step) => {
        if (this.webgpu) submitEncoded();
        if (!this.#timed(step)) return;
        this.encodeMs += performance.now() - this.#stepStart;
        this.submitMs += (this.submits?.ms ?? 0) - this.#submitBefore;
        this.sums.optimizer += this.#mark() - this.#phaseStart; // AdamW.update
        this.#readStart = this.#mark();
      },
      onRead: (step, result) => {
        if (step === this.total) this.timedEnd = performance.now();
        if (this.#timed(step)) this.losses.push(result.loss);
        else this.log(`warm-up ${step}/${this.warmup}: loss ${result.loss.toFixed(4)}`);
        this.#readStart = this.#mark();
      },
      afterStep: (step) => {
        if (!this.#timed(step)) return;
        this.sums.optimizer += this.#mark() - this.#readStart; // the read's one dispatch
        this.readbacks?.endStep();
        this.times.push(performance.now() - this.#stepStart);
        const i = step - this.warmup;
        this.log(`step ${i}/${this.total - this.warmup}: ${this.times[i - 1].toFixed(1)} ms`);
      },
    };
  }

  #startTimed(): void {
    this.warmupS = (performance.now() - this.#started) / 1000;
    if (this.webgpu) {
      this.counter = countWebgpuDispatches();
      this.readbacks = countWebgpuReadbacks();
      this.submits = timeQueueSubmits();
    }
    this.timedStart = performance.now();
  }

  /** Stop counting: the dispatches and read-backs per timed step (WebGPU only). */
  finish(): { dispatches?: DispatchCounts; readbacksPerStep?: number; gpuReadsPerStep?: number } {
    const steps = this.total - this.warmup;
    const per = (x: number) => round(x / steps);
    const counter = this.counter, readbacks = this.readbacks;
    this.stop();
    if (!counter || !readbacks) return {};
    const { forward, backward, optimizer } = this.sums;
    return {
      dispatches: {
        forward: per(forward),
        backward: per(backward),
        optimizer: per(optimizer),
        total: per(forward + backward + optimizer),
      },
      readbacksPerStep: per(readbacks.count),
      gpuReadsPerStep: per(readbacks.reads),
    };
  }

  /** Restore what the counters wrapped. */
  stop(): void {
    this.submits?.stop();
    this.readbacks?.stop();
    this.counter?.stop();
    this.counter = this.readbacks = this.submits = undefined;
  }
}

/** The backend and WebGPU settings of a run. */
async function setUpBackend(options: TrainBenchOptions, log: (line: string) => void) {
  const choice = await selectBackend(options.backend, { log, matmul: options.matmul ?? "auto", fp16: options.fp16 });
  if (choice.backend !== "webgpu") return { choice };
  const upload = options.upload ?? "write";
  const mod = await importTfWebgpu();
  if (upload === "mapped") uninstallWriteBufferUpload(mod);
  else installWriteBufferUpload(mod);
  const matmul = choice.matmul === "tiled" && choice.matmulMinEdge
    ? `tiled (≥ ${choice.matmulMinEdge} wide)`
    : choice.matmul;
  return { choice, upload, matmul, adamw: options.adamw ?? "fused" };
}

/**
 * Build the model on the chosen backend, train `warmup` then `steps` steps with the trainer's loop, and time them
 * (see the module docs). Leaves the chosen backend active and frees the model.
 *
 * @example
 * ```ts
 * import { benchTrain } from "./train_bench.ts";
 * const r = await benchTrain({ modelSize: "tiny", batchSize: 2, seqLen: 8, backend: "cpu", steps: 1, warmup: 0 });
 * if (!(r.tokens_per_s > 0) || r.tensors_leaked !== 0) throw new Error("timed, no leak");
 * ```
 */
export async function benchTrain(options: TrainBenchOptions): Promise<TrainBenchResult> {
  checkOptions(options);
  const log = options.log ?? (() => {});
  const { batchSize, seqLen, steps, warmup } = options;
  const seed = options.seed ?? 0, lr = options.lr ?? 5e-5, maxGradNorm = options.maxGradNorm ?? 1;
  const shape = options.vocabSize === undefined
    ? { ...MODEL_SIZES[options.modelSize] }
    : withVocabSize(MODEL_SIZES[options.modelSize], options.vocabSize);
  const { choice, upload, matmul, adamw } = await setUpBackend(options, log);
  checkEmbeddingFits(options.modelSize, shape);

  const t0 = performance.now();
  const model: MaskedLM = initMaskedLM(parseConfig({ ...shape }), { seed });
  const batches = randomMlmBatches(options.distinctBatches ?? 4, {
    batchSize,
    seqLen,
    vocabSize: shape.vocab_size,
    seed,
  });
  await syncOn([...model.params.values()].at(-1)!);
  const initS = (performance.now() - t0) / 1000;
  log(
    `model ${options.modelSize}: ${model.numParameters().toLocaleString("en")} parameters, built in ${
      initS.toFixed(1)
    } s`,
  );

  const total = warmup + steps, tensorsBefore = tf.memory().numTensors;
  const meter = new StepMeter(warmup, total, choice.backend === "webgpu", log);
  const hooks = meter.hooks, mem = { step: 0, base: 0, activations: 0, timed: 0 };
  const peak = watchPeak();
  let collated = 0;
  try {
    const args = {
      outputDir: "",
      learningRate: lr,
      perDeviceTrainBatchSize: batchSize,
      maxSteps: total,
      maxGradNorm,
      fp16: options.fp16,
    };
    await runTraining(model, { ...args, weightDecay: 0.01, seed, saveStrategy: "no" }, {
      train: Array.from({ length: total * batchSize }, (_, i) => i), // the rows only count the steps
      makeCollator: () => () => batches[collated++ % batches.length], // step s trains on batch s mod N
      evaluate: () => Promise.resolve({ result: undefined, fields: { eval_loss: 0 }, line: "" }),
      fused: adamw !== "tfjs",
      ...hooks,
      beforeStep: (step) => {
        hooks.beforeStep(step);
        mem.step = step;
        mem.base = heldBytes();
        if (step === warmup + 1) peak.reset(); // the peak of the timed steps
      },
      onPhase: (phase) => {
        hooks.onPhase(phase);
        if (mem.step <= warmup) return;
        if (phase === "forward") mem.activations += heldBytes() - mem.base, mem.timed += 1;
      },
    }, new MemorySink());
    const msPerStep = (meter.timedEnd - meter.timedStart) / steps;
    const { dispatches, readbacksPerStep, gpuReadsPerStep } = meter.finish();

    let phases: PhaseTimes | undefined;
    if (options.splitPhases) {
      const dropout = new Rng(seed).fork("bench-dropout");
      const split = Array.from({ length: steps }, (_, i) => batches[(total + i) % batches.length]);
      const p = await profileSteps(model, split, {
        lr,
        maxGradNorm,
        fused: adamw !== "tfjs",
        dropout: (i) => dropout.fork(i),
      }, log);
      phases = {
        forward_ms: round(p.forward_ms),
        backward_ms: round(p.backward_ms),
        optimizer_ms: round(p.optimizer_ms),
      };
    }
    const encode = meter.encodeMs / steps;
    return {
      bench: "train",
      impl: "deno-tfjs",
      model_size: options.modelSize,
      shape: { ...shape },
      params: model.numParameters(),
      batch_size: batchSize,
      seq_len: seqLen,
      backend: choice.backend,
      ...(choice.adapter ? { adapter: choice.adapter } : {}),
      ...(upload ? { upload } : {}),
      ...(matmul ? { matmul } : {}),
      ...(adamw ? { adamw } : {}),
      ...(dispatches ? { dispatches } : {}),
      ...(readbacksPerStep !== undefined ? { readbacks_per_step: readbacksPerStep } : {}),
      ...(gpuReadsPerStep !== undefined ? { gpu_reads_per_step: gpuReadsPerStep } : {}),
      encode_ms: round(encode),
      ...(meter.webgpu ? { submit_ms: round(meter.submitMs / steps) } : {}),
      ...(dispatches ? { encode_us_per_dispatch: round((encode * 1000) / dispatches.total) } : {}),
      precision: options.fp16 ? "fp16" : "fp32",
      memory: {
        activation_bytes: Math.round(mem.activations / Math.max(1, mem.timed)),
        step_peak_bytes: peak.peak,
      },
      steps,
      warmup,
      ms_per_step: round(msPerStep),
      ms_per_step_median: round(median(meter.times)),
      tokens_per_s: Math.round((batchSize * seqLen) / (msPerStep / 1000)),
      ...(phases ? { phases } : {}),
      loss_first: round(meter.losses[0], 4),
      loss_last: round(meter.losses[meter.losses.length - 1], 4),
      init_s: round(initS),
      warmup_s: round(meter.warmupS),
      tensors_leaked: tf.memory().numTensors - tensorsBefore,
      max_grad_norm: maxGradNorm,
      deno: Deno.version.deno,
      date: new Date().toISOString(),
    };
  } finally {
    meter.stop();
    peak.stop();
    model.dispose();
  }
}

/**
 * Refuse, before building anything, a word-embedding table larger than one storage binding of the active WebGPU device
 * (the models refuse it too, at the first step), naming `--vocab-size` as the way to count this shape's dispatches.
 */
function checkEmbeddingFits(name: string, shape: ModelShape): void {
  const width = Number(shape.dim ?? shape.hidden_size);
  const bytes = shape.vocab_size * width * 4, max = maxBindingBytes();
  if (bytes <= max) return;
  const fits = Math.floor(max / (width * 4));
  throw new Error(
    `model size ${name}: the [${shape.vocab_size}, ${width}] word-embedding table takes ${bytes} bytes, more than ` +
      `this WebGPU device binds in one buffer (maxStorageBufferBindingSize ${max}); pass --vocab-size ${fits} or ` +
      `less (the forward and backward dispatches do not change), or use --backend wasm or cpu`,
  );
}

/** Wait for everything queued so far: read one element of `p`. */
async function syncOn(p: tf.Tensor): Promise<void> {
  const t = tf.tidy(() => tf.slice(p.reshape([-1]), 0, 1));
  await t.data();
  t.dispose();
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * A few human-readable lines for a result.
 *
 * @example
 * ```ts
 * import { benchTrain, formatTrainBench } from "./train_bench.ts";
 * const r = await benchTrain({ modelSize: "tiny", batchSize: 2, seqLen: 8, backend: "cpu", steps: 1, warmup: 0 });
 * if (!formatTrainBench(r).includes("tokens/s")) throw new Error("format");
 * ```
 */
export function formatTrainBench(r: TrainBenchResult): string {
  const where = [`backend ${r.backend}` + (r.adapter ? ` (${r.adapter})` : "")];
  if (r.upload) where.push(`upload ${r.upload}`);
  if (r.matmul) where.push(`matmul ${r.matmul}`);
  if (r.adamw) where.push(`adamw ${r.adamw}`);
  const millions = (r.params / 1e6).toFixed(1);
  const lines = [
    `bench:train ${r.model_size} (${millions} M params), batch ${r.batch_size} × seq ${r.seq_len}, ${r.precision}, ` +
    where.join(", "),
    `  ${r.tokens_per_s.toLocaleString("en")} tokens/s, ${r.ms_per_step} ms/step (median ${r.ms_per_step_median}), ` +
    `${r.steps} steps after ${r.warmup} warm-up (${r.warmup_s} s); loss ${r.loss_first} → ${r.loss_last}`,
  ];
  if (r.phases) {
    const p = r.phases;
    lines.push(
      `  phases (synced after each): forward ${p.forward_ms} ms, backward ${p.backward_ms} ms, ` +
        `optimizer ${p.optimizer_ms} ms`,
    );
  }
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  lines.push(
    `  memory held: activations ${mib(r.memory.activation_bytes)} MiB after the forward, step peak ` +
      `${mib(r.memory.step_peak_bytes)} MiB`,
  );
  if (r.dispatches) {
    const d = r.dispatches;
    lines.push(
      `  GPU dispatches/step: forward ${d.forward}, backward ${d.backward}, optimizer ${d.optimizer}; ` +
        `total ${d.total}; blocking read-backs/step ${r.readbacks_per_step}`,
    );
  }
  lines.push(
    `  host encode ${r.encode_ms} ms/step` +
      (r.encode_us_per_dispatch !== undefined ? ` (${r.encode_us_per_dispatch} µs per dispatch)` : "") +
      (r.submit_ms !== undefined ? `, of which ${r.submit_ms} ms inside queue.submit` : ""),
  );
  if (r.tensors_leaked !== 0) lines.push(`  WARNING: ${r.tensors_leaked} tensors leaked over the timed steps`);
  return lines.join("\n");
}
