// AdamW.update's gradScale (a loss scaler's 1 / scale) on webgpu's flat path, folded into the norm and the clip
// coefficient: gradients of a loss scaled by 2^k with gradScale 2^-k give the weights, moments and norm of the
// unscaled gradients bit for bit, with no extra dispatch; an inf gradient skips the update and stepSkipped re-arms
// it. The tf-op path (cpu) multiplies the gradients and is held to the same bits.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { countWebgpuDispatches } from "../../lib/bench/dispatch_counter.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("gradScale webgpu test");

function grads(scale: number, t: number): Map<string, tf.Tensor> {
  return new Map([
    ["a.weight", tf.tensor(Array.from({ length: 15 }, (_, i) => Math.sin(i + t) * scale * 3), [5, 3])],
    ["a.bias", tf.tensor(Array.from({ length: 7 }, (_, i) => Math.cos(i * t) * scale), [7])],
  ]);
}

async function run(scale: number, dispatches?: number[]) {
  const params = new Map([
    ["a.weight", tf.variable(tf.tensor(Array.from({ length: 15 }, (_, i) => i / 10), [5, 3]))],
    ["a.bias", tf.variable(tf.zeros([7]))],
  ]);
  const opt = new AdamW(params, { weightDecay: 0.01 });
  const norms: number[] = [];
  for (let t = 1; t <= 3; t++) {
    const g = grads(scale, t), loss = tf.scalar(1);
    const counter = dispatches ? countWebgpuDispatches() : undefined;
    const r = opt.update(g, { lr: 1e-2, maxGradNorm: 1, loss, gradScale: 1 / scale });
    counter?.stop();
    if (counter) dispatches!.push(counter.count);
    norms.push((await r.gradNorm.data())[0]);
    tf.dispose([...g.values(), loss, r.gradNorm, r.applied]);
  }
  const bad = grads(scale, 4);
  bad.set("a.bias", tf.fill([7], Infinity));
  const r = opt.update(bad, { lr: 1e-2, maxGradNorm: 1, loss: tf.scalar(1), gradScale: 1 / scale });
  const applied = (await r.applied.data())[0];
  opt.stepSkipped();
  const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));
  const out = await read([...params.values()]);
  const state = opt.state();
  const moments = await read([...state.m.values(), ...state.v.values()]);
  tf.dispose([...bad.values(), r.gradNorm, r.applied, ...state.m.values(), ...state.v.values()]);
  const step = opt.stepCount;
  opt.dispose();
  tf.dispose([...params.values()]);
  return { out, moments, norms, applied, step };
}

Deno.test({
  name: "gradScale on webgpu's flat AdamW: the unscaled run's bits, no extra dispatch; inf skips, stepSkipped re-arms",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    const d1: number[] = [], d2: number[] = [];
    const plain = await run(1, d1), scaled = await run(65536, d2);
    assertEquals(scaled, plain);
    assertEquals(d2, d1, "folded: the same dispatches");
    assert(plain.applied === 0 && plain.step === 3, "the inf step was skipped and taken back");
    await selectBackend("cpu", { log: () => {} });
    const cpu = await run(65536);
    assertEquals(cpu.out.map((a) => a.length), plain.out.map((a) => a.length));
    assertEquals(cpu.step, 3);
    const cpuPlain = await run(1);
    assertEquals(cpu, cpuPlain, "the tf-op path gives the unscaled bits too");
  },
});
