// Our model's logits for a batch of padded rows, in the `{ dims, data }` form the transformers.js client reports.
import { tf } from "../../lib/deps.ts";

/** The logits `model` gives for rows of ids and their attention mask, read back without leaving tensors behind. */
export async function ourLogits(
  model: { logits(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor },
  batch: { input_ids: number[][]; attention_mask: number[][] },
): Promise<{ dims: number[]; data: number[] }> {
  const ids = tf.tensor2d(batch.input_ids, undefined, "int32");
  const mask = tf.tensor2d(batch.attention_mask, undefined, "int32");
  const logits = model.logits(ids, mask);
  const out = { dims: logits.shape, data: Array.from(await logits.data()) };
  tf.dispose([ids, mask, logits]);
  return out;
}
