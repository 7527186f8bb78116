// Every fused WebGPU layer (lib/model/layers.ts on webgpu) against the tf-op reference path on the same backend:
// value and every input's gradient within 1e-6 relative (max |fused - reference| / max |reference|), and the fused
// path bit-for-bit the same when run twice. Tiny shapes (llvmpipe compiles each kernel once, slowly), with ragged
// sizes: rows and columns that are not multiples of the 64-thread workgroups.
import { tf } from "../../lib/deps.ts";
import { Rng } from "../../lib/data/rng.ts";
import {
  attentionBias,
  attentionSoftmax,
  biasActivation,
  crossEntropySum,
  dropout,
  gatherRows,
  layerNorm,
  linear,
  multiHeadAttention,
  residualLayerNorm,
  selfAttention,
} from "../../lib/model/layers.ts";
import { setFusedKernels } from "../../lib/model/kernels/fused.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu fused layers test");

function values(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed * 1.3) * scale), shape);
}

/** The value of `f(inputs)` and the gradients of `sum(value · w)` (a fixed weighting) for every input. */
async function run(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<Float32Array[]> {
  const out = tf.tidy(() => {
    const y = f(...inputs);
    const w = values(y.shape, 9);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs);
    return [y, ...grads];
  });
  const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return data;
}

/**
 * `loose`: inputs whose gradient is a sum with heavy cancellation, held to 1e-6 of the layer's largest gradient instead
 * of their own: an attention key bias (exactly 0: softmax ignores a per-query shift, so both paths hold rounding
 * noise) and the value bias (Σ over keys of pᵀ·dc, which cancels down to Σ dc since each probability row sums to 1).
 */
async function check(
  name: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  loose: number[] = [],
): Promise<void> {
  setFusedKernels(false);
  const ref = await run(f, inputs);
  setFusedKernels(true);
  const fused = await run(f, inputs);
  const again = await run(f, inputs);
  const largest = Math.max(...ref.slice(1).map((r) => r.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
  ref.forEach((r, i) => {
    const what = i === 0 ? "value" : `gradient ${i - 1}`;
    let diff = 0, scale = 0;
    for (let j = 0; j < r.length; j++) {
      diff = Math.max(diff, Math.abs(fused[i][j] - r[j]));
      scale = Math.max(scale, Math.abs(r[j]));
    }
    if (i > 0 && loose.includes(i - 1)) scale = largest;
    assert(diff <= 1e-6 * Math.max(scale, 1e-30), `${name} ${what}: max diff ${diff} (scale ${scale})`);
    assertEquals(Array.from(again[i]), Array.from(fused[i]), `${name} ${what}: a second run differs`);
  });
}

Deno.test({
  name: "fused webgpu layers equal the tf-op path (value and gradients, ≤ 1e-6 rel) and repeat bit for bit",
  ...gpu,
  fn: () =>
    onWebgpu(async () => {
      const [b, s, h] = [2, 5, 70]; // 10 rows of 70: neither a multiple of 64
      const x = values([b, s, h], 1), r = values([b, s, h], 2), pos = values([s, h], 3);
      const w = values([h], 4, 0.5), bias = values([h], 5, 0.1);
      try {
        await check("layerNorm", (x, w, bb) => layerNorm(x, w, bb, 1e-12), [x, w, bias]);
        await check("residualLayerNorm", (x, r, w, bb) => residualLayerNorm(x, r, w, bb, 1e-5), [x, r, w, bias]);
        await check("residualLayerNorm, repeated rows", (x, p, w, bb) => residualLayerNorm(x, p, w, bb, 1e-12), [
          x,
          pos,
          w,
          bias,
        ]);
        await check(
          "residualLayerNorm with dropout",
          (x, r, w, bb) =>
            residualLayerNorm(x, r, w, bb, 1e-12, { rate: 0.25, options: { training: true, rng: new Rng(7) } }),
          [x, r, w, bias],
        );
        for (const act of ["gelu", "gelu_new"]) {
          await check(`biasActivation ${act}`, (x, bb) => biasActivation(act, x, bb), [values([b, s, h], 6, 3), bias]);
        }
        const weight = values([33, h], 7, 0.2), lb = values([33], 8);
        await check("linear with bias", (x, wt, bb) => linear(x, wt, bb), [x, weight, lb]);
        const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, "int32");
        const maskBias = attentionBias(mask);
        await check("attentionSoftmax", (sc) => attentionSoftmax(sc, maskBias, 0.125), [values([b, 3, s, s], 10, 4)]);
        const [q, k, v] = [values([b, s, 12], 12), values([b, s, 12], 13), values([b, s, 12], 14)];
        await check("multiHeadAttention", (q, k, v) =>
          multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0 }), [
          q,
          k,
          v,
        ]);
        await check(
          "multiHeadAttention with dropout",
          (q, k, v) =>
            multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0.2, training: true, rng: new Rng(3) }),
          [q, k, v],
        );
        const proj = (i: number): tf.Tensor[] => [values([12, 12], 20 + i, 0.3), values([12], 30 + i, 0.1)];
        const [pq, pk, pv] = [proj(0), proj(1), proj(2)];
        for (const training of [false, true]) {
          await check(
            `selfAttention${training ? " with dropout" : ""}`,
            (x, wq, bq, wk, bk, wv, bv) =>
              selfAttention(x, { query: [wq, bq], key: [wk, bk], value: [wv, bv] }, maskBias, {
                heads: 3,
                dropoutRate: 0.2,
                training,
                rng: new Rng(4),
              }),
            [q, ...pq, ...pk, ...pv],
            [4, 6], // the key and value biases
          );
        }
        tf.dispose([q, k, v, ...pq, ...pk, ...pv]);
        await check("gatherRows (repeated and missing rows)", (x) =>
          gatherRows(x, [3, 0, 3, 7, 0, 0]), [
          values([9, h], 15),
        ]);
        const labels = tf.tensor1d([3, -100, 0, 32, 7, -100, 1], "int32");
        await check("crossEntropySum", (l) =>
          crossEntropySum(l as tf.Tensor2D, labels), [values([7, 33], 11, 3)]);
        // dropout: a fresh generator of one seed per call, so both paths draw the same mask
        await check("dropout", (x) => dropout(x, 0.3, { training: true, rng: new Rng(5) }), [x]);
        tf.dispose([mask, maskBias, labels, weight, lb]);
      } finally {
        setFusedKernels(true);
        tf.dispose([x, r, pos, w, bias]);
      }
    }),
});
