// The optional tiled WebGPU matmul must equal tfjs's own BatchMatMul (fp32, within float rounding) for every
// transpose combination, ragged sizes (not multiples of the 128 tile or the 16-deep K step) and batch broadcasting.
// Few shapes: llvmpipe compiles each unrolled variant slowly.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import {
  registerTiledMatMul,
  tiledMatMulRegistered,
  unregisterTiledMatMul,
} from "../../lib/model/kernels/webgpu_matmul.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu matmul test");

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);
}

Deno.test({
  name: "tiled webgpu matmul equals tfjs's BatchMatMul: both read paths, ragged sizes, batch broadcast",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    const [m, k, n] = [130, 40, 135];
    // Two shader variants cover every generated read path (A plain / transposed, B transposed / plain); each
    // variant compiles once (minutes on a cold llvmpipe, cached by Mesa afterwards).
    const cases: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
      { a: [m, k], b: [n, k], tA: false, tB: true }, // rank 2: the linear layers' forward
      { a: [1, m, k], b: [3, n, k], tA: false, tB: true }, // batch 1 broadcast against 3
      { a: [2, k, m], b: [2, k, n], tA: true, tB: false }, // a weight gradient's shape
    ];
    try {
      for (const c of cases) {
        const run = async () => {
          const a = tf.tensor(values(c.a.reduce((x, y) => x * y), 1), c.a);
          const b = tf.tensor(values(c.b.reduce((x, y) => x * y), 2), c.b);
          const y = tf.matMul(a, b, c.tA, c.tB);
          const out = { shape: y.shape, data: await y.data() };
          tf.dispose([a, b, y]);
          return out;
        };
        unregisterTiledMatMul();
        const ref = await run();
        registerTiledMatMul();
        assert(tiledMatMulRegistered());
        const got = await run();
        assertEquals(got.shape, ref.shape);
        let diff = 0, scale = 0;
        for (let i = 0; i < ref.data.length; i++) {
          diff = Math.max(diff, Math.abs(got.data[i] - ref.data[i]));
          scale = Math.max(scale, Math.abs(ref.data[i]));
        }
        assert(diff <= 1e-5 * Math.max(scale, 1), `${JSON.stringify(c)}: max diff ${diff} (scale ${scale})`);
      }
    } finally {
      unregisterTiledMatMul();
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
