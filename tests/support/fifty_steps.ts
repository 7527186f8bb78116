/**
 * The checks every 50-step run against PyTorch's makes (tests/train/*_steps_test.ts): the fixture was made from the
 * same batches and settings, and the per-step losses and learning rates agree.
 *
 * @module
 */
import type { MlmBatch } from "../../lib/data/types.ts";
import type { SafetensorsFile } from "../../lib/model/safetensors.ts";
import { batchDigest } from "../../tools/reference/reference_run.ts";
import { assert, assertEquals } from "./assert.ts";

/**
 * Asserts PyTorch's fixture `torch` was trained on `batches` (its `digest` metadata) with `args` (its `args`
 * metadata, the digest aside).
 *
 * @example
 * ```ts ignore
 * await assertSameInputs(await readSafetensors(FIXTURE), await referenceBatches(), REFERENCE_ARGS);
 * ```
 */
export async function assertSameInputs(
  torch: SafetensorsFile,
  batches: readonly MlmBatch[],
  args: object,
): Promise<void> {
  assertEquals(await batchDigest(batches), torch.metadata.digest, "the batches PyTorch trained on");
  const { digest: _, ...torchArgs } = JSON.parse(torch.metadata.args);
  assertEquals(torchArgs, JSON.parse(JSON.stringify(args)), "the settings PyTorch trained with");
}

/**
 * Asserts each step's loss is within 1e-3 (relative) of PyTorch's `loss`, each learning rate within 1e-6 (relative,
 * plus 1e-9) of its `lr`, and that the loss drops by more than `learnsBy` over the run; returns the worst relative loss
 * difference.
 *
 * @example
 * ```ts
 * import { assertSameSteps } from "./fifty_steps.ts";
 * const lr = { shape: [2], data: new Float32Array([1e-3, 5e-4]) };
 * const loss = { shape: [2], data: new Float32Array([9, 6]) };
 * const torch = { tensors: new Map([["loss", loss], ["lr", lr]]), metadata: {}, dtypes: new Map() };
 * const worst = assertSameSteps(torch, [9.0001, 6], [1e-3, 5e-4], 2);
 * if (!(worst > 0 && worst < 1e-3)) throw new Error("within 1e-3");
 * ```
 */
export function assertSameSteps(
  torch: SafetensorsFile,
  losses: readonly number[],
  lrs: readonly number[],
  learnsBy: number,
): number {
  const torchLoss = torch.tensors.get("loss")!.data, torchLr = torch.tensors.get("lr")!.data;
  let worstLoss = 0;
  for (let s = 0; s < losses.length; s++) {
    worstLoss = Math.max(worstLoss, Math.abs(losses[s] - torchLoss[s]) / Math.abs(torchLoss[s]));
    assert(Math.abs(lrs[s] - torchLr[s]) <= 1e-9 + 1e-6 * torchLr[s], `step ${s} lr ${lrs[s]} vs ${torchLr[s]}`);
  }
  assert(worstLoss <= 1e-3, `worst per-step loss difference ${worstLoss} (relative)`);
  assert(losses.at(-1)! < losses[0] - learnsBy, `the run learns: ${losses[0]} → ${losses.at(-1)}`);
  return worstLoss;
}
