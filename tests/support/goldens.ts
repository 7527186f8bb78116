/**
 * Reading the shared HF goldens (`goldens.safetensors` beside each tiny checkpoint) the same way in every test.
 *
 * @module
 */
import { tf } from "../../lib/deps.ts";
import type { MlmBatch } from "../../lib/data/types.ts";
import type { SafeTensor } from "../../lib/model/safetensors.ts";

/** The golden batch (`input_ids`, `attention_mask`, `labels`, shape `[batch, seq]`) of a goldens file's tensors. */
export function goldenBatch(g: Map<string, SafeTensor>): MlmBatch {
  return {
    input_ids: g.get("input_ids")!.data as Int32Array,
    attention_mask: g.get("attention_mask")!.data as Int32Array,
    labels: g.get("labels")!.data as Int32Array,
    shape: g.get("input_ids")!.shape as [number, number],
  };
}

/** Largest `|a[i] - b[i]|` (the lengths must agree). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The logits a model gives for `batch` (`input_ids`, `attention_mask`), read back without leaving tensors behind. */
export async function batchLogits(
  model: { logits(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor },
  batch: MlmBatch,
): Promise<Float32Array> {
  const ids = tf.tensor2d(batch.input_ids, batch.shape, "int32");
  const mask = tf.tensor2d(batch.attention_mask, batch.shape, "int32");
  const logitsT = model.logits(ids, mask);
  const logits = (await logitsT.data()) as Float32Array; // async: WebGPU has no sync read under Deno
  tf.dispose([ids, mask, logitsT]);
  return logits;
}
