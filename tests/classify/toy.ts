/**
 * A toy sentiment task for the classifier tests: texts of the tiny tokenizer's words where "hello" marks class 1
 * and "world" class 0 (easily separable), and a tiny random masked-LM checkpoint to start from.
 *
 * @module
 */
import { Rng } from "../../lib/data/rng.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { savePretrained } from "../../lib/model/pretrained.ts";
import { TINY_VOCAB, writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";

/** `n` rows `{text, label}`: filler words ("a", "b", "!") around "hello" (label 1) or "world" (label 0). */
export function toyRows(n: number, seed: number): { text: string; label: number }[] {
  const rng = new Rng(seed);
  const filler = ["a", "b", "!"];
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    const words = Array.from({ length: 2 + rng.int(6) }, () => filler[rng.int(filler.length)]);
    words.splice(rng.int(words.length + 1), 0, label === 1 ? "hello" : "world");
    return { text: words.join(" "), label };
  });
}

/** Write rows as JSON Lines. */
export async function writeJsonl(path: string, rows: Record<string, unknown>[]): Promise<void> {
  await Deno.writeTextFile(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

/** Sizes of the tiny models. */
export const TINY_DISTILBERT = {
  model_type: "distilbert",
  vocab_size: TINY_VOCAB.length,
  dim: 16,
  n_heads: 2,
  n_layers: 1,
  hidden_dim: 32,
  max_position_embeddings: 32,
};

/** A tiny random masked-LM checkpoint (with the tiny tokenizer's files) in `dir`. */
export async function writeToyModel(dir: string, seed: number, raw: Record<string, unknown> = TINY_DISTILBERT) {
  const tokDir = await writeTinyTokenizer();
  const model = initMaskedLM(parseConfig(raw), { seed });
  try {
    await savePretrained(model, dir, { tokenizerDir: tokDir });
  } finally {
    model.dispose();
    await Deno.remove(tokDir, { recursive: true });
  }
}
