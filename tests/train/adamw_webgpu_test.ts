// AdamW on the webgpu backend (Mesa llvmpipe here) with the fused kernels over flat buffers: the same results as the
// tf-op path (on webgpu and on cpu), one dispatch per chunk for a step, the shared PyTorch goldens, and state
// save/restore bit for bit; and the per-parameter fused kernel (`fusedAdamWUpdate`) by hand. Skipped, saying why,
// where there is no WebGPU adapter.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { AdamW, type AdamWOptions } from "../../lib/train/adamw.ts";
import { clipGradNorm } from "../../lib/train/clip.ts";
import { fusedAdamWUpdate } from "../../lib/model/kernels/webgpu_adamw_per_param.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { countingDispatches, finalArrays, makeParams, maxRelDiff, size, values } from "./adamw_fixture.ts";

const gpu = webgpuTestOptions("adamw webgpu tests");

/**
 * Parameter shapes covering the kernel's two variants (element counts divisible by 4: vec4; else scalar) and both
 * decay groups (`bias` / `LayerNorm` get none).
 */
const SHAPES: Record<string, number[]> = {
  "lin.weight": [12, 8],
  "lin.bias": [7],
  "odd.weight": [5, 3],
  "LayerNorm.weight": [8],
};

/** Gradients of step `t`: magnitudes from 1e-4 to 10, one parameter all zero at step 2 (v stays tiny, denom ≈ eps). */
function gradsAt(t: number): Map<string, tf.Tensor> {
  return new Map(
    Object.entries(SHAPES).map(([k, s], i) => {
      const scale = t === 2 && i === 1 ? 0 : 10 ** (i - 4 + t);
      return [k, tf.tensor(values(size(s), 10 * t + i, scale), s)];
    }),
  );
}

/** Steps with warm-up (lr 0 first) and a changing rate, as the linear schedule gives. */
const LRS = [0, 1e-3, 5e-2, 2e-3];

/** Run `LRS.length` steps; returns parameters and moments as arrays by `p.`/`m.`/`v.` name. */
async function run(options: AdamWOptions): Promise<{ out: Map<string, Float32Array>; dispatches: number[] }> {
  const params = makeParams(SHAPES);
  const opt = new AdamW(params, { weightDecay: 0.1, ...options });
  const dispatches: number[] = [];
  for (let t = 0; t < LRS.length; t++) {
    const grads = gradsAt(t);
    countingDispatches(dispatches, () => opt.step(grads, LRS[t]));
    tf.dispose([...grads.values()]);
  }
  return { out: await finalArrays(params, opt), dispatches };
}

/**
 * The same steps through the per-parameter fused kernel (`fusedAdamWUpdate`, three dispatches a parameter: the
 * optimizer before the flat buffers), with torch's scalars in float64.
 */
async function runPerParameter(): Promise<Map<string, Float32Array>> {
  const params = makeParams(SHAPES);
  const m = new Map<string, tf.Tensor>([...params].map(([k, p]) => [k, tf.zerosLike(p)]));
  const v = new Map<string, tf.Tensor>([...params].map(([k, p]) => [k, tf.zerosLike(p)]));
  for (let t = 0; t < LRS.length; t++) {
    const grads = gradsAt(t), lr = LRS[t], step = t + 1;
    for (const [k, g] of grads) {
      const wd = k.includes("bias") || k.includes("LayerNorm") ? 0 : 0.1;
      const s = {
        decay: 1 - lr * wd,
        oneMinusBeta1: 1 - 0.9,
        beta2: 0.999,
        oneMinusBeta2: 1 - 0.999,
        bc2Sqrt: Math.sqrt(1 - 0.999 ** step),
        eps: 1e-8,
        stepSize: lr / (1 - 0.9 ** step),
      };
      const out = fusedAdamWUpdate({ p: params.get(k)!, g, m: m.get(k)!, v: v.get(k)! }, s);
      params.get(k)!.assign(out.p);
      tf.dispose([m.get(k)!, v.get(k)!, out.p]);
      m.set(k, out.m);
      v.set(k, out.v);
    }
    tf.dispose([...grads.values()]);
  }
  const out = new Map<string, Float32Array>();
  for (const [k, p] of params) {
    out.set(`p.${k}`, (await p.data()) as Float32Array);
    out.set(`m.${k}`, (await m.get(k)!.data()) as Float32Array);
    out.set(`v.${k}`, (await v.get(k)!.data()) as Float32Array);
  }
  tf.dispose([...m.values(), ...v.values(), ...params.values()]);
  return out;
}

Deno.test({
  name: "fused webgpu AdamW: bit for bit the per-parameter kernel, within 1e-6 of the tf ops (webgpu, cpu); 1 dispatch",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      const fused = await run({});
      const perParameter = await runPerParameter();
      const perParameterStrategy = await run({ strategy: "per-parameter" });
      const ops = await run({ fused: false });
      await selectBackend("cpu", { log: () => {} });
      const cpu = await run({ fused: false });
      await selectBackend("webgpu", { log: () => {} });
      const vsOps = maxRelDiff(fused.out, ops.out), vsCpu = maxRelDiff(fused.out, cpu.out);
      const n = [...fused.out.values()].reduce((a, x) => a + x.length, 0);
      console.log(
        `fused vs webgpu tf ops: max rel diff ${vsOps.rel.toExponential(2)}, ${vsOps.differing}/${n} values differ; ` +
          `vs cpu: ${
            vsCpu.rel.toExponential(2)
          }, ${vsCpu.differing}/${n}; dispatches/step fused ${fused.dispatches}, ` +
          `tf ops ${ops.dispatches}`,
      );
      // the same shader arithmetic as the per-parameter kernel; against separate tf ops a GPU's compiler may contract
      // a multiply and an add into one fma (llvmpipe does not: 0 differ there)
      assertEquals(maxRelDiff(fused.out, perParameter).differing, 0, "flat vs per-parameter kernel");
      assertEquals(
        maxRelDiff(perParameterStrategy.out, perParameter).differing,
        0,
        "strategy per-parameter vs by hand",
      );
      assertEquals(perParameterStrategy.dispatches, LRS.map(() => 3 * Object.keys(SHAPES).length), "3 a parameter");
      assert(vsOps.rel <= 1e-6, `fused vs webgpu tf ops: max rel diff ${vsOps.rel}`);
      assert(vsCpu.rel <= 1e-6, `fused vs cpu tf ops: max rel diff ${vsCpu.rel}`);
      assertEquals(fused.dispatches, LRS.map(() => 1), "adamw_update over the one chunk");
      assert(ops.dispatches.every((d) => d > 12), `the tf-op path dispatches more: ${ops.dispatches}`);
      // the update is not a no-op
      assert(fused.out.get("v.lin.weight")!.some((x) => x > 0), "second moment updated");
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "fusedAdamWUpdate: one step by hand, and bad input named",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      // t = 1, lr 0.1, wd 0.5: p·(1 - 0.05) - 0.1·sign(g) (Adam's first step moves each element by lr)
      const [p, g, m, v] = [tf.tensor([1, -2, 3]), tf.tensor([0.5, -4, 0]), tf.zeros([3]), tf.zeros([3])];
      const s = {
        decay: 1 - 0.1 * 0.5,
        oneMinusBeta1: 1 - 0.9,
        beta2: 0.999,
        oneMinusBeta2: 1 - 0.999,
        bc2Sqrt: Math.sqrt(1 - 0.999),
        eps: 1e-8,
        stepSize: 0.1 / (1 - 0.9),
      };
      const out = fusedAdamWUpdate({ p, g, m, v }, s);
      const [pv, mv, vv] = [await out.p.data(), await out.m.data(), await out.v.data()];
      const want = [0.95 - 0.1, -1.9 + 0.1, 2.85];
      for (let i = 0; i < 3; i++) assert(Math.abs(pv[i] - want[i]) < 1e-6, `p[${i}] ${pv[i]} vs ${want[i]}`);
      for (let i = 0; i < 3; i++) assert(Math.abs(mv[i] - [0.05, -0.4, 0][i]) < 1e-7, `m ${Array.from(mv)}`);
      assert(Math.abs(vv[1] - 0.016) < 1e-9 && vv[2] === 0, `v ${Array.from(vv)}`);
      assertEquals(out.p.shape, [3]);
      assertThrows(() => fusedAdamWUpdate({ p, g: tf.zeros([2]), m, v }, s), "g has shape [2]");
      assertThrows(() => fusedAdamWUpdate({ p, g, m, v }, { ...s, stepSize: NaN }), "scalar stepSize is NaN");
      tf.dispose([p, g, m, v, out.p, out.m, out.v]);
      await selectBackend("cpu", { log: () => {} });
      assertThrows(() => fusedAdamWUpdate({ p: tf.zeros([1]), g: tf.zeros([1]), m, v }, s), "needs the webgpu backend");
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "fused webgpu AdamW: a parameter past one chunk or one dispatch row (65,535 workgroups) is updated everywhere",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      // 64 vec4s per workgroup → 65,537 workgroups, which tfjs folds into a 2-D dispatch where one chunk holds it all
      // (a GPU binding ≥ 201 MB); llvmpipe binds 128 MiB, so there it spans two chunks. An odd length leaves a
      // zero-padded tail in the flat buffers.
      const n = 4 * 64 * 65_536 + 5;
      const p0 = values(n, 1, 1), g0 = values(n, 2, 0.01);
      const p = tf.variable(tf.tensor(p0));
      const g = tf.tensor(g0);
      const opt = new AdamW(new Map([["big.weight", p]]), { weightDecay: 0.1 });
      const lr = 1e-3;
      opt.step(new Map([["big.weight", g]]), lr);
      const got = await p.data();
      // the same f32 operations in JS (step 1 from zero moments), as the cpu backend's tf ops do them
      const f = Math.fround;
      const [decay, b1, b2, c2, eps, stepSize] = [1 - lr * 0.1, 1 - 0.9, 0.999, 1 - 0.999, 1e-8, lr / (1 - 0.9)]
        .map(f);
      const bc2Sqrt = f(Math.sqrt(1 - 0.999));
      let mismatches = 0, first = -1;
      for (let i = 0; i < n; i++) {
        const m = f(0 + f(f(g0[i] - 0) * b1));
        const v = f(f(0 * b2) + f(f(g0[i] * g0[i]) * c2));
        const denom = f(f(f(Math.sqrt(v)) / bc2Sqrt) + eps);
        const want = f(f(p0[i] * decay) - f(f(m / denom) * stepSize));
        if (got[i] !== want) {
          mismatches++;
          if (first < 0) first = i;
        }
      }
      assertEquals(mismatches, 0, `first mismatch at ${first}: ${got[first]}`);
      opt.dispose();
      tf.dispose([p, g]);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "fused webgpu AdamW: state saved and loaded continues bit for bit",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      const a = makeParams(SHAPES), b = makeParams(SHAPES);
      const optA = new AdamW(a, {}), optB = new AdamW(b, {});
      for (let t = 0; t < 4; t++) {
        const g = gradsAt(t);
        optA.step(g, LRS[t]);
        if (t < 2) optB.step(g, LRS[t]);
        tf.dispose([...g.values()]);
      }
      const saved = optB.state();
      const restored = new AdamW(b, {});
      restored.loadState(saved);
      tf.dispose([...saved.m.values(), ...saved.v.values()]);
      for (let t = 2; t < 4; t++) {
        const g = gradsAt(t);
        restored.step(g, LRS[t]);
        tf.dispose([...g.values()]);
      }
      const sa = optA.state(), sb = restored.state();
      assertEquals(sb.step, 4);
      for (const k of Object.keys(SHAPES)) {
        assertEquals(Array.from(await b.get(k)!.data()), Array.from(await a.get(k)!.data()), `p.${k}`);
        assertEquals(Array.from(await sb.m.get(k)!.data()), Array.from(await sa.m.get(k)!.data()), `m.${k}`);
        assertEquals(Array.from(await sb.v.get(k)!.data()), Array.from(await sa.v.get(k)!.data()), `v.${k}`);
      }
      tf.dispose([
        ...sa.m.values(),
        ...sa.v.values(),
        ...sb.m.values(),
        ...sb.v.values(),
        ...a.values(),
        ...b.values(),
      ]);
      for (const o of [optA, optB, restored]) o.dispose();
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "AdamW.update on webgpu: as clipGradNorm + step (tf ops: bit for bit; fused: within 1e-6); NaN skipped, sticky",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      for (const fused of [true, false]) {
        const a = makeParams(SHAPES), b = makeParams(SHAPES);
        const optA = new AdamW(a, { weightDecay: 0.1, fused }), optB = new AdamW(b, { weightDecay: 0.1, fused });
        const loss = tf.scalar(1.5);
        let worstNorm = 0;
        for (let t = 0; t < LRS.length; t++) {
          const g = gradsAt(t); // norms from ~1e-3 to ~1e3: some steps clip at 1, some do not
          const r = optA.update(g, { lr: LRS[t], maxGradNorm: 1, loss });
          const clipped = clipGradNorm(g, { maxNorm: 1 });
          optB.step(clipped.grads, LRS[t]);
          const [got, want] = [(await r.gradNorm.data())[0], (await clipped.totalNorm.data())[0]];
          if (fused) worstNorm = Math.max(worstNorm, Math.abs(got - want) / want);
          else assertEquals(got, want, `norm at ${t}`);
          assertEquals((await r.applied.data())[0], 1);
          tf.dispose([r.gradNorm, r.applied, clipped.totalNorm, ...clipped.grads.values(), ...g.values()]);
        }
        const [pa, pb] = [new Map<string, Float32Array>(), new Map<string, Float32Array>()];
        for (const [k, p] of a) {
          pa.set(k, (await p.data()) as Float32Array);
          pb.set(k, (await b.get(k)!.data()) as Float32Array);
        }
        const diff = maxRelDiff(pa, pb);
        console.log(
          `fused ${fused}: norm rel diff ${worstNorm.toExponential(2)}, weights ${diff.rel.toExponential(2)}`,
        );
        assert(worstNorm <= 1e-6, `fused: norm rel diff ${worstNorm}`);
        if (fused) assert(diff.rel <= 1e-6, `fused: weights rel diff ${diff.rel}`);
        else assertEquals(diff.differing, 0, "tf ops: bit for bit");
        const g = gradsAt(1);
        const bad = g.get("odd.weight")!;
        g.set("odd.weight", tf.tidy(() => tf.div(bad, tf.zerosLike(bad)))); // ±Inf and NaN (0/0)
        const r1 = optA.update(g, { lr: 1e-2, maxGradNorm: 1, loss });
        tf.dispose([bad, ...g.values()]);
        const g2 = gradsAt(2);
        const r2 = optA.update(g2, { lr: 1e-2, maxGradNorm: 1, loss });
        assertEquals([(await r1.applied.data())[0], (await r2.applied.data())[0]], [0, 0], `fused ${fused}: skipped`);
        for (const [k, p] of a) {
          assertEquals(Array.from(await p.data()), Array.from(pa.get(k)!), `fused ${fused}: p.${k} untouched`);
        }
        tf.dispose([r1.gradNorm, r1.applied, r2.gradNorm, r2.applied, ...g2.values(), loss, ...a.values()]);
        tf.dispose([...b.values()]);
        optA.dispose();
        optB.dispose();
      }
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
