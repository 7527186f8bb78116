import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";

async function onBackend(name: "cpu" | "wasm", fn: () => Promise<void>): Promise<void> {
  await selectBackend(name, { log: () => {} });
  try {
    await fn();
  } finally {
    await selectBackend("cpu", { log: () => {} });
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`UnsortedSegmentSum on ${backend}: sums rows, drops out-of-range ids; embedding gradient works`, () =>
    onBackend(backend, async () => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
      const s = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 9], "int32"), 3);
      assertEquals([...await s.data()], [3, 4, 0, 0, 6, 8]);
      const table = tf.variable(tf.ones([5, 3]));
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([4, 1, 4], "int32"))))(table);
      assertEquals([...await g.data()], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
      tf.dispose([x, s, table, g]);
    }));
}

Deno.test("wasm matMul with transposed operands equals the cpu result", async () => {
  const a = [...Array(2 * 3 * 4).keys()].map((i) => Math.sin(i)),
    b = [...Array(2 * 5 * 4).keys()].map((i) => Math.cos(i));
  const results: Float32Array[] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await onBackend(backend, async () => {
      const ta = tf.tensor3d(a, [2, 3, 4]), tb = tf.tensor3d(b, [2, 5, 4]);
      const y1 = tf.matMul(ta, tb, false, true),
        y2 = tf.matMul(tb, ta, false, true),
        y3 = tf.matMul(ta, ta, true, false);
      results.push(new Float32Array([...await y1.data(), ...await y2.data(), ...await y3.data()]));
      tf.dispose([ta, tb, y1, y2, y3]);
    });
  }
  let maxd = 0;
  for (let i = 0; i < results[0].length; i++) maxd = Math.max(maxd, Math.abs(results[0][i] - results[1][i]));
  assert(maxd < 1e-5, `max diff ${maxd}`);
});
