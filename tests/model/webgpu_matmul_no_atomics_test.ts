// tfjs-webgpu's split-K matmul (a long inner dimension, few output tiles: a small model's weight gradient) adds with
// float atomics; with the override installed by selectBackend the same product repeats bit for bit.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import {
  matMulWithoutAtomicsRegistered,
  registerMatMulWithoutAtomics,
  unregisterMatMulWithoutAtomics,
  usesSplitK,
} from "../../lib/model/kernels/webgpu_matmul_no_atomics.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu matmul without atomics");

Deno.test("usesSplitK: tfjs 4.22's rule", () => {
  const grad = { aShape: [4096, 64], bShape: [4096, 64], transposeA: true, transposeB: false, threshold: 8 };
  assert(usesSplitK(grad), "xᵀ·dy of a dim-64 model over 4096 rows");
  assert(!usesSplitK({ ...grad, aShape: [1999, 64], bShape: [1999, 64] }), "K < 2000");
  assert(!usesSplitK({ ...grad, aShape: [4096, 768], bShape: [4096, 768] }), "576 tiles: the packed program");
  assert(!usesSplitK({ ...grad, aShape: [4096, 8], bShape: [4096, 8] }), "≤ 128 outputs: the reduce program");
  assert(!usesSplitK({ ...grad, aShape: [2, 4096, 64], bShape: [2, 4096, 64] }), "batched");
  assert(usesSplitK({ ...grad, aShape: [64, 4096], transposeA: false }), "a read in place");
});

async function product(a: Float32Array, b: Float32Array): Promise<Float32Array> {
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [4096, 64]), tf.tensor2d(b, [4096, 64]), true, false));
  const values = (await c.data()) as Float32Array; // dataSync cannot read WebGPU buffers under Deno
  c.dispose();
  return values;
}

Deno.test({
  name: "webgpu matmul: a split-K-shaped product repeats bit for bit and equals the cpu's",
  ...gpu,
  fn: async () => {
    const a = Float32Array.from({ length: 4096 * 64 }, (_, i) => Math.sin(i * 0.731) * 3);
    const b = Float32Array.from({ length: 4096 * 64 }, (_, i) => Math.cos(i * 0.317) * 2);
    await selectBackend("cpu", { log: () => {} });
    const cpu = await product(a, b);
    await selectBackend("webgpu", { log: () => {}, matmul: "tfjs" }); // tfjs's matmul, under the override alone
    try {
      assert(matMulWithoutAtomicsRegistered(), "selectBackend installs it");
      registerMatMulWithoutAtomics(); // idempotent
      const first = await product(a, b);
      const scale = cpu.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assert(maxAbsDiff(first, cpu) <= 1e-5 * scale, `vs cpu: ${maxAbsDiff(first, cpu)} (scale ${scale})`);
      for (let run = 0; run < 7; run++) assertEquals(maxAbsDiff(await product(a, b), first), 0, `run ${run + 2}`);
      // tfjs's own kernel on the same product (for the record: on llvmpipe it varies in most runs of 8)
      unregisterMatMulWithoutAtomics();
      assert(!matMulWithoutAtomicsRegistered());
      const theirs = new Set<string>();
      for (let run = 0; run < 8; run++) theirs.add((await product(a, b)).join());
      console.log(`tfjs's split-K program: ${theirs.size} distinct results in 8 runs`);
    } finally {
      registerMatMulWithoutAtomics();
      await selectBackend("wasm", { log: () => {} });
    }
  },
});
