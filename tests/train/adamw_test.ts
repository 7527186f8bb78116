import { tf } from "../../lib/deps.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../support/assert.ts";
import { AdamW, isNoDecayParameter } from "../../lib/train/adamw.ts";
import { clipGradNorm, globalGradNorm } from "../../lib/train/clip.ts";
import { selectBackend } from "../../lib/model/backend.ts";

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

/** Parameters `w` (decayed), `b` (no decay) and gradients of step `s`, large enough that clipping at 1 scales. */
function updateCase(): { params: () => Map<string, tf.Variable>; grads: (s: number) => Map<string, tf.Tensor> } {
  return {
    params: () =>
      new Map([
        ["layer.weight", tf.variable(tf.tensor([[0.5, -1.5], [2, 0.25]]))],
        ["layer.bias", tf.variable(tf.tensor([0.1, -0.3]))],
      ]),
    grads: (s) =>
      new Map([
        ["layer.weight", tf.tensor([[Math.sin(s) * 3, 0.2], [-1.1, s / 3]])],
        ["layer.bias", tf.tensor([0.01 * s, -2])],
      ]),
  };
}

Deno.test("AdamW.update: bit for bit clipGradNorm + step when finite, clipping or not", async () => {
  await tf.setBackend("cpu");
  for (const maxGradNorm of [1, 0, 100]) {
    const { params, grads } = updateCase();
    const a = params(), b = params();
    const optA = new AdamW(a, { weightDecay: 0.1 }), optB = new AdamW(b, { weightDecay: 0.1 });
    for (let s = 0; s < 3; s++) {
      const lr = [0, 1e-2, 5e-3][s];
      const g = grads(s);
      const loss = tf.scalar(2.5);
      const r = optA.update(g, { lr, maxGradNorm, loss });
      let wantNorm = globalGradNorm(g);
      if (maxGradNorm > 0) {
        const clipped = clipGradNorm(g, { maxNorm: maxGradNorm });
        optB.step(clipped.grads, lr);
        wantNorm.dispose();
        wantNorm = clipped.totalNorm;
        tf.dispose([...clipped.grads.values()]);
      } else {
        optB.step(g, lr);
      }
      assertEquals(r.gradNorm.dataSync()[0], wantNorm.dataSync()[0]);
      assertEquals(r.applied.dataSync()[0], 1);
      tf.dispose([r.gradNorm, r.applied, wantNorm, loss, ...g.values()]);
    }
    for (const [k, p] of a) assertEquals(Array.from(p.dataSync()), Array.from(b.get(k)!.dataSync()), k);
    const sa = optA.state(), sb = optB.state();
    for (const k of a.keys()) {
      assertEquals(Array.from(sa.m.get(k)!.dataSync()), Array.from(sb.m.get(k)!.dataSync()), `m.${k}`);
      assertEquals(Array.from(sa.v.get(k)!.dataSync()), Array.from(sb.v.get(k)!.dataSync()), `v.${k}`);
    }
    assertEquals(optA.stepCount, 3);
    tf.dispose([...sa.m.values(), ...sa.v.values(), ...sb.m.values(), ...sb.v.values(), ...a.values(), ...b.values()]);
    optA.dispose();
    optB.dispose();
  }
});

Deno.test("AdamW.update: a non-finite loss or gradient changes nothing, and every later update is skipped", async () => {
  await tf.setBackend("cpu");
  for (const bad of ["loss NaN", "loss Inf", "grad NaN", "grad -Inf"]) {
    const { params, grads } = updateCase();
    const a = params();
    const opt = new AdamW(a, { weightDecay: 0.1 });
    const g0 = grads(1);
    const r0 = opt.update(g0, { lr: 1e-2, maxGradNorm: 1, loss: tf.scalar(1) });
    assertEquals(r0.applied.dataSync()[0], 1, bad);
    const before = opt.state();
    const beforeP = new Map([...a].map(([k, p]) => [k, Array.from(p.dataSync())]));
    const g1 = grads(2);
    const loss = tf.scalar(bad === "loss NaN" ? NaN : bad === "loss Inf" ? Infinity : 3);
    if (bad.startsWith("grad")) {
      g1.get("layer.bias")!.dispose();
      g1.set("layer.bias", tf.tensor([0.5, bad === "grad NaN" ? NaN : -Infinity]));
    }
    const r1 = opt.update(g1, { lr: 1e-2, maxGradNorm: 1, loss });
    assertEquals(r1.applied.dataSync()[0], 0, bad);
    if (bad.startsWith("grad")) assert(!Number.isFinite(r1.gradNorm.dataSync()[0]), `${bad}: the norm says so`);
    // a good step after a bad one is skipped too: the run is stopping
    const r2 = opt.update(g0, { lr: 1e-2, maxGradNorm: 1, loss: tf.scalar(1) });
    assertEquals(r2.applied.dataSync()[0], 0, `${bad}: poisoned`);
    const after = opt.state();
    for (const [k, p] of a) {
      assertEquals(Array.from(p.dataSync()), beforeP.get(k), `${bad}: p.${k}`);
      assertEquals(Array.from(after.m.get(k)!.dataSync()), Array.from(before.m.get(k)!.dataSync()), `${bad}: m.${k}`);
      assertEquals(Array.from(after.v.get(k)!.dataSync()), Array.from(before.v.get(k)!.dataSync()), `${bad}: v.${k}`);
    }
    assertEquals(opt.stepCount, 3, "the step counter is a CPU number and advances");
    // restoring a saved state clears the flag
    opt.loadState(before);
    const r3 = opt.update(g0, { lr: 1e-2, maxGradNorm: 1, loss: tf.scalar(1) });
    assertEquals(r3.applied.dataSync()[0], 1, `${bad}: loadState un-poisons`);
    for (const r of [r0, r1, r2, r3]) tf.dispose([r.gradNorm, r.applied]);
    tf.dispose([...before.m.values(), ...before.v.values(), ...after.m.values(), ...after.v.values()]);
    tf.dispose([...g0.values(), ...g1.values(), loss, ...a.values()]);
    opt.dispose();
  }
});

Deno.test("AdamW.update: bad options named, and no tensors leaked", async () => {
  await tf.setBackend("cpu");
  const { params, grads } = updateCase();
  const a = params();
  const opt = new AdamW(a, {});
  const g = grads(1);
  const loss = tf.scalar(1);
  assertThrows(() => opt.update(g, { lr: 1e-3, maxGradNorm: -1, loss }), "maxGradNorm must be >= 0");
  assertThrows(
    () => opt.update(g, { lr: 1e-3, maxGradNorm: 1, loss: tf.ones([1]) as tf.Scalar }),
    "loss must be a scalar",
  );
  assertThrows(
    () => opt.update(new Map([["nope", tf.zeros([1])]]), { lr: 1e-3, maxGradNorm: 1, loss }),
    'unknown parameter "nope"',
  );
  const before = tf.memory().numTensors;
  const r = opt.update(g, { lr: 1e-3, maxGradNorm: 1, loss });
  assertEquals(tf.memory().numTensors, before + 2, "only gradNorm and applied are new");
  tf.dispose([r.gradNorm, r.applied, ...g.values(), loss, ...a.values()]);
  opt.dispose();
});

Deno.test("AdamW: the strategy is chosen at construction; another backend under one optimizer is an error", async () => {
  await tf.setBackend("cpu");
  const w = tf.variable(tf.tensor([1, 2]));
  const opt = new AdamW(new Map([["w", w]]), { weightDecay: 0 });
  assertEquals([opt.strategy, opt.backend], ["ops", "cpu"]);
  assertThrows(() => new AdamW(new Map([["w", w]]), { strategy: "flat" }), 'strategy "flat" needs the webgpu backend');
  const g = new Map([["w", tf.tensor([1, -1])]]);
  await selectBackend("wasm", { log: () => {} });
  try {
    assertThrows(() => opt.step(g, 0.1), "built on the cpu backend");
    const loss = tf.scalar(1);
    assertThrows(() => opt.update(g, { lr: 0.1, maxGradNorm: 1, loss }), "the active backend is wasm");
    assertThrows(() => opt.state(), "built on the cpu backend");
    loss.dispose();
  } finally {
    await tf.setBackend("cpu");
  }
  assertEquals(Array.from(w.dataSync()), [1, 2], "nothing stepped");
  opt.step(g, 0.1);
  assert(Math.abs(w.dataSync()[0] - 0.9) < 1e-6, "back on its backend it steps");
  opt.dispose();
  tf.dispose([w, ...g.values()]);
});
