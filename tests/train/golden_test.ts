import { tf } from "../../lib/deps.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { goldenBatch } from "../support/goldens.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { countWebgpuDispatches } from "../../lib/bench/dispatch_counter.ts";

// make_goldens.py: eval mode, the same batch three times, AdamW lr 1e-3 wd 0.01 (no decay for bias/LayerNorm),
// linear warm-up 1 of 5 steps, clip_grad_norm_ 1.0; per-step loss and lr, and every parameter after.
async function threeSteps(name: string, backend: string): Promise<void> {
  const dir = `${SHARED}/goldens/${name}`;
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const model = await loadMaskedLM(dir);
  const batch = goldenBatch(g);
  const optimizer = new AdamW(trainableParams(model), { lr: 1e-3, weightDecay: 0.01 });
  const schedule = linearScheduleWithWarmup({ baseLr: 1e-3, warmupSteps: 1, totalSteps: 5 });
  const wantLoss = g.get("adamw.loss")!.data, wantLr = g.get("adamw.lr")!.data;
  // On webgpu, the optimizer's own dispatches (counted around AdamW.update): one flat chunk holds the tiny model, so
  // grad_sum_squares, grad_norm_finalize and adamw_update.
  const adamwDispatches: number[] = [];
  if (backend === "webgpu") {
    const update = optimizer.update.bind(optimizer);
    optimizer.update = (grads, options) => {
      const counter = countWebgpuDispatches();
      const r = update(grads, options);
      counter.stop();
      adamwDispatches.push(counter.count);
      return r;
    };
  }
  for (let step = 0; step < 3; step++) {
    const lr = schedule(step);
    assert(
      Math.abs(lr - wantLr[step]) <= 1e-5 * Math.abs(wantLr[step]) + 1e-12,
      `lr ${step}: ${lr} vs ${wantLr[step]}`,
    );
    const r = await trainStep(model, [batch], { optimizer, lr, maxGradNorm: 1.0, training: false });
    const rel = Math.abs(r.loss - wantLoss[step]) / Math.abs(wantLoss[step]);
    console.log(
      `${name} (${backend}) step ${step + 1}: loss ${r.loss} (torch ${wantLoss[step]}, rel ${rel.toExponential(2)})`,
    );
    assert(rel <= 1e-4, `loss at step ${step + 1}: ${r.loss} vs ${wantLoss[step]}`);
  }
  if (backend === "webgpu") {
    assertEquals(adamwDispatches, [3, 3, 3], "one optimizer update a step, 3 dispatches each");
  }
  let worstAbs = 0, worstName = "", checked = 0;
  for (const [pname, v] of model.params) {
    const want = g.get(`adamw.param.${pname}`);
    if (!want) continue; // the tied decoder has no separate entry
    const got = await v.data();
    assertEquals(got.length, want.data.length, pname);
    for (let i = 0; i < got.length; i++) {
      const diff = Math.abs(got[i] - want.data[i]);
      const ok = diff <= 1e-5 || diff <= 1e-4 * Math.abs(want.data[i]);
      if (diff > worstAbs) [worstAbs, worstName] = [diff, pname];
      assert(ok, `${pname}[${i}]: ${got[i]} vs torch ${want.data[i]}`);
    }
    checked++;
  }
  console.log(
    `${name} (${backend}): ${checked} parameters match; largest abs diff ${worstAbs.toExponential(2)} (${worstName})`,
  );
  assertEquals(checked, [...g.keys()].filter((k) => k.startsWith("adamw.param.")).length);
  optimizer.dispose();
  model.dispose();
}

for (const name of ["tiny-distilbert", "tiny-bert"]) {
  const have = haveShared(`goldens/${name}/goldens.safetensors`, `golden ${name}`);
  Deno.test({
    name: `AdamW + schedule + clipping: three steps match PyTorch (${name} golden, cpu)`,
    ignore: !have,
    async fn() {
      tf.enableProdMode();
      await tf.setBackend("cpu");
      await threeSteps(name, "cpu");
    },
  });
  const gpu = webgpuTestOptions(`golden ${name} on webgpu`);
  Deno.test({
    ...gpu,
    name: `AdamW + schedule + clipping: three steps match PyTorch (${name} golden, webgpu: fused kernels, flat AdamW)`,
    ignore: !have || gpu.ignore,
    fn: () => onWebgpu(() => threeSteps(name, "webgpu")),
  });
}
