/**
 * The fused WebGPU variants of the layers in `layers.ts`, which call these when `fusedKernelsActive()` (webgpu, not
 * turned off by `setFusedKernels(false)`); cpu and wasm never reach them. Each runs named kernels from `kernels/`
 * forward and backward ({@link customOp}): `layernorm_*` (with the residual add and the sub-layer's dropout folded
 * in), `bias_gelu_*`, `attention_matmul` / `attention_softmax_*` / `attention_backward_qkv` (q, k, v packed, no head
 * transposes), `dropout_apply`, `cross_entropy_*`, `scatter_rows`, `bias_backward`, and Linear's bias added inside the
 * matmul (`tf.fused.matMul`), and ModernBERT's `rotary_*` and `geglu_*`. Dropout masks come from `tf.randomUniform` with the seed `tf.dropout` would take, so
 * the fused and tf-op paths drop the same elements. `tests/model/webgpu_fused_test.ts` holds each to its tf-op path.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import { customOp } from "./custom_grad.ts";
import { layerNormBackward, layerNormForward, layerNormStats } from "./kernels/webgpu_layernorm.ts";
import { biasGeluBackward, biasGeluForward, type GeluKind } from "./kernels/webgpu_gelu.ts";
import {
  attentionSoftmaxBackward,
  attentionSoftmaxDropoutBackward,
  attentionSoftmaxDropoutForward,
  attentionSoftmaxForward,
} from "./kernels/webgpu_attention_softmax.ts";
import { dropoutApply } from "./kernels/webgpu_dropout.ts";
import { crossEntropyBackward, crossEntropyForward } from "./kernels/webgpu_cross_entropy.ts";
import { biasBackward } from "./kernels/webgpu_bias_grad.ts";
import { rowMap, scatterRows } from "./kernels/webgpu_scatter_rows.ts";
import { rotaryBackward, rotaryForward } from "./kernels/webgpu_rotary.ts";
import { gegluBackward, gegluForward } from "./kernels/webgpu_geglu.ts";
import {
  attentionBackwardQkv,
  attentionContext,
  attentionContextBackward,
  attentionScores,
  attentionScoresBackward,
  packedAttentionContext,
  packedAttentionProbsGrad,
  packedAttentionScores,
} from "./kernels/webgpu_attention_matmul.ts";

/** A dropout mask as the kernels take it: uniform draws `u` (kept where `u ≥ 1 - keep`) and the keep probability. */
export interface DropoutDraws {
  /** Uniform draws in [0, 1), shaped like the tensor dropped. */
  u: tf.Tensor;
  /** Keep probability, `1 - rate`. */
  keep: number;
}

/**
 * The draws `tf.dropout(x, rate, undefined, seed)` takes for `shape`, seeded by one `rng.nextU32()`: the same mask.
 *
 * @example
 * ```ts
 * import { Rng } from "../data/rng.ts";
 * import { dropoutDraws } from "./fused_layers.ts";
 * const d = dropoutDraws([2, 3], 0.1, new Rng(1));
 * if (d.u.size !== 6 || d.keep !== 0.9) throw new Error("draws");
 * ```
 */
export function dropoutDraws(shape: number[], rate: number, rng: Rng | undefined): DropoutDraws {
  if (!rng) throw new Error("dropout: training with dropout needs options.rng (a seeded Rng)");
  return { u: tf.randomUniform(shape, 0, 1, "float32", rng.nextU32()), keep: 1 - rate };
}

/**
 * `x W^T + b` (`bias` optional) for `x [rows, in]`, the bias added inside the matmul; backward: two matmuls and
 * `bias_backward`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedLinear } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedLinear(tf.ones([2, 3]), tf.ones([4, 3]), tf.zeros([4])); // webgpu only
 * ```
 */
export function fusedLinear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inputs: tf.Tensor[] = bias ? [x, weight, bias] : [x, weight];
  return customOp(inputs, ([x, w, b], save) => {
    save([x, w]);
    return {
      value: b
        ? tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeB: true, bias: b })
        : tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true),
      gradFunc: (g, [x, w]) => [
        tf.matMul(g as tf.Tensor2D, w as tf.Tensor2D),
        tf.matMul(g as tf.Tensor2D, x as tf.Tensor2D, true, false),
        ...(b ? [biasBackward(g)] : []),
      ],
    };
  });
}

/**
 * LayerNorm over the last axis in `layernorm_forward` / `layernorm_backward`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedLayerNorm } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedLayerNorm(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-12); // webgpu only
 * ```
 */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  return customOp([x, weight, bias], ([x, w, b], save) => {
    save([x, w]);
    return {
      value: layerNormForward({ x }, w, b, eps),
      gradFunc: (dy, [x, w]) => {
        const g = layerNormBackward({ x }, layerNormStats({ x }, eps), w, dy);
        return [g.dx, g.dWeight, g.dBias];
      },
    };
  });
}

/**
 * `LayerNorm(dropout(x) + residual)` in the LayerNorm kernels (`drop` absent: no dropout); `residual` may have fewer
 * rows than `x`, repeated down it, and its gradient sums the repeats.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedResidualLayerNorm } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedResidualLayerNorm(tf.ones([2, 3]), tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-12);
 * ```
 */
export function fusedResidualLayerNorm(
  x: tf.Tensor,
  residual: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
  drop?: DropoutDraws,
): tf.Tensor {
  return customOp([x, residual, weight, bias], ([x, r, w, b], save) => {
    if (drop) save([x, r, w, drop.u], ["half", "half", "half", { keep: drop.keep }]);
    else save([x, r, w]);
    return {
      value: layerNormForward({ x, residual: r, dropout: drop }, w, b, eps),
      gradFunc: (dy, [x, r, w, u]) => {
        const dropout = drop && { u, keep: drop.keep };
        const input = { x, residual: r, dropout };
        const g = layerNormBackward(input, layerNormStats(input, eps), w, dy);
        const dr = r.size === x.size
          ? tf.clone(g.dx) // its own tensor: tfjs disposes each input's gradient separately
          : biasBackward(g.dx.reshape([x.size / r.size, r.size])); // the repeats summed
        const dx = dropout ? dropoutApply(g.dx, dropout.u, dropout.keep) : g.dx;
        if (dropout) g.dx.dispose();
        return [dx, dr.reshape(r.shape), g.dWeight, g.dBias];
      },
    };
  });
}

/**
 * `gelu(x + bias)` (erf or tanh form) in `bias_gelu_forward` / `bias_gelu_backward`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedBiasGelu } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedBiasGelu("gelu", tf.ones([2, 3]), tf.zeros([3])); // webgpu only
 * ```
 */
export function fusedBiasGelu(name: GeluKind, x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return customOp([x, bias], ([x, b], save) => {
    save([x, b]);
    return {
      value: biasGeluForward(name, x, b),
      gradFunc: (dy, [x, b]) => {
        const dx = biasGeluBackward(name, x, b, dy);
        return [dx, biasBackward(dx).reshape(b.shape)];
      },
    };
  });
}

/**
 * Inverted dropout with the draws `drop`, one `dropout_apply` forward and one backward.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { Rng } from "../data/rng.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { dropoutDraws, fusedDropout } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedDropout(tf.ones([4]), dropoutDraws([4], 0.5, new Rng(1))); // webgpu only
 * ```
 */
export function fusedDropout(x: tf.Tensor, drop: DropoutDraws): tf.Tensor {
  return customOp([x], ([x], save) => {
    save([drop.u], [{ keep: drop.keep }]);
    return {
      value: dropoutApply(x, drop.u, drop.keep),
      gradFunc: (dy, [u]) => dropoutApply(dy, u, drop.keep),
    };
  });
}

/**
 * `q kᵀ` per head, reading and writing `[batch, seq, heads·d]` (no head split): `attention_matmul` forward and back.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedAttentionScores } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedAttentionScores(tf.ones([1, 3, 4]), tf.ones([1, 3, 4]), 2); // [1, 2, 3, 3]
 * ```
 */
export function fusedAttentionScores(q: tf.Tensor, k: tf.Tensor, heads: number): tf.Tensor {
  return customOp([q, k], ([q, k], save) => {
    save([q, k]);
    return {
      value: attentionScores(q, k, heads),
      gradFunc: (ds, [q, k]) => {
        const { dq, dk } = attentionScoresBackward(ds, q, k, heads);
        return [dq, dk];
      },
    };
  });
}

/**
 * `p v` per head into `[batch, seq, heads·d]` (no head merge): `attention_matmul` forward and back.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedAttentionContext } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedAttentionContext(tf.ones([1, 2, 3, 3]), tf.ones([1, 3, 4]), 2); // [1, 3, 4]
 * ```
 */
export function fusedAttentionContext(p: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor {
  return customOp([p, v], ([p, v], save) => {
    save([p, v]);
    return {
      value: attentionContext(p, v, heads),
      gradFunc: (dc, [p, v]) => {
        const { dp, dv } = attentionContextBackward(dc, p, v, heads);
        return [dp, dv];
      },
    };
  });
}

/**
 * Self-attention from the packed `qkv [batch, seq, 3·hidden]` (one Linear's output): scores, softmax with the
 * additive `bias` (and dropout `drop`, and keys at most `window` away), context; the backward writes the packed gradient in one kernel
 * (`attention_backward_qkv`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedPackedAttention } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedPackedAttention(tf.ones([1, 3, 12]), tf.zeros([1, 1, 1, 3]), 2, 0.5); // [1, 3, 4]
 * ```
 */
export function fusedPackedAttention(
  qkv: tf.Tensor,
  bias: tf.Tensor,
  heads: number,
  scale: number,
  drop?: DropoutDraws,
  window?: number,
): tf.Tensor {
  return customOp([qkv], ([qkv], save) => {
    const scores = packedAttentionScores(qkv, heads);
    const probs = drop
      ? attentionSoftmaxDropoutForward(scores, bias, scale, drop, window)
      : attentionSoftmaxForward(scores, bias, scale, window);
    // without dropout the backward reads the probabilities only: free the [batch, heads, seq, seq] scores now
    if (!drop) scores.dispose();
    if (drop) save([qkv, probs, scores, bias, drop.u], ["half", "half", "half", "exact", { keep: drop.keep }]);
    else save([qkv, probs]);
    return {
      value: packedAttentionContext(probs, qkv, heads),
      gradFunc: (dContext, [qkv, probs, scores, bias, u]) => {
        const dProbs = packedAttentionProbsGrad(dContext, qkv, heads);
        const dScores = drop
          ? attentionSoftmaxDropoutBackward(scores, bias, dProbs, scale, { u, keep: drop.keep }, window)
          : attentionSoftmaxBackward(probs, dProbs, scale);
        const dQkv = attentionBackwardQkv(qkv, dScores, probs, dContext, heads);
        tf.dispose([dProbs, dScores]); // [batch, heads, seq, seq] each: not kept until the whole backward ends
        return dQkv;
      },
    };
  });
}

/**
 * `softmax(scores · scale + bias)` in `attention_softmax_forward` / `_backward` (the mask gets no gradient); with
 * `window`, keys farther than that from the query are masked too (`_window`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedAttentionSoftmax } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedAttentionSoftmax(tf.zeros([1, 1, 1, 2]), tf.zeros([1, 1, 1, 2]), 1); // webgpu only
 * ```
 */
export function fusedAttentionSoftmax(scores: tf.Tensor, bias: tf.Tensor, scale: number, window?: number): tf.Tensor {
  return customOp([scores], ([s], save) => {
    const p = attentionSoftmaxForward(s, bias, scale, window);
    save([p]);
    return { value: p, gradFunc: (dp, [p]) => attentionSoftmaxBackward(p, dp, scale) };
  });
}

/**
 * `dropout(softmax(scores · scale + bias))` with the draws `drop`, one kernel forward and one backward (the backward
 * recomputes the probabilities from the scores).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { Rng } from "../data/rng.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { dropoutDraws, fusedAttentionSoftmaxDropout } from "./fused_layers.ts";
 * const s = tf.zeros([1, 1, 1, 2]);
 * if (fusedKernelsActive()) fusedAttentionSoftmaxDropout(s, tf.zeros([1, 1, 1, 2]), 1, dropoutDraws(s.shape, 0.1, new Rng(1)));
 * ```
 */
export function fusedAttentionSoftmaxDropout(
  scores: tf.Tensor,
  bias: tf.Tensor,
  scale: number,
  drop: DropoutDraws,
  window?: number,
): tf.Tensor {
  return customOp([scores], ([s], save) => {
    save([s, bias, drop.u], ["half", "exact", { keep: drop.keep }]);
    return {
      value: attentionSoftmaxDropoutForward(s, bias, scale, drop, window),
      gradFunc: (dp, [s, bias, u]) =>
        attentionSoftmaxDropoutBackward(s, bias, dp, scale, { u, keep: drop.keep }, window),
    };
  });
}

/**
 * Rows `rows` of `x [numRows, cols]` (`tf.gather`), the gradient one `scatter_rows` kernel.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedGatherRows } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedGatherRows(tf.tensor2d([[1, 2], [3, 4]]), [1, 0]); // webgpu only
 * ```
 */
export function fusedGatherRows(x: tf.Tensor, rows: number[]): tf.Tensor {
  const indices = tf.tensor1d(rows, "int32");
  const map = rowMap(rows, x.shape[0]);
  return customOp([x], ([x]) => ({
    value: tf.gather(x, indices),
    gradFunc: (dy) => scatterRows(dy, map),
  }));
}

/**
 * Summed cross-entropy of `logits [rows, vocab]` against `labels` (-100 skipped) in `cross_entropy_forward` /
 * `_backward`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedCrossEntropySum } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedCrossEntropySum(tf.zeros([2, 4]), tf.tensor1d([1, -100], "int32")); // webgpu only
 * ```
 */
export function fusedCrossEntropySum(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return customOp([logits], ([x], save) => {
    save([x, labels]);
    return {
      value: tf.sum(crossEntropyForward(x, labels)),
      gradFunc: (dy, [x, labels]) => crossEntropyBackward(x, labels, dy),
    };
  }) as tf.Scalar;
}

/**
 * Rotary embedding of q and k inside the packed `qkv [batch, seq, 3·hidden]` (v copied): `rotary_forward` /
 * `rotary_backward`. `cos`, `sin` `[seq, headDim]` get no gradient.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedRotaryQkv } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedRotaryQkv(tf.ones([1, 1, 6]), tf.zeros([1, 2]), tf.ones([1, 2]), 1); // webgpu only
 * ```
 */
export function fusedRotaryQkv(qkv: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor {
  return customOp([qkv], ([qkv], save) => {
    save([cos, sin], ["exact", "exact"]);
    return {
      value: rotaryForward(qkv, cos, sin, heads),
      gradFunc: (dy, [cos, sin]) => rotaryBackward(dy, cos, sin, heads),
    };
  });
}

/**
 * GeGLU `act(input) · gate` of `h [..., 2·n]` (GELU, erf or tanh form) in `geglu_forward` / `geglu_backward`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedGeglu } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedGeglu("gelu", tf.ones([2, 4])); // webgpu only
 * ```
 */
export function fusedGeglu(name: GeluKind, h: tf.Tensor): tf.Tensor {
  return customOp([h], ([h], save) => {
    save([h]);
    return { value: gegluForward(name, h), gradFunc: (dy, [h]) => gegluBackward(name, h, dy) };
  });
}

/**
 * The most bytes one WebGPU storage binding may hold on the active device (`maxStorageBufferBindingSize`; 128 MiB
 * when it cannot be read). A larger buffer reads and writes wrong values without an error.
 *
 * @example
 * ```ts
 * import { storageBindingBytes } from "./fused_layers.ts";
 * if (!(storageBindingBytes() > 0)) throw new Error("a limit");
 * ```
 */
export function storageBindingBytes(): number {
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } })
    .device;
  return device?.limits?.maxStorageBufferBindingSize ?? 134_217_728;
}

/**
 * {@link fusedPackedAttention} in groups of heads whose `[batch, heads, seq, seq]` scores each fit `maxBytes` (default:
 * {@link storageBindingBytes}): long sequences would otherwise need one buffer larger than the device binds. Each
 * group reads its heads' q, k and v columns of the packed `qkv`, and the groups' contexts are joined in head order;
 * with one group (the usual case) it is exactly `fusedPackedAttention`. `drop(shape)` gives each group's dropout
 * draws (none: eval). Fails, naming the longest chunk that fits, when even one head's scores are too large.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { fusedKernelsActive } from "./kernels/fused.ts";
 * import { fusedHeadGroupAttention } from "./fused_layers.ts";
 * if (fusedKernelsActive()) fusedHeadGroupAttention(tf.ones([1, 3, 12]), tf.zeros([1, 1, 1, 3]), 2, 0.5, () => undefined);
 * ```
 */
export function fusedHeadGroupAttention(
  qkv: tf.Tensor,
  bias: tf.Tensor,
  heads: number,
  scale: number,
  drop: (shape: number[]) => DropoutDraws | undefined,
  window?: number,
  maxBytes: number = storageBindingBytes(),
): tf.Tensor {
  const [b, s, width] = qkv.shape;
  const d = width / 3 / heads, perHead = b * s * s * 4;
  if (perHead > maxBytes) {
    const longest = Math.floor(Math.sqrt(maxBytes / 4 / b));
    throw new Error(
      `attention: one head's scores for ${b} × ${s} tokens take ${perHead} bytes, more than this WebGPU device binds ` +
        `in one buffer (${maxBytes}); use chunks of at most ${longest} tokens at this batch size, or a smaller batch`,
    );
  }
  const group = Math.min(heads, Math.floor(maxBytes / perHead));
  if (group === heads) return fusedPackedAttention(qkv, bias, heads, scale, drop([b, heads, s, s]), window);
  const contexts: tf.Tensor[] = [];
  for (let first = 0; first < heads; first += group) {
    const n = Math.min(group, heads - first);
    const columns = (part: number) => tf.slice(qkv, [0, 0, (part * heads + first) * d], [b, s, n * d]);
    const packed = tf.concat([columns(0), columns(1), columns(2)], 2);
    contexts.push(fusedPackedAttention(packed, bias, n, scale, drop([b, n, s, s]), window));
  }
  return tf.concat(contexts, 2);
}
