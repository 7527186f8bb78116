/**
 * What every masked-LM model offers (the trainer codes against {@link MaskedLM}), the parameter table each model
 * family declares (HF checkpoint name → shape and initialiser), and the loss shared by both families.
 *
 * The loss runs the MLM head on the labelled rows only, gathered (`gatherRows`) in blocks ({@link headBlocks}) padded
 * to a few sizes ({@link paddedRows}). Two silent WebGPU bugs shape it: a `[rows, vocab]` buffer over the device's
 * `maxStorageBufferBindingSize` reads and writes wrong values without an error (hence the blocks), and tfjs-webgpu's
 * gather reads wrong values from flattened indices past ~2^24 (hence the label's score is picked by a one-hot row sum
 * in the tf-op path, and by an integer index inside the row's workgroup in the fused `cross_entropy_*` kernels).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import { countLabels, IGNORE_INDEX, type MlmBatch } from "../data/types.ts";
import type { ModelConfig } from "./config.ts";
import {
  biasActivation,
  crossEntropySum,
  type ForwardOptions,
  gatherRows,
  layerNorm,
  linear,
  type QkvProjections,
  reshape,
  residualLayerNorm,
  type XDropout,
} from "./layers.ts";

export type { ForwardOptions };

/** A masked language model with HF parameter names. */
export interface MaskedLM {
  /** The HF configuration it was built from. */
  readonly config: ModelConfig;
  /**
   * Parameters by HF checkpoint name (the tied decoder weight is the word embeddings, not a second entry). The
   * variables' own tfjs names are unique per model (`mlm<N>/<hf name>`), so look gradients up by `variable.name`.
   */
  readonly params: Map<string, tf.Variable>;
  /** `[batch, seq, vocab]` prediction scores (`MaskedLMOutput.logits`). */
  logits(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options?: ForwardOptions): tf.Tensor3D;
  /** Mean cross-entropy over labels != -100 (HF `CrossEntropyLoss`); NaN when no label is set, as in PyTorch. */
  loss(batch: MlmBatch, options?: { training?: boolean; rng?: Rng }): tf.Scalar;
  /** Summed cross-entropy and number of labels, in eval mode (read back asynchronously: WebGPU has no sync read). */
  lossSumAndCount(batch: MlmBatch): Promise<{ sum: number; count: number }>;
  /** Number of parameters as HF's `num_parameters()` counts them (tied weights once). */
  numParameters(): number;
  /** Free every variable. */
  dispose(): void;
}

/** How a parameter is initialised (HF `_init_weights`). */
export type ParamInit = "normal" | "zeros" | "ones" | "sinusoidal";

/** One row of a model's parameter table. */
export interface ParamSpec {
  /** PyTorch shape (`[out, in]` for Linear weights). */
  shape: number[];
  /** Initialiser. */
  init: ParamInit;
  /** Embedding row left at zero by the initialiser (`padding_idx`). */
  zeroRow?: number | null;
  /** False for parameters PyTorch does not train (sinusoidal position embeddings). */
  trainable?: boolean;
}

/** The logits half of a model; {@link maskedLMMethods} adds the rest. */
export interface LogitsModel {
  /** Configuration. */
  readonly config: ModelConfig;
  /** Parameters. */
  readonly params: Map<string, tf.Variable>;
  /** Forward pass. */
  logits(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options?: ForwardOptions): tf.Tensor3D;
  /** The encoder's last hidden state `[batch, seq, dim]`. */
  hiddenStates(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options?: ForwardOptions): tf.Tensor3D;
  /** The MLM head: hidden states `[..., dim]` → scores `[..., vocab]` (`logits` = head of the hidden states). */
  mlmHead(hidden: tf.Tensor): tf.Tensor;
}

let nextModelId = 0;

/**
 * Turn checked values into variables named `mlm<N>/<hf name>`, trainable unless the spec says otherwise.
 *
 * @example
 * ```ts
 * import { makeVariables } from "./masked_lm.ts";
 * const specs = new Map([["b", { shape: [2], init: "zeros" as const }]]);
 * const vars = makeVariables(new Map([["b", new Float32Array(2)]]), specs);
 * vars.get("b")!.dispose();
 * ```
 */
export function makeVariables(
  values: Map<string, Float32Array>,
  specs: Map<string, ParamSpec>,
): Map<string, tf.Variable> {
  const id = nextModelId++;
  const params = new Map<string, tf.Variable>();
  for (const [name, spec] of specs) {
    const data = values.get(name);
    if (!data) throw new Error(`makeVariables: no values for "${name}"`);
    // the variable shares the tensor's buffer; the tensor itself would keep it alive after the model is disposed
    const initial = tf.tensor(data, spec.shape, "float32");
    params.set(name, tf.variable(initial, spec.trainable ?? true, `mlm${id}/${name}`));
    initial.dispose();
  }
  return params;
}

/**
 * The batch as tensors: `input_ids`, `attention_mask` `[batch, seq]` and `labels` flattened to `[batch * seq]`.
 *
 * @example
 * ```ts
 * import { batchTensors } from "./masked_lm.ts";
 * const t = batchTensors({
 *   input_ids: new Int32Array([5, 6]), attention_mask: new Int32Array([1, 1]), labels: new Int32Array([-100, 6]),
 *   shape: [1, 2],
 * });
 * if (t.labels.shape[0] !== 2) throw new Error("flat labels");
 * ```
 */
export function batchTensors(
  batch: MlmBatch,
): { input_ids: tf.Tensor2D; attention_mask: tf.Tensor2D; labels: tf.Tensor1D } {
  const [b, s] = batch.shape;
  for (const field of ["input_ids", "attention_mask", "labels"] as const) {
    if (batch[field].length !== b * s) {
      throw new Error(
        `MlmBatch.${field}: expected ${b}×${s} = ${b * s} values for shape [${b}, ${s}], got ${batch[field].length}`,
      );
    }
  }
  return {
    input_ids: tf.tensor2d(batch.input_ids, [b, s], "int32"),
    attention_mask: tf.tensor2d(batch.attention_mask, [b, s], "int32"),
    labels: tf.tensor1d(batch.labels, "int32"),
  };
}

/**
 * The row count the MLM head is padded to: `n` rounded up to a multiple of 2^(⌊log2 n⌋ − 3), so at most 8 sizes per
 * power of two and at most 12.5 % padding. Every distinct row count is a new `[rows, vocab]` shape, and
 * tfjs-webgpu keeps freed buffers pooled by size for good: unpadded, a run's memory grew by the size of the logits and
 * their gradients at every step (~700 MB a step at batch 32 × 128).
 *
 * @example
 * ```ts
 * import { paddedRows } from "./masked_lm.ts";
 * if (paddedRows(614) !== 640 || paddedRows(640) !== 640 || paddedRows(5) !== 5) throw new Error("buckets");
 * ```
 */
export function paddedRows(n: number): number {
  const step = 2 ** Math.max(0, Math.floor(Math.log2(Math.max(1, n))) - 3);
  return Math.ceil(n / step) * step;
}

/** One block of labelled rows for the MLM head: rows `[start, end)`, padded to `padded`. */
export interface HeadBlock {
  /** First row. */
  start: number;
  /** One past the last row. */
  end: number;
  /** Rows after padding ({@link paddedRows}). */
  padded: number;
}

/**
 * How the MLM head takes `n` labelled rows: in blocks whose `[rows, vocab]` float32 scores fit `maxBytes` (default:
 * the active backend's {@link maxBindingBytes} — 128 MiB on many WebGPU adapters, where a larger buffer silently
 * reads and writes wrong values), each a power of two rows but the last, which is padded to a few sizes.
 *
 * @example
 * ```ts
 * import { headBlocks } from "./masked_lm.ts";
 * const blocks = headBlocks(1229, 30522, 134_217_728); // eval batch 64 × 128, 15 % masked, 128 MiB
 * if (blocks.length !== 2 || blocks[0].end !== 1024 || blocks[1].padded !== 208) throw new Error("1024 + 205→208");
 * ```
 */
export function headBlocks(n: number, vocab: number, maxBytes: number = maxBindingBytes()): HeadBlock[] {
  const fit = Math.floor(maxBytes / (vocab * 4));
  if (fit < 1) throw new Error(`MLM head: one row of ${vocab} scores exceeds the device's ${maxBytes}-byte buffers`);
  if (paddedRows(n) <= fit) return [{ start: 0, end: n, padded: paddedRows(n) }];
  const size = 2 ** Math.floor(Math.log2(fit));
  const blocks: HeadBlock[] = [];
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    blocks.push({ start, end, padded: end - start === size ? size : paddedRows(end - start) });
  }
  return blocks;
}

/**
 * The largest buffer (bytes) one WebGPU storage binding may hold on the active backend's device
 * (`maxStorageBufferBindingSize`); `Infinity` off WebGPU.
 *
 * @example
 * ```ts
 * import { maxBindingBytes } from "./masked_lm.ts";
 * console.log(maxBindingBytes()); // Infinity on cpu/wasm
 * ```
 */
export function maxBindingBytes(): number {
  if (tf.getBackend() !== "webgpu") return Infinity;
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } })
    .device;
  return device?.limits?.maxStorageBufferBindingSize ?? 134_217_728;
}

/**
 * `loss`, `lossSumAndCount`, `numParameters` and `dispose` for a model that has `logits`.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 10, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 8 }), { seed: 0 });
 * const { count } = await m.lossSumAndCount({
 *   input_ids: new Int32Array([5, 6]), attention_mask: new Int32Array([1, 1]), labels: new Int32Array([-100, 6]),
 *   shape: [1, 2],
 * });
 * if (count !== 1) throw new Error("one label");
 * m.dispose();
 * ```
 */
export function maskedLMMethods(model: LogitsModel): Omit<MaskedLM, "config" | "params" | "logits"> {
  // The head runs on the labelled rows only: the summed cross-entropy (and every gradient) is the same as over the
  // full `[batch·seq, vocab]` logits, since unlabelled rows contribute nothing, but the decoder matmul and the
  // softmax shrink to the ~15 % of positions that are masked.
  function lossSum(batch: MlmBatch, options: ForwardOptions): tf.Scalar {
    const t = batchTensors(batch);
    const rows: number[] = [];
    const labels: number[] = [];
    batch.labels.forEach((l, i) => {
      if (l !== IGNORE_INDEX) rows.push(i), labels.push(l);
    });
    if (rows.length === 0) return tf.scalar(0); // no label: sum 0, count 0 → NaN mean, as PyTorch gives
    const hidden = model.hiddenStates(t.input_ids, t.attention_mask, options);
    const flat = reshape(hidden, [-1, hidden.shape[2]]);
    let sum: tf.Scalar | undefined;
    for (const block of headBlocks(rows.length, model.config.vocab_size)) {
      const blockRows = rows.slice(block.start, block.end), blockLabels = labels.slice(block.start, block.end);
      // Padding (row 0, label IGNORE_INDEX: weight 0, so the same sum and gradients) keeps the shapes to a few sizes.
      while (blockRows.length < block.padded) blockRows.push(0), blockLabels.push(IGNORE_INDEX);
      const scores = model.mlmHead(gatherRows(flat, blockRows)) as tf.Tensor2D;
      const part = crossEntropySum(scores, tf.tensor1d(blockLabels, "int32"));
      sum = sum ? tf.add(sum, part) : part;
    }
    return sum!; // callers run this in tf.tidy
  }
  return {
    loss(batch, options = {}) {
      return tf.tidy(() => tf.div(lossSum(batch, options), countLabels(batch)) as tf.Scalar);
    },
    async lossSumAndCount(batch) {
      const sum = tf.tidy(() => lossSum(batch, { training: false }));
      const value = (await sum.data())[0];
      sum.dispose();
      return { sum: value, count: countLabels(batch) };
    },
    numParameters() {
      let n = 0;
      for (const v of model.params.values()) n += v.size;
      return n;
    },
    dispose() {
      for (const v of model.params.values()) v.dispose();
    },
  };
}

/**
 * What DistilBERT and BERT share: the variables by HF name, parameter look-up, Linear and LayerNorm by checkpoint
 * prefix, `logits` = MLM head of the hidden states, and the {@link maskedLMMethods}. A family file supplies the
 * encoder (`hiddenStates`) and the head (`mlmHead`) in the order of its forward pass.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { MaskedLMBase } from "./masked_lm.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 10, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 8 }), { seed: 0 });
 * if (!(m instanceof MaskedLMBase)) throw new Error("both families extend MaskedLMBase");
 * m.dispose();
 * ```
 */
export abstract class MaskedLMBase<C extends ModelConfig> implements MaskedLM {
  /** HF configuration. */
  readonly config: C;
  /** Variables by HF name. */
  readonly params: Map<string, tf.Variable>;
  /** See {@link MaskedLM.loss}. */
  readonly loss: MaskedLM["loss"];
  /** See {@link MaskedLM.lossSumAndCount}. */
  readonly lossSumAndCount: MaskedLM["lossSumAndCount"];
  /** See {@link MaskedLM.numParameters}. */
  readonly numParameters: MaskedLM["numParameters"];
  /** See {@link MaskedLM.dispose}. */
  readonly dispose: MaskedLM["dispose"];
  readonly #eps: number;

  /** Wrap variables already checked against the family's parameter table; `layerNormEps` of every LayerNorm. */
  constructor(config: C, params: Map<string, tf.Variable>, layerNormEps: number) {
    this.config = config;
    this.params = params;
    this.#eps = layerNormEps;
    ({
      loss: this.loss,
      lossSumAndCount: this.lossSumAndCount,
      numParameters: this.numParameters,
      dispose: this.dispose,
    } = maskedLMMethods(this));
  }

  /** The encoder's last hidden state `[batch, seq, dim]`. */
  abstract hiddenStates(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options?: ForwardOptions): tf.Tensor3D;

  /** The MLM head: hidden states `[..., dim]` → scores `[..., vocab]`. */
  abstract mlmHead(hidden: tf.Tensor): tf.Tensor;

  /** See {@link MaskedLM.logits}. */
  logits(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.mlmHead(this.hiddenStates(input_ids, attention_mask, options)) as tf.Tensor3D);
  }

  /** The variable named `name` (an HF checkpoint key). */
  protected param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.constructor.name}: no parameter "${name}"`);
    return v;
  }

  /** The Linear layer `name` (`name.weight`, `name.bias`) applied to `x`. */
  protected linear(name: string, x: tf.Tensor): tf.Tensor {
    return linear(x, this.param(`${name}.weight`), this.param(`${name}.bias`));
  }

  /** The LayerNorm `name` (`name.weight`, `name.bias`) applied to `x`. */
  protected norm(name: string, x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.param(`${name}.weight`), this.param(`${name}.bias`), this.#eps);
  }

  /**
   * The LayerNorm `name` applied to `dropout(x) + residual` (`x` itself without `xDropout`; the residual may have
   * fewer rows, repeated down `x`).
   */
  protected residualNorm(name: string, x: tf.Tensor, residual: tf.Tensor, xDropout?: XDropout): tf.Tensor {
    const [w, b] = [this.param(`${name}.weight`), this.param(`${name}.bias`)];
    return residualLayerNorm(x, residual, w, b, this.#eps, xDropout);
  }

  /** The query, key and value Linears named `names` (`name.weight`, `name.bias` each), for `selfAttention`. */
  protected qkv(names: [string, string, string]): QkvProjections {
    const [query, key, value] = names.map((n): [tf.Tensor, tf.Tensor] => [
      this.param(`${n}.weight`),
      this.param(`${n}.bias`),
    ]);
    return { query, key, value };
  }

  /** The Linear layer `name` followed by the activation `act`: `act(x W^T + b)`, the bias added with the activation. */
  protected linearActivation(name: string, act: string, x: tf.Tensor): tf.Tensor {
    return biasActivation(act, linear(x, this.param(`${name}.weight`)), this.param(`${name}.bias`));
  }
}
