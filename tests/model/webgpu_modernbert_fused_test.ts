// ModernBERT's fused WebGPU layers against the tf-op path on the same backend, held as tests/model/webgpu_fused_test.ts
// holds the others: value and every input's gradient within 1e-6 relative, and the fused path bit-for-bit the same
// when run twice. The kernels: rotary_* on the packed q|k|v, geglu_* (erf and tanh GELU), and the attention softmax's
// _window variants (sliding window, with and without dropout). Tiny, ragged shapes.
import { tf } from "../../lib/deps.ts";
import { Rng } from "../../lib/data/rng.ts";
import {
  attentionBias,
  attentionSoftmax,
  embedding,
  geglu,
  packedAttention,
  rotaryQkv,
} from "../../lib/model/layers.ts";
import { storageBindingBytes } from "../../lib/model/fused_layers.ts";
import { rotaryTables } from "../../lib/model/modernbert.ts";
import { setFusedKernels } from "../../lib/model/kernels/fused.ts";
import { assert } from "../support/assert.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { checkFused, values } from "../support/fused_check.ts";

Deno.test({
  name: "ModernBERT's fused webgpu layers (rotary, GeGLU, sliding window) equal the tf-op path and repeat bit for bit",
  ...webgpuTestOptions("webgpu ModernBERT fused layers test"),
  fn: () =>
    onWebgpu(async () => {
      const [b, s, heads, d] = [2, 11, 2, 6]; // 11 positions, window 2: most keys are outside it
      const { cos, sin } = rotaryTables(s, d, 10000);
      const cosT = tf.tensor2d(cos, [s, d]), sinT = tf.tensor2d(sin, [s, d]);
      const qkv = values([b, s, 3 * heads * d], 1);
      // row 1 has 4 real tokens: its queries from position 7 on have no real key in their window
      const mask = tf.tensor2d([Array(s).fill(1), [1, 1, 1, 1, ...Array(s - 4).fill(0)]], undefined, "int32");
      const bias = attentionBias(mask);
      try {
        await checkFused("rotaryQkv", (x) => rotaryQkv(x, cosT, sinT, heads), [qkv]);
        for (const act of ["gelu", "gelu_pytorch_tanh"]) {
          await checkFused(`geglu ${act}`, (h) => geglu(act, h), [values([b, s, 2 * 35], 2, 3)]);
        }
        await checkFused("attentionSoftmax, window 2", (sc) => attentionSoftmax(sc, bias, 0.3, 2), [
          values([b, heads, s, s], 3, 4),
        ]);
        for (const training of [false, true]) {
          await checkFused(
            `packedAttention, window 2${training ? ", dropout" : ""}`,
            (x) => packedAttention(x, bias, { heads, dropoutRate: 0.2, window: 2, training, rng: new Rng(4) }),
            [qkv],
          );
        }
        await checkFused("packedAttention, global", (x) => packedAttention(x, bias, { heads, dropoutRate: 0 }), [qkv]);
        // scores too large for one buffer: one head at a time (2 × 11 × 11 floats a head), same result
        const oneHead = b * s * s * 4;
        await checkFused("packedAttention, window 2, heads in groups of 1", (x) =>
          packedAttention(x, bias, { heads, dropoutRate: 0, window: 2, maxScoresBytes: oneHead }), [qkv]);
        let error = "";
        try {
          packedAttention(qkv, bias, { heads, dropoutRate: 0, maxScoresBytes: oneHead - 1 }).dispose();
        } catch (e) {
          error = (e as Error).message;
        }
        assert(error.includes("use chunks of at most 10 tokens"), `one head too large: ${error}`);
      } finally {
        setFusedKernels(true);
        tf.dispose([cosT, sinT, qkv, mask, bias]);
      }
    }),
});

Deno.test({
  name: "embedding on webgpu refuses a table larger than the device binds in one buffer (it would read wrong values)",
  ...webgpuTestOptions("webgpu embedding limit test"),
  fn: () =>
    onWebgpu(() => {
      const limit = storageBindingBytes();
      if (limit > 256 * 2 ** 20) {
        console.log(`(binding limit ${limit} bytes: not worth a table that large here)`);
        return Promise.resolve();
      }
      const table = tf.zeros([Math.floor(limit / 4 / 768) + 1, 768]); // ModernBERT-base's 50,368 × 768 on Mesa's 128 MiB
      try {
        let error = "";
        try {
          embedding(table, tf.tensor1d([1, 2], "int32"), null);
        } catch (e) {
          error = (e as Error).message;
        }
        assert(error.includes("more than this WebGPU device binds in one buffer"), error);
      } finally {
        table.dispose();
      }
      return Promise.resolve();
    }),
});
