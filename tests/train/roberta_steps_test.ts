/**
 * 50 AdamW steps on the random tiny RoBERTa (real roberta-base tokenizer, 50,265-row vocabulary) against PyTorch's
 * run on the same initial weights, batches and masks (`fixtures/reference/roberta_50_steps.safetensors`, made by
 * tools/reference/train_roberta_reference.py from what tools/reference/export_roberta_run.ts wrote; the run is
 * tools/reference/roberta_run.ts): per-step losses and learning rates, and the trained weights (the word embeddings at
 * the batches' ids and 256 seeded ones, plus their column sums and sum of squares).
 */
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { haveShared, ROOT } from "../support/shared.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { assertSameInputs, assertSameSteps } from "../support/fifty_steps.ts";
import { ROBERTA_RUN_ARGS, robertaBatches, runRoberta } from "../../tools/reference/roberta_run.ts";
import { writeRobertaFixture } from "../model/roberta_fixture.ts";

const FIXTURE = `${ROOT}/fixtures/reference/roberta_50_steps.safetensors`;
const KEY_BIAS = /attention\.self\.key\.bias$/;

async function fiftySteps(backend: string): Promise<void> {
  const torch = await readSafetensors(FIXTURE);
  const dir = await writeRobertaFixture("tiny-roberta", "roberta-base");
  try {
    const batches = await robertaBatches(dir);
    await assertSameInputs(torch, batches, ROBERTA_RUN_ARGS);
    const { model, losses, lrs } = await runRoberta(dir, batches);
    try {
      const worstLoss = assertSameSteps(torch, losses, lrs, 0.5);
      const rows = torch.tensors.get("rows")!.data;
      let worstWeight = 0, worstName = "";
      for (const [name, v] of model.params) {
        if (KEY_BIAS.test(name)) continue; // zero gradient in exact arithmetic: Adam walks it by rounding noise
        const ours = (await v.data()) as Float32Array;
        const full = torch.tensors.get(`param.${name}`);
        let d: number;
        if (full) d = maxAbsDiff(ours, full.data);
        else {
          const width = v.shape[1] ?? 1;
          const picked = new Float32Array(rows.length * width);
          rows.forEach((r, j) => picked.set(ours.subarray(r * width, (r + 1) * width), j * width));
          d = maxAbsDiff(picked, torch.tensors.get(`param_rows.${name}`)!.data);
          const sums = new Float64Array(width);
          let sq = 0;
          for (let i = 0; i < ours.length; i++) sums[i % width] += ours[i], sq += ours[i] * ours[i];
          const theirSq = torch.tensors.get(`param_sq.${name}`)!.data[0];
          assert(Math.abs(sq - theirSq) <= 1e-4 * theirSq, `${name}: sum of squares ${sq} vs ${theirSq}`);
          d = Math.max(d, maxAbsDiff(sums, torch.tensors.get(`param_sum.${name}`)!.data) / ours.length * width);
        }
        if (d > worstWeight) [worstWeight, worstName] = [d, name];
      }
      console.log(
        `roberta 50 steps on ${backend} vs PyTorch: worst per-step loss ${worstLoss.toExponential(1)} (relative), ` +
          `worst weight ${worstWeight.toExponential(1)} (${worstName}); loss ${losses[0].toFixed(4)} → ${
            losses.at(-1)!.toFixed(4)
          }`,
      );
      assert(worstWeight <= 1e-3, `worst weight difference ${worstWeight} (${worstName})`);
      assertEquals(tf.memory().numTensors >= model.params.size, true);
    } finally {
      model.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ignore = !haveShared("data/roberta-base/tokenizer.json", "roberta 50 steps");

Deno.test({
  name: "roberta: 50 AdamW steps match PyTorch (wasm): per-step losses ≤ 1e-3 rel, final weights ≤ 1e-3",
  ignore,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    await fiftySteps("wasm");
  },
});

Deno.test({
  ...webgpuTestOptions("roberta 50 AdamW steps on webgpu"),
  name: "roberta: 50 AdamW steps match PyTorch (webgpu: fused kernels, flat AdamW)",
  ignore: ignore || webgpuTestOptions("roberta 50 AdamW steps on webgpu").ignore,
  fn: () => onWebgpu(() => fiftySteps("webgpu")),
});
