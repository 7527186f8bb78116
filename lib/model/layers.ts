/**
 * The building blocks every model family shares, as plain functions of tensors (PyTorch semantics, HF weight layout):
 * linear, LayerNorm (also fed by a residual), activations (also after a bias, or gated: GeGLU), dropout, rotary
 * position embeddings, multi-head attention with HF's padding mask (and a sliding window), an embedding lookup whose
 * padding row gets no gradient, and the masked cross-entropy. Every function
 * returns new tensors; call them inside `tf.tidy`.
 *
 * Each is written here once in tf ops — the reference, and what cpu and wasm run. On webgpu (unless
 * `setFusedKernels(false)`) the ones with a fused variant call it from `fused_layers.ts` instead: named kernels from
 * `kernels/`, forward and backward. Dropout draws are `tf.dropout`'s (same seed, same mask) on every path.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import { fusedKernelsActive } from "./kernels/fused.ts";
import { isFusedGelu } from "./kernels/webgpu_gelu.ts";
import { customOp } from "./custom_grad.ts";
import {
  dropoutDraws,
  fusedAttentionContext,
  fusedAttentionScores,
  fusedAttentionSoftmax,
  fusedAttentionSoftmaxDropout,
  fusedBiasGelu,
  fusedCrossEntropySum,
  fusedDropout,
  fusedGatherRows,
  fusedGeglu,
  fusedHeadGroupAttention,
  fusedLayerNorm,
  fusedLinear,
  fusedPackedAttention,
  fusedResidualLayerNorm,
  fusedRotaryQkv,
  storageBindingBytes,
} from "./fused_layers.ts";

/** Whether dropout is active, and the generator its masks come from. */
export interface ForwardOptions {
  /** Dropout on (default false: eval mode). */
  training?: boolean;
  /** Source of dropout seeds; required when training with a dropout rate above 0. */
  rng?: Rng;
}

/** `float32` minimum, the value HF adds to attention scores at padded keys. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * `x W^T + b` with `W` in PyTorch's `[out, in]` layout (`nn.Linear`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { linear } from "./layers.ts";
 * const y = linear(tf.ones([2, 3]), tf.ones([4, 3]), tf.zeros([4]));
 * if (y.shape[1] !== 4) throw new Error("shape");
 * ```
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const x2 = reshape(x, [-1, inDim]) as tf.Tensor2D;
  let y: tf.Tensor;
  if (fusedKernelsActive()) {
    y = fusedLinear(x2, weight, bias);
  } else {
    y = tf.matMul(x2, weight as tf.Tensor2D, false, true);
    if (bias) y = tf.add(y, bias);
  }
  return reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}

/**
 * `x` reshaped to `shape` (one dimension may be -1), as `tf.reshape`, with a gradient that keeps nothing: tfjs's
 * Reshape keeps its input for the backward (for its shape alone), and with it the input's buffer until the backward
 * ends.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { reshape } from "./layers.ts";
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(reshape(x, [3, 2]), tf.tensor2d([[1, 2], [3, 4], [5, 6]]))));
 * if (g(tf.zeros([2, 3])).shape.join() !== "2,3" || g(tf.zeros([2, 3])).dataSync()[5] !== 6) throw new Error("grad");
 * ```
 */
export function reshape(x: tf.Tensor, shape: number[]): tf.Tensor {
  const from = x.shape;
  return customOp([x], ([x]) => ({ value: tf.reshape(x, shape), gradFunc: (dy) => tf.reshape(dy, from) }));
}

/**
 * `a + b` for two tensors of one shape (a residual connection), as `tf.add`, with a gradient that keeps nothing
 * (tfjs's Add keeps both inputs for the backward, to undo broadcasting).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { residualAdd } from "./layers.ts";
 * if (residualAdd(tf.ones([2]), tf.ones([2])).dataSync()[1] !== 2) throw new Error("sum");
 * ```
 */
export function residualAdd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.shape.join() !== b.shape.join()) throw new Error(`residualAdd: shapes [${a.shape}] and [${b.shape}] differ`);
  return customOp([a, b], ([a, b]) => ({ value: tf.add(a, b), gradFunc: (dy) => [tf.clone(dy), tf.clone(dy)] }));
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance, as PyTorch).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { layerNorm } from "./layers.ts";
 * const y = layerNorm(tf.tensor2d([[1, 3]]), tf.ones([2]), tf.zeros([2]), 1e-12);
 * if (Math.abs(y.dataSync()[0] + 1) > 1e-5) throw new Error("normalised");
 * ```
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (fusedKernelsActive()) return fusedLayerNorm(x, weight, bias, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, weight), bias);
}

/**
 * `layerNorm(x + residual, ...)`: the post-LN residual connection, with `dropout(x)` in place of `x` when `xDropout`
 * is given (the sub-layer's output dropout; one draw of `xDropout.options.rng`, as {@link dropout}). `residual` is
 * shaped like `x`, or has fewer rows repeated down `x` (position embeddings `[seq, dim]` under `[batch, seq, dim]`
 * words); its gradient sums the repeats.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { residualLayerNorm } from "./layers.ts";
 * const y = residualLayerNorm(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 1]]), tf.ones([2]), tf.zeros([2]), 1e-12);
 * if (Math.abs(y.dataSync()[0] + 1) > 1e-5) throw new Error("normalised [1, 3]");
 * ```
 */
export function residualLayerNorm(
  x: tf.Tensor,
  residual: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
  xDropout?: XDropout,
): tf.Tensor {
  if (fusedKernelsActive()) {
    const training = xDropout?.options.training && xDropout.rate > 0;
    const drop = training ? dropoutDraws(x.shape, xDropout!.rate, xDropout!.options.rng) : undefined;
    return fusedResidualLayerNorm(x, residual, weight, bias, eps, drop);
  }
  const dropped = xDropout ? dropout(x, xDropout.rate, xDropout.options) : x;
  return layerNorm(tf.add(dropped, residual), weight, bias, eps);
}

/** Dropout on the sub-layer output that {@link residualLayerNorm} adds to its residual. */
export interface XDropout {
  /** Dropout probability. */
  rate: number;
  /** Training flag and generator, as {@link dropout} takes them. */
  options: ForwardOptions;
}

/**
 * HF `ACT2FN[name]`: `gelu` is the exact erf GELU, `gelu_new`/`gelu_pytorch_tanh` the tanh approximation.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { activation } from "./layers.ts";
 * const y = activation("gelu", tf.scalar(1)).dataSync()[0];
 * if (Math.abs(y - 0.8413447) > 1e-5) throw new Error("erf gelu");
 * ```
 */
export function activation(name: string, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case "gelu":
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case "gelu_new":
    case "gelu_pytorch_tanh": {
      const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case "relu":
      return tf.relu(x);
    case "silu":
      return tf.mul(x, tf.sigmoid(x));
    default:
      throw new Error(`activation: unsupported ${JSON.stringify(name)}`);
  }
}

/**
 * `activation(name, x + bias)`, bias along the last axis (a Linear's bias, added here instead of in its matmul).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { biasActivation } from "./layers.ts";
 * const y = biasActivation("gelu", tf.zeros([1, 1]), tf.ones([1])).dataSync()[0];
 * if (Math.abs(y - 0.8413447) > 1e-5) throw new Error("gelu(0 + 1)");
 * ```
 */
export function biasActivation(name: string, x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (fusedKernelsActive() && isFusedGelu(name)) return fusedBiasGelu(name, x, bias);
  return activation(name, tf.add(x, bias));
}

/**
 * GeGLU (ModernBERT's MLP): `h [..., 2·n]` split into `input | gate`, then `activation(name, input) · gate`
 * `[..., n]`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { geglu } from "./layers.ts";
 * const y = geglu("gelu", tf.tensor2d([[1, 2]])).dataSync()[0];
 * if (Math.abs(y - 2 * 0.8413447) > 1e-5) throw new Error("gelu(1) · 2");
 * ```
 */
export function geglu(name: string, h: tf.Tensor): tf.Tensor {
  if (fusedKernelsActive() && isFusedGelu(name)) return fusedGeglu(name, h);
  const [input, gate] = tf.split(h, 2, -1);
  return tf.mul(activation(name, input), gate);
}

/**
 * HF `apply_rotary_pos_emb` on `x [batch, seq, heads, headDim]` with the angles' `cos`, `sin` `[seq, headDim]`:
 * `x · cos + rotate_half(x) · sin`, where `rotate_half(x) = cat(-x2, x1)` over the two halves of each head.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { rotary } from "./layers.ts";
 * const y = rotary(tf.tensor4d([1, 2], [1, 1, 1, 2]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 1]]));
 * if (y.dataSync().join() !== "-2,1") throw new Error("a quarter turn");
 * ```
 */
export function rotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const [, s, , d] = x.shape;
  const [x1, x2] = tf.split(x, 2, 3);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos.reshape([1, s, 1, d])), tf.mul(rotated, sin.reshape([1, s, 1, d])));
}

/**
 * {@link rotary} on q and k of a packed projection `qkv [batch, seq, 3·hidden]` (q | k | v, `heads` heads each); v
 * passes unchanged. On webgpu one `rotary_forward` kernel (and one backward) on the packed tensor.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { rotaryQkv } from "./layers.ts";
 * const y = rotaryQkv(tf.tensor3d([[[1, 2, 1, 2, 5, 6]]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 1]]), 1);
 * if (y.dataSync().join() !== "-2,1,-2,1,5,6") throw new Error("q, k turned; v kept");
 * ```
 */
export function rotaryQkv(qkv: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor {
  if (fusedKernelsActive()) return fusedRotaryQkv(qkv, cos, sin, heads);
  const [b, s, width] = qkv.shape;
  const [q, k, v] = tf.unstack(qkv.reshape([b, s, 3, heads, width / 3 / heads]), 2);
  return tf.stack([rotary(q, cos, sin), rotary(k, cos, sin), v], 2).reshape([b, s, width]);
}

/**
 * Inverted dropout, active only when `options.training`; its mask is seeded from `options.rng`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { dropout } from "./layers.ts";
 * const x = tf.ones([4]);
 * if (dropout(x, 0.5, {}) !== x) throw new Error("identity in eval mode");
 * ```
 */
export function dropout(x: tf.Tensor, rate: number, options: ForwardOptions): tf.Tensor {
  if (!options.training || rate === 0) return x;
  if (fusedKernelsActive()) return fusedDropout(x, dropoutDraws(x.shape, rate, options.rng));
  if (!options.rng) throw new Error("dropout: training with dropout needs options.rng (a seeded Rng)");
  const seed = options.rng.nextU32();
  return tf.dropout(x, rate, undefined, seed);
}

/**
 * The additive attention mask HF builds from `attention_mask [batch, seq]`: 0 where attended, the float32 minimum at
 * padding, shaped `[batch, 1, 1, seq]`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias } from "./layers.ts";
 * const b = attentionBias(tf.tensor2d([[1, 0]], undefined, "int32")).dataSync();
 * if (b[0] !== 0 || b[1] > -1e38) throw new Error("mask");
 * ```
 */
export function attentionBias(attention_mask: tf.Tensor2D): tf.Tensor4D {
  const [b, s] = attention_mask.shape;
  const m = tf.cast(attention_mask, "float32");
  return tf.mul(tf.sub(1, m), FLOAT32_MIN).reshape([b, 1, 1, s]);
}

/** Sizes and dropout of {@link multiHeadAttention}. */
export interface AttentionOptions extends ForwardOptions {
  /** Number of heads. */
  heads: number;
  /** Dropout on the attention probabilities. */
  dropoutRate: number;
  /** Sliding window: each query attends only to keys at most this many positions away (ModernBERT's local layers). */
  window?: number;
  /**
   * On webgpu, the most bytes one block of `[batch, heads, seq, seq]` scores may take in {@link packedAttention}
   * (default: the device's storage binding limit); the heads are taken in groups under it.
   */
  maxScoresBytes?: number;
}

/**
 * Scaled dot-product attention over `heads` heads: `softmax(q k^T / sqrt(d) + bias) v`, dropout on the
 * probabilities. `q`, `k`, `v` are `[batch, seq, hidden]`; returns the context `[batch, seq, hidden]`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias, multiHeadAttention } from "./layers.ts";
 * const x = tf.randomNormal([1, 3, 4]);
 * const bias = attentionBias(tf.ones([1, 3], "int32") as tf.Tensor2D);
 * if (multiHeadAttention(x, x, x, bias, { heads: 2, dropoutRate: 0 }).shape[2] !== 4) throw new Error("shape");
 * ```
 */
export function multiHeadAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor4D,
  options: AttentionOptions,
): tf.Tensor {
  const [b, s, h] = q.shape;
  const d = h / options.heads;
  if (fusedKernelsActive()) {
    // q·kᵀ and p·v read and write the [batch, seq, heads·d] layout: no head split or merge
    const scores = fusedAttentionScores(q, k, options.heads), scale = 1 / Math.sqrt(d);
    const probs = options.training && options.dropoutRate > 0
      ? fusedAttentionSoftmaxDropout(
        scores,
        bias,
        scale,
        dropoutDraws(scores.shape, options.dropoutRate, options.rng),
        options.window,
      )
      : attentionSoftmax(scores, bias, scale, options.window);
    return fusedAttentionContext(probs, v, options.heads);
  }
  const split = (x: tf.Tensor): tf.Tensor4D => x.reshape([b, s, options.heads, d]).transpose([0, 2, 1, 3]);
  const probs = dropout(
    attentionSoftmax(tf.matMul(split(q), split(k), false, true), bias, 1 / Math.sqrt(d), options.window),
    options.dropoutRate,
    options,
  );
  const context = tf.matMul(probs as tf.Tensor4D, split(v));
  return context.transpose([0, 2, 1, 3]).reshape([b, s, h]);
}

/** The query, key and value projections of a self-attention layer, each `[weight, bias]` (`nn.Linear`). */
export interface QkvProjections {
  /** Query Linear. */
  query: [tf.Tensor, tf.Tensor];
  /** Key Linear. */
  key: [tf.Tensor, tf.Tensor];
  /** Value Linear. */
  value: [tf.Tensor, tf.Tensor];
}

/**
 * Self-attention of `x [batch, seq, hidden]`: the query, key and value Linears, then {@link multiHeadAttention}. On
 * webgpu the three projections run as one Linear over their weights stacked (`[3·hidden, hidden]`) into a packed
 * `[batch, seq, 3·hidden]` q|k|v that the attention kernels read in place, and the backward writes the packed gradient
 * in one kernel (`attention_backward_qkv`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias, selfAttention } from "./layers.ts";
 * const lin = (): [tf.Tensor, tf.Tensor] => [tf.eye(4), tf.zeros([4])];
 * const bias = attentionBias(tf.ones([1, 3], "int32") as tf.Tensor2D);
 * const y = selfAttention(tf.randomNormal([1, 3, 4]), { query: lin(), key: lin(), value: lin() }, bias, { heads: 2, dropoutRate: 0 });
 * if (y.shape[2] !== 4) throw new Error("shape");
 * ```
 */
export function selfAttention(
  x: tf.Tensor,
  projections: QkvProjections,
  bias: tf.Tensor4D,
  options: AttentionOptions,
): tf.Tensor {
  const { query, key, value } = projections;
  if (!fusedKernelsActive()) {
    const [q, k, v] = [query, key, value].map(([w, b]) => linear(x, w, b));
    return multiHeadAttention(q, k, v, bias, options);
  }
  const qkv = linear(x, tf.concat([query[0], key[0], value[0]], 0), tf.concat([query[1], key[1], value[1]], 0));
  const heads = options.heads, scale = 1 / Math.sqrt(x.shape[2]! / heads);
  // the draws tf.dropout would take on the probabilities [batch, heads, seq, seq] (same seed, same mask)
  const [b, n] = x.shape;
  const drop = options.training && options.dropoutRate > 0
    ? dropoutDraws([b, heads, n, n], options.dropoutRate, options.rng)
    : undefined;
  return fusedPackedAttention(qkv, bias, heads, scale, drop, options.window);
}

/**
 * {@link multiHeadAttention} over a packed projection `qkv [batch, seq, 3·hidden]` (q | k | v): returns the context
 * `[batch, seq, hidden]`. On webgpu the attention kernels read the packed tensor in place and the backward writes its
 * gradient in one kernel (`attention_backward_qkv`), as {@link selfAttention} does; long sequences take the heads in
 * groups whose scores fit one device buffer (`options.maxScoresBytes`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias, packedAttention } from "./layers.ts";
 * const bias = attentionBias(tf.ones([1, 3], "int32") as tf.Tensor2D);
 * const y = packedAttention(tf.randomNormal([1, 3, 12]), bias, { heads: 2, dropoutRate: 0, window: 1 });
 * if (y.shape[2] !== 4) throw new Error("shape");
 * ```
 */
export function packedAttention(qkv: tf.Tensor, bias: tf.Tensor4D, options: AttentionOptions): tf.Tensor {
  const h = qkv.shape[2]! / 3, heads = options.heads;
  if (!fusedKernelsActive()) {
    const [q, k, v] = tf.split(qkv, 3, 2);
    return multiHeadAttention(q, k, v, bias, options);
  }
  // the draws tf.dropout would take on the probabilities [batch, heads, seq, seq] (same seed, same mask), one draw per
  // group of heads when the scores are split to fit the device's buffers
  const drop = (shape: number[]) =>
    options.training && options.dropoutRate > 0 ? dropoutDraws(shape, options.dropoutRate, options.rng) : undefined;
  return fusedHeadGroupAttention(
    qkv,
    bias,
    heads,
    1 / Math.sqrt(h / heads),
    drop,
    options.window,
    options.maxScoresBytes,
  );
}

/**
 * `softmax(scores · scale + bias)` over the keys: attention's scale, HF's additive padding mask (`bias`
 * `[batch, 1, 1, keys]`, from {@link attentionBias}) and softmax; with `window`, HF's sliding-window mask too (see
 * {@link slidingWindowBias}). The mask gets no gradient.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias, attentionSoftmax } from "./layers.ts";
 * const p = attentionSoftmax(tf.zeros([1, 1, 1, 2]), attentionBias(tf.tensor2d([[1, 0]], undefined, "int32")), 1);
 * if (p.dataSync()[0] !== 1) throw new Error("all weight on the attended key");
 * ```
 */
export function attentionSoftmax(scores: tf.Tensor, bias: tf.Tensor, scale: number, window?: number): tf.Tensor {
  if (fusedKernelsActive()) return fusedAttentionSoftmax(scores, bias, scale, window);
  if (window === undefined) return tf.softmax(tf.add(tf.mul(scores, scale), bias), -1);
  // Written out: a padded query with no real key in its window has every score at the float32 minimum, where
  // tfjs-webgpu's softmax gives NaN (and NaN · 0 reaches the real tokens through the next layer); here, as in PyTorch,
  // such a row is uniform.
  const z = tf.add(tf.mul(scores, scale), slidingWindowBias(bias, window));
  const e = tf.exp(tf.sub(z, tf.max(z, -1, true)));
  return tf.div(e, tf.sum(e, -1, true));
}

/**
 * The 4-D mask HF builds for a sliding-window layer (`create_bidirectional_sliding_window_mask`, eager/sdpa): from
 * the padding mask `bias [batch, 1, 1, seq]`, `[batch, 1, seq, seq]` holding `bias[b, k]` where `|q - k| <= window`
 * and the float32 minimum elsewhere (one minimum, not two added: a padded key outside the window is not -inf).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { attentionBias, slidingWindowBias } from "./layers.ts";
 * const m = slidingWindowBias(attentionBias(tf.ones([1, 3], "int32") as tf.Tensor2D), 1).dataSync();
 * if (m[2] > -1e38 || m[1] !== 0) throw new Error("query 0 sees keys 0 and 1, not 2");
 * ```
 */
export function slidingWindowBias(bias: tf.Tensor, window: number): tf.Tensor {
  const [b, , , s] = bias.shape;
  const pos = tf.range(0, s, 1, "int32");
  const band = tf.lessEqual(tf.abs(tf.sub(pos.reshape([s, 1]), pos.reshape([1, s]))), window).reshape([1, 1, s, s]);
  const shape = [b, 1, s, s];
  return tf.where(tf.broadcastTo(band, shape), tf.broadcastTo(bias, shape), tf.fill(shape, FLOAT32_MIN));
}

/**
 * Rows `rows` of `x [numRows, cols]` (`tf.gather` on axis 0, indices known on the CPU); on webgpu its gradient is one
 * `scatter_rows` kernel.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { gatherRows } from "./layers.ts";
 * const y = gatherRows(tf.tensor2d([[1, 2], [3, 4]]), [1, 1, 0]);
 * if (y.dataSync().join() !== "3,4,3,4,1,2") throw new Error("rows 1, 1, 0");
 * ```
 */
export function gatherRows(x: tf.Tensor, rows: number[]): tf.Tensor {
  if (fusedKernelsActive()) return fusedGatherRows(x, rows);
  return tf.gather(x, tf.tensor1d(rows, "int32"));
}

/**
 * `nn.Embedding(..., padding_idx)`: rows of `table` for `ids`; the gradient reaches every looked-up row except
 * `paddingIdx`'s, as in PyTorch.
 * On webgpu, a table larger than the device binds in one buffer is refused (it would read wrong values).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { embedding } from "./layers.ts";
 * const e = embedding(tf.eye(3), tf.tensor1d([2, 0], "int32"), 0);
 * if (e.dataSync()[2] !== 1) throw new Error("row 2");
 * ```
 */
export function embedding(table: tf.Tensor, ids: tf.Tensor, paddingIdx: number | null): tf.Tensor {
  const [vocab, width] = table.shape;
  if (tf.getBackend() === "webgpu" && table.size * 4 > storageBindingBytes()) {
    throw new Error(
      `embedding: the [${vocab}, ${width}] table takes ${
        table.size * 4
      } bytes, more than this WebGPU device binds in ` +
        `one buffer (maxStorageBufferBindingSize ${storageBindingBytes()}), where it would read wrong values ` +
        `silently; use a GPU with a larger limit, or the wasm backend`,
    );
  }
  return customOp([table], ([w], save) => {
    save([ids]); // saved tensors outlive the caller's tidy until the backward pass
    return {
      value: tf.gather(w, ids),
      gradFunc: (dy, [ids]) => {
        let g = dy.reshape([-1, width]);
        const flat = ids.reshape([-1]) as tf.Tensor1D;
        if (paddingIdx !== null) g = tf.mul(g, tf.cast(tf.notEqual(flat, paddingIdx), "float32").expandDims(1));
        return tf.unsortedSegmentSum(g, flat, vocab);
      },
    };
  });
}

/**
 * Sum over rows of `-log softmax(logits)[label]`, skipping labels of -100 (PyTorch `CrossEntropyLoss(ignore_index=
 * -100, reduction="sum")`). The gradient `softmax - onehot` is built on the device in one expression.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { crossEntropySum } from "./layers.ts";
 * const s = crossEntropySum(tf.zeros([2, 4]) as tf.Tensor2D, tf.tensor1d([1, -100], "int32"));
 * if (Math.abs(s.dataSync()[0] - Math.log(4)) > 1e-6) throw new Error("log 4");
 * ```
 */
export function crossEntropySum(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const vocab = logits.shape[1];
  if (fusedKernelsActive()) return fusedCrossEntropySum(logits, labels);
  const valid = tf.notEqual(labels, -100);
  const weight = tf.cast(valid, "float32");
  const safe = tf.where(valid, labels, tf.zerosLike(labels)) as tf.Tensor1D;
  return customOp([logits], ([x], save) => {
    const logp = tf.logSoftmax(x);
    save([logp, safe, weight]);
    // logp[i, label_i] as a one-hot row sum (exact: every other term is 0). Not a gather: from the flattened scores
    // (index i·vocab + label) tfjs-webgpu reads wrong values once the index passes ~2^24, and the per-row gather
    // (`batchDims` 1) fails on wasm.
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, vocab)), 1);
    return {
      value: tf.neg(tf.sum(tf.mul(picked, weight))),
      gradFunc: (dy, [logp, safe, weight]) =>
        tf.mul(tf.mul(tf.sub(tf.exp(logp), tf.oneHot(safe as tf.Tensor1D, vocab)), weight.expandDims(1)), dy),
    };
  }) as tf.Scalar;
}
