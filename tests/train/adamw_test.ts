import { tf } from "../../lib/deps.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../support/assert.ts";
import { AdamW, isNoDecayParameter } from "../../lib/train/adamw.ts";

/** torch.optim.AdamW's single-tensor update, in float64, for one scalar parameter. */
function reference(p: number, grads: number[], lrs: number[], wd: number): number {
  let m = 0, v = 0;
  for (let t = 1; t <= grads.length; t++) {
    const g = grads[t - 1], lr = lrs[t - 1];
    p *= 1 - lr * wd;
    m = m + (g - m) * 0.1;
    v = v * 0.999 + g * g * 0.001;
    const denom = Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
    p -= (lr / (1 - 0.9 ** t)) * (m / denom);
  }
  return p;
}

Deno.test("AdamW: matches torch's update with decoupled decay and bias correction over several steps", async () => {
  await tf.setBackend("cpu");
  const w = tf.variable(tf.tensor([0.5, -1.5, 2]));
  const b = tf.variable(tf.tensor([0.25]));
  const opt = new AdamW(new Map([["layer.weight", w], ["layer.bias", b]]), { weightDecay: 0.1 });
  const gw = [[0.3, -0.1, 2], [0.2, 0.4, -1], [-0.5, 0.05, 0.7]];
  const gb = [[1], [-2], [0.5]];
  const lrs = [0, 1e-2, 5e-3];
  for (let s = 0; s < 3; s++) {
    const grads = new Map([["layer.weight", tf.tensor(gw[s])], ["layer.bias", tf.tensor(gb[s])]]);
    opt.step(grads, lrs[s]);
    tf.dispose([...grads.values()]);
  }
  const wv = w.dataSync();
  for (let i = 0; i < 3; i++) {
    assertAlmostEquals(wv[i], reference([0.5, -1.5, 2][i], gw.map((g) => g[i]), lrs, 0.1), 1e-6);
  }
  assertAlmostEquals(b.dataSync()[0], reference(0.25, gb.map((g) => g[0]), lrs, 0), 1e-6);
  assertEquals(opt.stepCount, 3);
  opt.dispose();
  tf.dispose([w, b]);
});

Deno.test("AdamW: state saved and loaded continues bit for bit", async () => {
  await tf.setBackend("cpu");
  const make = () => new Map([["w", tf.variable(tf.tensor([0.1, 0.2, 0.3]))]]);
  const grad = (s: number) => new Map([["w", tf.tensor([Math.sin(s), Math.cos(s), s / 7])]]);
  const a = make(), b = make();
  const optA = new AdamW(a, {}), optB = new AdamW(b, {});
  for (let s = 0; s < 4; s++) optA.step(grad(s), 1e-2);
  for (let s = 0; s < 2; s++) optB.step(grad(s), 1e-2);
  const saved = optB.state();
  const restored = new AdamW(b, {});
  restored.loadState(saved);
  for (let s = 2; s < 4; s++) restored.step(grad(s), 1e-2);
  assertEquals(Array.from(b.get("w")!.dataSync()), Array.from(a.get("w")!.dataSync()));
  assertThrows(() => restored.loadState({ step: 1, m: new Map(), v: new Map() }), 'no "m.w"');
});

Deno.test("AdamW: HF's no-decay groups", () => {
  for (const n of ["distilbert.embeddings.LayerNorm.weight", "vocab_layer_norm.bias", "cls.predictions.bias"]) {
    assertEquals(isNoDecayParameter(n), true, n);
  }
  for (const n of ["distilbert.embeddings.word_embeddings.weight", "vocab_transform.weight"]) {
    assertEquals(isNoDecayParameter(n), false, n);
  }
});
