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
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { checkFused, values } from "../support/fused_check.ts";

const gpu = webgpuTestOptions("webgpu fused layers test");

Deno.test({
  name: "fused webgpu layers equal the tf-op path (value and gradients, ≤ 1e-6 rel) and repeat bit for bit",
  ...gpu,
  fn: () =>
    onWebgpu(async () => {
      const [b, s, h] = [2, 5, 70]; // 10 rows of 70: neither a multiple of 64
      const x = values([b, s, h], 1), r = values([b, s, h], 2), pos = values([s, h], 3);
      const w = values([h], 4, 0.5), bias = values([h], 5, 0.1);
      try {
        await checkFused("layerNorm", (x, w, bb) => layerNorm(x, w, bb, 1e-12), [x, w, bias]);
        await checkFused("residualLayerNorm", (x, r, w, bb) => residualLayerNorm(x, r, w, bb, 1e-5), [x, r, w, bias]);
        await checkFused("residualLayerNorm, repeated rows", (x, p, w, bb) => residualLayerNorm(x, p, w, bb, 1e-12), [
          x,
          pos,
          w,
          bias,
        ]);
        await checkFused(
          "residualLayerNorm with dropout",
          (x, r, w, bb) =>
            residualLayerNorm(x, r, w, bb, 1e-12, { rate: 0.25, options: { training: true, rng: new Rng(7) } }),
          [x, r, w, bias],
        );
        for (const act of ["gelu", "gelu_new"]) {
          await checkFused(`biasActivation ${act}`, (x, bb) => biasActivation(act, x, bb), [
            values([b, s, h], 6, 3),
            bias,
          ]);
        }
        const weight = values([33, h], 7, 0.2), lb = values([33], 8);
        await checkFused("linear with bias", (x, wt, bb) => linear(x, wt, bb), [x, weight, lb]);
        const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, "int32");
        const maskBias = attentionBias(mask);
        await checkFused("attentionSoftmax", (sc) => attentionSoftmax(sc, maskBias, 0.125), [
          values([b, 3, s, s], 10, 4),
        ]);
        const [q, k, v] = [values([b, s, 12], 12), values([b, s, 12], 13), values([b, s, 12], 14)];
        await checkFused("multiHeadAttention", (q, k, v) =>
          multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0 }), [
          q,
          k,
          v,
        ]);
        await checkFused(
          "multiHeadAttention with dropout",
          (q, k, v) =>
            multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0.2, training: true, rng: new Rng(3) }),
          [q, k, v],
        );
        const proj = (i: number): tf.Tensor[] => [values([12, 12], 20 + i, 0.3), values([12], 30 + i, 0.1)];
        const [pq, pk, pv] = [proj(0), proj(1), proj(2)];
        for (const training of [false, true]) {
          await checkFused(
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
        await checkFused("gatherRows (repeated and missing rows)", (x) =>
          gatherRows(x, [3, 0, 3, 7, 0, 0]), [
          values([9, h], 15),
        ]);
        const labels = tf.tensor1d([3, -100, 0, 32, 7, -100, 1], "int32");
        await checkFused("crossEntropySum", (l) =>
          crossEntropySum(l as tf.Tensor2D, labels), [values([7, 33], 11, 3)]);
        // dropout: a fresh generator of one seed per call, so both paths draw the same mask
        await checkFused("dropout", (x) => dropout(x, 0.3, { training: true, rng: new Rng(5) }), [x]);
        tf.dispose([mask, maskBias, labels, weight, lb]);
      } finally {
        setFusedKernels(true);
        tf.dispose([x, r, pos, w, bias]);
      }
    }),
});
