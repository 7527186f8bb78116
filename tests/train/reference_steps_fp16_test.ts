/**
 * Our 50-step run with `--fp16` on WebGPU (shader-f16: half-precision matmul operands, loss scaling) against
 * PyTorch's mixed precision on the same weights and batches (`fixtures/reference/train_50_steps_fp16.json`, made by
 * `tools/reference/train_reference_fp16.py`: `torch.autocast("cpu", dtype=torch.float16)` + `GradScaler("cpu")`).
 *
 * The scaler's trace (the scale of every step, the skipped steps) and the learning rates are equal. The losses: both
 * runs are float16 perturbations of the same float32 run, so per step
 * |ours16 − torch16| ≤ |ours16 − ours32| + |ours32 − torch32| + |torch32 − torch16|. The middle term is the float32
 * reference's bound (1e-3 relative, `reference_steps_test.ts`); the last is measured in the fixture (PyTorch's fp16
 * run against its fp32 run, worst step `d`); ours rounds a subset of what autocast rounds (matmul operands, where
 * autocast also rounds the products' outputs), so its own perturbation is taken as at most `d` too. Tolerance:
 * 1e-3 + 2·d relative, per step.
 */
import { selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { batchDigest, REFERENCE_ARGS, referenceBatches, runReference } from "../../tools/reference/reference_run.ts";

const FIXTURE = `${ROOT}/fixtures/reference/train_50_steps_fp16.json`;
const f16 = (await webgpuAdapter())?.shaderF16 === true;
if (!f16) console.log("SKIP 50-step fp16 reference: no WebGPU adapter with shader-f16");

Deno.test({
  name:
    "50 steps with --fp16 on webgpu: PyTorch autocast + GradScaler's scales and learning rates, losses within 1e-3 + 2d",
  ignore: !f16,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const torch = JSON.parse(await Deno.readTextFile(FIXTURE));
    const batches = await referenceBatches();
    assertEquals(await batchDigest(batches), torch.digest, "the batches PyTorch trained on");
    const { digest: _, ...args } = torch.args;
    assertEquals(args, JSON.parse(JSON.stringify(REFERENCE_ARGS)), "the settings PyTorch trained with");
    const steps: { loss: number; learning_rate: number; scale: number; skipped: boolean }[] = torch.fp16;
    const d = Math.max(...steps.map((s, i) => Math.abs(s.loss - torch.fp32[i].loss) / Math.abs(torch.fp32[i].loss)));
    const tolerance = 1e-3 + 2 * d;
    await selectBackend("webgpu", { log: () => {}, fp16: true });
    const { model, losses, lrs, scales, skipped } = await runReference(batches, { fp16: true });
    try {
      assertEquals(scales, steps.map((s) => s.scale), "the scale of every step");
      assertEquals(skipped, steps.map((s) => s.skipped), "the skipped steps");
      let worst = 0;
      for (let i = 0; i < steps.length; i++) {
        assert(Math.abs(lrs[i] - steps[i].learning_rate) <= 1e-9 + 1e-6 * steps[i].learning_rate, `step ${i} lr`);
        worst = Math.max(worst, Math.abs(losses[i] - steps[i].loss) / Math.abs(steps[i].loss));
      }
      console.log(`fp16 50 steps: worst per-step loss ${worst.toExponential(2)} relative (tolerance ${tolerance})`);
      assert(worst <= tolerance, `worst per-step loss difference ${worst} > ${tolerance}`);
      assert(losses.at(-1)! < losses[0] - 2, `the run learns: ${losses[0]} → ${losses.at(-1)}`);
    } finally {
      model.dispose();
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
