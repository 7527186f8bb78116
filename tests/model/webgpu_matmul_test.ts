// The tiled WebGPU matmul must equal the cpu backend's matMul (fp32, within float rounding) for every transpose
// combination, ragged sizes (not multiples of the 128 tile or the 16-deep K step), batch broadcasting either way,
// rank-4 batches and the fused bias (a Linear layer's forward), and repeat bit for bit. Few shapes: llvmpipe compiles
// each unrolled variant (transposeA × transposeB × bias) slowly, once.
import { tf } from "../../lib/deps.ts";
import { FALLBACK_TILED_MIN_EDGE, selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import {
  registerTiledMatMul,
  tiledMatMulRegistered,
  unregisterTiledMatMul,
} from "../../lib/model/kernels/webgpu_matmul.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu matmul test");

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);
}

interface Case {
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
  /** Length of a bias (the product is then `tf.fused.matMul`). */
  bias?: number;
}

async function product(c: Case): Promise<{ shape: number[]; data: Float32Array }> {
  const a = tf.tensor(values(c.a.reduce((x, y) => x * y), 1), c.a);
  const b = tf.tensor(values(c.b.reduce((x, y) => x * y), 2), c.b);
  const bias = c.bias ? tf.tensor1d(values(c.bias, 3)) : undefined;
  const y = bias
    ? tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: c.tA, transposeB: c.tB, bias })
    : tf.matMul(a, b, c.tA, c.tB);
  const out = { shape: y.shape, data: await y.data() as Float32Array };
  tf.dispose([a, b, y, ...(bias ? [bias] : [])]);
  return out;
}

Deno.test({
  name: "tiled webgpu matmul equals the cpu's: every transpose, ragged sizes, batch broadcast, fused bias; repeats",
  ...gpu,
  fn: async () => {
    const [m, k, n] = [130, 21, 135];
    const cases: Case[] = [
      { a: [m, k], b: [n, k], tA: false, tB: true }, // the linear layers' forward
      { a: [m, k], b: [n, k], tA: false, tB: true, bias: n }, // ... with the bias fused
      { a: [m, k], b: [k, n], tA: false, tB: false }, // a Linear's input gradient (dy·W)
      { a: [k, m], b: [k, n], tA: true, tB: false }, // a weight gradient (dyᵀ·x)
      { a: [k, m], b: [n, k], tA: true, tB: true },
      { a: [1, m, k], b: [3, n, k], tA: false, tB: true }, // batch 1 broadcast against 3
      { a: [3, k, m], b: [1, k, n], tA: true, tB: false }, // and the other way
      { a: [2, 2, 5, k], b: [2, 2, k, 7], tA: false, tB: false }, // rank 4
    ];
    try {
      await selectBackend("cpu", { log: () => {} });
      const want = [];
      for (const c of cases) want.push(await product(c));
      await useWebgpu();
      registerTiledMatMul();
      assert(tiledMatMulRegistered());
      // which programs run: each case must take the tiled kernel, not hand back to tfjs's
      const backend = tf.backend() as unknown as {
        runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown;
      };
      const original = backend.runWebGPUProgram;
      const keys: string[] = [];
      backend.runWebGPUProgram = function (p, ...r) {
        keys.push(p.shaderKey);
        return original.call(this, p, ...r);
      };
      try {
        for (const [i, c] of cases.entries()) {
          keys.length = 0;
          const got = await product(c);
          assert(keys.some((key) => key.startsWith("mlmTiledMatMul")), `${JSON.stringify(c)}: ran ${keys}`);
          assertEquals(got.shape, want[i].shape);
          let diff = 0, scale = 0;
          for (let j = 0; j < want[i].data.length; j++) {
            diff = Math.max(diff, Math.abs(got.data[j] - want[i].data[j]));
            scale = Math.max(scale, Math.abs(want[i].data[j]));
          }
          assert(diff <= 1e-5 * Math.max(scale, 1), `${JSON.stringify(c)}: max diff ${diff} (scale ${scale})`);
          assertEquals(Array.from((await product(c)).data), Array.from(got.data), `${JSON.stringify(c)}: repeats`);
        }
      } finally {
        delete (backend as { runWebGPUProgram?: unknown }).runWebGPUProgram;
      }
    } finally {
      unregisterTiledMatMul();
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test("selectBackend: an unknown matmul fails naming the choices", async () => {
  await assertRejects(() => selectBackend("cpu", { log: () => {}, matmul: "fast" as never }), "auto, tiled, tfjs");
});

Deno.test({
  name: "selectBackend matmul: auto is tiled (from 128 wide on a fallback adapter), tfjs keeps tfjs's",
  ...gpu,
  fn: async () => {
    const adapter = (await webgpuAdapter())!;
    try {
      const auto = await selectBackend("webgpu", { log: () => {} });
      assertEquals(auto.matmul, "tiled");
      assertEquals(auto.matmulMinEdge, adapter.isFallback ? FALLBACK_TILED_MIN_EDGE : undefined);
      assert(tiledMatMulRegistered());
      const theirs = await selectBackend("webgpu", { log: () => {}, matmul: "tfjs" });
      assertEquals(theirs.matmul, "tfjs");
      assert(!tiledMatMulRegistered());
      const tiled = await selectBackend("webgpu", { log: () => {}, matmul: "tiled" });
      assertEquals([tiled.matmul, tiled.matmulMinEdge], ["tiled", undefined]);
      assert(tiledMatMulRegistered());
    } finally {
      unregisterTiledMatMul();
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
