/**
 * Our 50-step training run against PyTorch's on the same initial weights, batches and masks
 * (`fixtures/reference/train_50_steps.safetensors`, made by `tools/reference/train_reference.py`; see
 * `tools/reference/reference_run.ts` for the run).
 */
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { ROOT } from "../support/shared.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";
import { REFERENCE_ARGS, referenceBatches, runReference } from "../../tools/reference/reference_run.ts";
import { assertSameInputs, assertSameSteps } from "../support/fifty_steps.ts";

const FIXTURE = `${ROOT}/fixtures/reference/train_50_steps.safetensors`;
/** The attention key's bias: softmax over keys ignores a per-query constant, so its exact gradient is zero. */
const KEY_BIAS = /attention\.(k_lin|self\.key)\.bias$/;

async function fiftySteps(backend: string): Promise<void> {
  const torch = await readSafetensors(FIXTURE);
  const batches = await referenceBatches();
  await assertSameInputs(torch, batches, REFERENCE_ARGS);
  const { model, losses, lrs } = await runReference(batches);
  try {
    const worstLoss = assertSameSteps(torch, losses, lrs, 2);

    // Every weight but the key biases within 1e-3 (measured: 1.9e-6). A key bias has a zero gradient in exact
    // arithmetic, so Adam (which divides by the gradient's own scale) walks it by the rounding noise of each side:
    // ours and PyTorch's differ by ~1e-3 there. Check instead that it cannot matter: the logits are the same with
    // our key biases and with PyTorch's.
    let worstWeight = 0, worstName = "";
    const keyBiases: string[] = [];
    for (const [name, v] of model.params) {
      const ref = torch.tensors.get(`param.${name}`);
      if (!ref) {
        assert(name === "vocab_projector.weight", `PyTorch's run has no ${name}`);
        continue; // tied to the word embeddings
      }
      if (KEY_BIAS.test(name)) {
        keyBiases.push(name);
        continue;
      }
      const d = maxAbsDiff(await v.data() as Float32Array, ref.data);
      if (d > worstWeight) [worstWeight, worstName] = [d, name];
    }
    assert(worstWeight <= 1e-3, `worst weight difference ${worstWeight} (${worstName})`);
    assertEquals(keyBiases.length, 2, "one key bias per layer");
    const b = batches[0];
    const logits = async (): Promise<Float32Array> => {
      const t = tf.tidy(() =>
        model.logits(tf.tensor2d(b.input_ids, b.shape, "int32"), tf.tensor2d(b.attention_mask, b.shape, "int32"))
      );
      const data = await t.data() as Float32Array;
      t.dispose();
      return data;
    };
    const ours = await logits();
    for (const name of keyBiases) model.params.get(name)!.assign(tf.tensor(torch.tensors.get(`param.${name}`)!.data));
    const withTorchKeyBias = await logits();
    const scale = ours.reduce((m: number, x: number) => Math.max(m, Math.abs(x)), 0);
    const keyBiasLogits = maxAbsDiff(ours, withTorchKeyBias) / scale;
    console.log(
      `50 steps on ${backend} vs PyTorch: worst per-step loss ${worstLoss.toExponential(1)} (relative), worst weight ` +
        `${worstWeight.toExponential(1)} (${worstName}), logits with PyTorch's key biases ${
          keyBiasLogits.toExponential(1)
        } (relative to the largest)`,
    );
    assert(keyBiasLogits <= 1e-5, "the key biases do not change the logits");
  } finally {
    model.dispose();
  }
}

Deno.test("50 AdamW steps match PyTorch (wasm): per-step losses ≤ 1e-3 rel, final weights ≤ 1e-3", async () => {
  await selectBackend("wasm", { log: () => {} });
  await fiftySteps("wasm");
});

Deno.test({
  ...webgpuTestOptions("50 AdamW steps on webgpu"),
  name:
    "50 AdamW steps match PyTorch (webgpu: fused kernels, flat AdamW): per-step losses ≤ 1e-3 rel, final weights ≤ 1e-3",
  fn: () => onWebgpu(() => fiftySteps("webgpu")),
});
