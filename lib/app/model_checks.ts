/**
 * Checks on a model before it is used, for what PyTorch would refuse or what would give meaningless figures: a
 * chunk longer than the position table, and weights that are not finite.
 *
 * @module
 */
import { readConfig } from "../model/config.ts";
import type { MaskedLM } from "../model/masked_lm.ts";

/** Model types whose position ids start after the padding index (HF `create_position_ids_from_input_ids`). */
const OFFSET_POSITIONS = ["roberta", "xlm-roberta", "camembert"];

/**
 * The longest sequence the model's position table takes: `max_position_embeddings`, less RoBERTa's offset
 * (`pad_token_id + 1`) for the RoBERTa family.
 *
 * @example
 * ```ts
 * import { maxSequenceLength } from "./model_checks.ts";
 * if (maxSequenceLength({ model_type: "roberta", max_position_embeddings: 514, pad_token_id: 1 }) !== 512) throw new Error();
 * if (maxSequenceLength({ model_type: "bert", max_position_embeddings: 512, pad_token_id: 0 }) !== 512) throw new Error();
 * ```
 */
export function maxSequenceLength(
  config: { model_type: string; max_position_embeddings: number; pad_token_id?: number | null },
): number {
  const offset = OFFSET_POSITIONS.includes(config.model_type) ? (config.pad_token_id ?? 1) + 1 : 0;
  return config.max_position_embeddings - offset;
}

/**
 * Fail, before any data is read, when `--chunk-size` exceeds the model's position table (PyTorch fails with
 * "index out of range in self" on the first batch).
 *
 * @example
 * ```ts
 * import { assertChunkFits } from "./model_checks.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ model_type: "bert", max_position_embeddings: 128 }));
 * await assertChunkFits(dir, 128);
 * const err = await assertChunkFits(dir, 600).catch((e) => e);
 * if (!String(err.message).includes("--chunk-size 600")) throw new Error(err.message);
 * ```
 */
export async function assertChunkFits(modelDir: string, chunkSize: number): Promise<void> {
  const config = await readConfig(modelDir);
  const max = maxSequenceLength(config);
  if (chunkSize > max) {
    throw new Error(
      `--chunk-size ${chunkSize}: the model takes at most ${max} positions (max_position_embeddings ` +
        `${config.max_position_embeddings} in ${modelDir}/config.json); use --chunk-size ${max} or less`,
    );
  }
}

/**
 * Fail when any weight of `model` is NaN or infinite, naming the tensors (and how many values of each) and `source`.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "../model/init.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { assertFiniteWeights } from "./model_checks.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * await assertFiniteWeights(m, "test");
 * const [name, w] = [...m.params][0];
 * w.assign(w.mul(Number.NaN));
 * const err = await assertFiniteWeights(m, "test").catch((e) => e);
 * m.dispose();
 * if (!String(err.message).includes(name)) throw new Error(err.message);
 * ```
 */
export async function assertFiniteWeights(model: Pick<MaskedLM, "params">, source: string): Promise<void> {
  const bad: string[] = [];
  let tensors = 0;
  for (const [name, v] of model.params) {
    const data = await v.data() as Float32Array;
    let nan = 0, inf = 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x !== x) nan++;
      else if (x === Infinity || x === -Infinity) inf++;
    }
    if (nan + inf === 0) continue;
    tensors++;
    if (bad.length < 5) {
      bad.push(`${name} (${[nan ? `${nan} NaN` : "", inf ? `${inf} infinite` : ""].filter(Boolean).join(", ")})`);
    }
  }
  if (tensors > 0) {
    throw new Error(
      `${source}: ${tensors} weight tensor${tensors > 1 ? "s are" : " is"} not finite: ${bad.join(", ")}` +
        `${tensors > bad.length ? ", …" : ""}; the model's outputs would be NaN (a run that diverged?)`,
    );
  }
}
