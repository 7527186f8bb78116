import { tf } from "../../lib/deps.ts";
import { assertAlmostEquals } from "../support/assert.ts";
import { clipGradNorm } from "../../lib/train/clip.ts";

Deno.test("clipGradNorm: scales by maxNorm / (norm + 1e-6) when the global norm is larger", async () => {
  await tf.setBackend("cpu");
  const grads = new Map([["a", tf.tensor([3, 0])], ["b", tf.tensor([[0, 4]])]]);
  const { grads: out, totalNorm } = clipGradNorm(grads, { maxNorm: 1 });
  assertAlmostEquals(totalNorm.dataSync()[0], 5, 1e-6);
  const coef = 1 / (5 + 1e-6);
  assertAlmostEquals(out.get("a")!.dataSync()[0], 3 * coef, 1e-7);
  assertAlmostEquals(out.get("b")!.dataSync()[1], 4 * coef, 1e-7);
  tf.dispose([...grads.values(), ...out.values(), totalNorm]);
});

Deno.test("clipGradNorm: leaves small gradients unchanged and leaks no tensors", async () => {
  await tf.setBackend("cpu");
  const g = tf.tensor([0.1, -0.2]);
  const before = tf.memory().numTensors;
  const { grads, totalNorm } = clipGradNorm(new Map([["g", g]]), { maxNorm: 1 });
  const out = grads.get("g")!.dataSync();
  assertAlmostEquals(out[0], 0.1, 1e-7);
  assertAlmostEquals(out[1], -0.2, 1e-7);
  tf.dispose([...grads.values(), totalNorm]);
  assertAlmostEquals(tf.memory().numTensors, before, 0);
  g.dispose();
});
