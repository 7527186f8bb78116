// AdamW's flat device state on webgpu (lib/model/kernels/webgpu_adamw_flat_state.ts): parameters cut across small chunks
// give the one-chunk results, dispatches per step are 1 per chunk (+1 per chunk and 1 for the norm when clipping), a
// missing gradient leaves its parameter alone as the tf ops do, tfjs tensors are never written in place, a parameter
// assigned from outside is picked up, and the same run gives the same bits twice. Skipped, saying why, where there is
// no WebGPU adapter.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { AdamW, type AdamWOptions } from "../../lib/train/adamw.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { countingDispatches, finalArrays, makeParams, maxRelDiff, size, values } from "./adamw_fixture.ts";

const gpu = webgpuTestOptions("flat adamw webgpu tests");

/** Ragged sizes (not multiples of 4), both decay groups interleaved in the map. */
const SHAPES: Record<string, number[]> = {
  "a.weight": [5, 3],
  "a.bias": [7],
  "b.weight": [2, 2],
  "LayerNorm.weight": [9],
  "c.weight": [21],
};

/** Gradients of step `t` (global norms from ~0.3 to ~30: clipping at 1 scales most steps), `skip` left out. */
function gradsAt(t: number, skip?: string): Map<string, tf.Tensor> {
  return new Map(
    Object.entries(SHAPES).filter(([k]) => k !== skip).map((
      [k, s],
      i,
    ) => [k, tf.tensor(values(size(s), 10 * t + i, 10 ** (t - 1)), s)]),
  );
}

const LRS = [0, 1e-2, 5e-2, 2e-3];

interface Run {
  /** `p.`, `m.`, `v.` by name after the steps. */
  out: Map<string, Float32Array>;
  /** Dispatches per step. */
  dispatches: number[];
}

/**
 * `LRS.length` steps with `step` (`clip` false) or `update` (clip at 1); `skip` has no gradient at step 2; at step 3
 * the `a.weight` variable is assigned new values from outside first (as loading a checkpoint into the model does).
 */
async function run(options: AdamWOptions, clip: boolean, skip?: string): Promise<Run> {
  const params = makeParams(SHAPES);
  const opt = new AdamW(params, { weightDecay: 0.1, ...options });
  const dispatches: number[] = [];
  const loss = tf.scalar(1);
  for (let t = 0; t < LRS.length; t++) {
    if (t === 3) tf.tidy(() => params.get("a.weight")!.assign(tf.mul(params.get("a.weight")!, 0.5)));
    const grads = gradsAt(t, t === 2 ? skip : undefined);
    countingDispatches(dispatches, () => {
      if (!clip) return opt.step(grads, LRS[t]);
      const r = opt.update(grads, { lr: LRS[t], maxGradNorm: 1, loss });
      tf.dispose([r.gradNorm, r.applied]);
    });
    tf.dispose([...grads.values()]);
  }
  loss.dispose();
  return { out: await finalArrays(params, opt), dispatches };
}

Deno.test({
  name: "flat AdamW: small chunks, a missing gradient and an outside assignment as the tf ops; dispatches per chunk",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      // 64 flat elements: chunks of 8 cut most parameters, and the decay boundary (44) falls inside one
      for (const skip of [undefined, "a.weight", "LayerNorm.weight"]) {
        const ops = await run({ fused: false }, false, skip);
        const one = await run({}, false, skip);
        const small = await run({ chunkCapacity: 8 }, false, skip);
        const what = `step, skip ${skip}`;
        // per element the same shader whatever the chunks; against the tf ops within 1e-6 (0 differ on llvmpipe; a
        // GPU's compiler may contract a multiply and an add into one fma)
        assertEquals(maxRelDiff(small.out, one.out).differing, 0, `${what}: chunks of 8 vs one chunk`);
        const vsOps = maxRelDiff(one.out, ops.out);
        console.log(`${what}: vs tf ops ${vsOps.rel.toExponential(2)} (${vsOps.differing} differ)`);
        assert(vsOps.rel <= 1e-6, `${what}: one chunk vs tf ops ${vsOps.rel}`);
        assertEquals(one.dispatches, LRS.map(() => 1), `${what}: adamw_update once`);
        assertEquals(small.dispatches, LRS.map(() => 8), `${what}: once per chunk of 8 (64 / 8)`);
      }
      for (const skip of [undefined, "b.weight"]) {
        const ops = await run({ fused: false }, true, skip);
        const one = await run({}, true, skip);
        const small = await run({ chunkCapacity: 12 }, true, skip);
        const eight = await run({ chunkCapacity: 8 }, true, skip);
        const what = `update, skip ${skip}`;
        const vsOne = maxRelDiff(one.out, ops.out), vsSmall = maxRelDiff(small.out, ops.out);
        console.log(
          `${what}: one chunk vs tf ops ${vsOne.rel.toExponential(2)} (${vsOne.differing} differ), ` +
            `chunks of 12 ${vsSmall.rel.toExponential(2)} (${vsSmall.differing} differ)`,
        );
        assert(vsOne.rel <= 1e-6 && vsSmall.rel <= 1e-6, `${what}: within 1e-6 of the tf ops`);
        assertEquals(one.dispatches, LRS.map(() => 3), `${what}: sum of squares, finalize, update`);
        assertEquals(small.dispatches, LRS.map(() => 1 + 1 + 6), `${what}: 64 / 12 → 6 chunks, one sum`);
        assertEquals(eight.dispatches, LRS.map(() => 2 + 1 + 8), `${what}: 64 / 8 → 8 chunks, two sums (7 + 1)`);
        assert(maxRelDiff(eight.out, ops.out).rel <= 1e-6, `${what}: chunks of 8 within 1e-6 of the tf ops`);
        // the same bits twice
        assertEquals(maxRelDiff((await run({ chunkCapacity: 12 }, true, skip)).out, small.out).differing, 0, what);
      }
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "flat AdamW: tensors taken before an update keep their values, none leak; state stays on webgpu, named",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      const params = makeParams(SHAPES);
      const opt = new AdamW(params, { chunkCapacity: 16 });
      const before = tf.clone(params.get("c.weight")!);
      const wantBefore = Array.from(await before.data());
      const grads = gradsAt(1);
      opt.step(grads, 1e-2);
      assertEquals(Array.from(await before.data()), wantBefore, "a clone is not written through");
      assert((await params.get("c.weight")!.data())[0] !== wantBefore[0], "the parameter moved");
      const loss = tf.scalar(1);
      const before2 = tf.memory().numTensors;
      const r = opt.update(grads, { lr: 1e-2, maxGradNorm: 1, loss });
      assertEquals(tf.memory().numTensors, before2 + 2, "an update leaves gradNorm and applied, nothing else");
      tf.dispose([r.gradNorm, r.applied, loss]);
      const saved = opt.state();
      const m0 = Array.from(await saved.m.get("c.weight")!.data());
      opt.step(grads, 1e-2);
      assertEquals(Array.from(await saved.m.get("c.weight")!.data()), m0, "a saved state is a copy");
      await selectBackend("cpu", { log: () => {} });
      assertThrows(() => opt.step(new Map(), 1e-2), 'built on the webgpu backend (strategy "flat")');
      await useWebgpu();
      tf.dispose([before, ...grads.values(), ...saved.m.values(), ...saved.v.values(), ...params.values()]);
      opt.dispose();
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
