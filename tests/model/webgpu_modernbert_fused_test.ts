// ModernBERT's fused WebGPU layers against the tf-op path on the same backend, held as tests/model/webgpu_fused_test.ts
// holds the others: value and every input's gradient within 1e-6 relative, and the fused path bit-for-bit the same
// when run twice. The kernels: rotary_* on the packed q|k|v, geglu_* (erf and tanh GELU), and the attention softmax's
// _window variants (sliding window, with and without dropout). Tiny, ragged shapes.
import { tf } from "../../lib/deps.ts";
import { Rng } from "../../lib/data/rng.ts";
import { attentionBias, attentionSoftmax, geglu, packedAttention, rotaryQkv } from "../../lib/model/layers.ts";
import { rotaryTables } from "../../lib/model/modernbert.ts";
import { setFusedKernels } from "../../lib/model/kernels/fused.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

function values(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed * 1.3) * scale), shape);
}

/** The value of `f(inputs)` and the gradients of `sum(value · w)` (a fixed weighting) for every input. */
async function run(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<Float32Array[]> {
  const out = tf.tidy(() => {
    const y = f(...inputs);
    const w = values(y.shape, 9);
    return [y, ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs)];
  });
  const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return data;
}

async function check(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<void> {
  setFusedKernels(false);
  const ref = await run(f, inputs);
  setFusedKernels(true);
  const fused = await run(f, inputs);
  const again = await run(f, inputs);
  ref.forEach((r, i) => {
    const what = i === 0 ? "value" : `gradient ${i - 1}`;
    let diff = 0, scale = 0;
    for (let j = 0; j < r.length; j++) {
      diff = Math.max(diff, Math.abs(fused[i][j] - r[j]));
      scale = Math.max(scale, Math.abs(r[j]));
    }
    assert(Number.isFinite(diff) && diff <= 1e-6 * Math.max(scale, 1e-30), `${name} ${what}: diff ${diff} (${scale})`);
    assertEquals(Array.from(again[i]), Array.from(fused[i]), `${name} ${what}: a second run differs`);
  });
}

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
        await check("rotaryQkv", (x) => rotaryQkv(x, cosT, sinT, heads), [qkv]);
        for (const act of ["gelu", "gelu_pytorch_tanh"]) {
          await check(`geglu ${act}`, (h) => geglu(act, h), [values([b, s, 2 * 35], 2, 3)]);
        }
        await check("attentionSoftmax, window 2", (sc) => attentionSoftmax(sc, bias, 0.3, 2), [
          values([b, heads, s, s], 3, 4),
        ]);
        for (const training of [false, true]) {
          await check(
            `packedAttention, window 2${training ? ", dropout" : ""}`,
            (x) => packedAttention(x, bias, { heads, dropoutRate: 0.2, window: 2, training, rng: new Rng(4) }),
            [qkv],
          );
        }
        await check("packedAttention, global", (x) => packedAttention(x, bias, { heads, dropoutRate: 0 }), [qkv]);
      } finally {
        setFusedKernels(true);
        tf.dispose([cosT, sinT, qkv, mask, bias]);
      }
    }),
});
