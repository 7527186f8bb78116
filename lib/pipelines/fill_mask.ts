/**
 * Fill-mask, as Hugging Face's `pipeline("fill-mask")` does it: encode the text, take the softmax over the vocabulary
 * at each mask token, and for the `topK` best ids give `{score, token, token_str, sequence}` — `sequence` being the
 * text decoded with that id in place of the mask (padding dropped; special tokens skipped when the text has a single
 * mask, as HF does) and `token_str` the id decoded alone.
 *
 * Output shape follows HF: a text with one mask gives a list of predictions; a text with several masks gives one list
 * per mask; several texts give one such result per text.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { assertTokenizerMatches } from "../model/pretrained.ts";
import { maxSequenceLength } from "../model/config.ts";

/** The tokenizer calls fill-mask makes (`Tokenizer` from `lib/tokenize` has them). */
export interface FillMaskTokenizer {
  /** HF `encode`. */
  encode(text: string, options?: { addSpecialTokens?: boolean; maxLength?: number }): {
    input_ids: number[];
    attention_mask: number[];
  };
  /** HF `decode`. */
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Id of the mask token. */
  readonly maskTokenId: number;
  /** Text of the mask token (`[MASK]`). */
  readonly maskToken: string;
  /** Id of the padding token. */
  readonly padTokenId: number;
  /** Number of ids. */
  readonly vocabSize: number;
  /** Folder the tokenizer came from. */
  readonly dir?: string;
}

/** One prediction for one mask (HF's dictionary keys). */
export interface FillMaskPrediction {
  /** Softmax probability. */
  score: number;
  /** Predicted id. */
  token: number;
  /** The id decoded alone. */
  token_str: string;
  /** The text with the mask replaced. */
  sequence: string;
}

/** Hugging Face's pipeline output for one text: its predictions (one mask), or one list per mask (several). */
export type FillMaskOutput = FillMaskPrediction[] | FillMaskPrediction[][];

/** Options of {@link fillMask}. */
export interface FillMaskOptions {
  /** Predictions per mask (default 5, HF `top_k`). */
  topK?: number;
}

/**
 * Predict the masked tokens of `text`: one list of the `topK` predictions per mask token, best first (of each text,
 * for several texts). {@link pipelineOutput} gives HF's pipeline shape. Fails when a text has no mask token, or when
 * the tokenizer's vocabulary size differs from the model's.
 *
 * @example
 * ```ts
 * import { fillMask } from "./fill_mask.ts";
 * import { initMaskedLM } from "../model/init.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { loadTokenizer } from "../tokenize/tokenizer.ts";
 * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
 * if (tok) {
 *   const config = parseConfig({ model_type: "bert", vocab_size: tok.vocabSize, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 });
 *   const model = initMaskedLM(config, { seed: 0 });
 *   const [out] = await fillMask(model, tok, "This is a great [MASK].", { topK: 3 });
 *   if (out.length !== 3 || !(out[0].score >= out[1].score)) throw new Error("top 3, best first");
 *   model.dispose();
 * }
 * ```
 */
export async function fillMask(
  model: MaskedLM,
  tokenizer: FillMaskTokenizer,
  text: string,
  options?: FillMaskOptions,
): Promise<FillMaskPrediction[][]>;
export async function fillMask(
  model: MaskedLM,
  tokenizer: FillMaskTokenizer,
  text: readonly string[],
  options?: FillMaskOptions,
): Promise<FillMaskPrediction[][][]>;
export async function fillMask(
  model: MaskedLM,
  tokenizer: FillMaskTokenizer,
  text: string | readonly string[],
  options: FillMaskOptions = {},
): Promise<FillMaskPrediction[][] | FillMaskPrediction[][][]> {
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`fillMask: topK must be a positive integer, got ${topK}`);
  assertTokenizerMatches(model.config, tokenizer);
  if (typeof text !== "string") {
    const out: FillMaskPrediction[][][] = [];
    for (const t of text) out.push(await fillOne(model, tokenizer, t, Math.min(topK, model.config.vocab_size)));
    return out;
  }
  return await fillOne(model, tokenizer, text, Math.min(topK, model.config.vocab_size));
}

async function fillOne(
  model: MaskedLM,
  tokenizer: FillMaskTokenizer,
  text: string,
  topK: number,
): Promise<FillMaskPrediction[][]> {
  const { input_ids } = tokenizer.encode(text);
  const maxPositions = maxSequenceLength(model.config);
  if (input_ids.length > maxPositions) {
    throw new Error(
      `fillMask: the text is ${input_ids.length} tokens long, more than the model's ${maxPositions} positions`,
    );
  }
  const masked = input_ids.flatMap((id, i) => (id === tokenizer.maskTokenId ? [i] : []));
  if (masked.length === 0) {
    throw new Error(
      `fillMask: no mask token ${tokenizer.maskToken} in the text ${JSON.stringify(text.slice(0, 80))}; ` +
        `write ${tokenizer.maskToken} where a word should be predicted`,
    );
  }
  const { values, indices } = tf.tidy(() => {
    const ids = tf.tensor2d([input_ids], [1, input_ids.length], "int32");
    const mask = tf.ones([1, input_ids.length], "int32") as tf.Tensor2D;
    const logits = model.logits(ids, mask).squeeze([0]); // [seq, vocab]
    const atMasks = tf.gather(logits, tf.tensor1d(masked, "int32"));
    return tf.topk(tf.softmax(atMasks, -1), topK);
  });
  const scores = await values.array() as number[][];
  const ids = await indices.array() as number[][];
  tf.dispose([values, indices]);
  const single = masked.length === 1;
  return masked.map((pos, m) =>
    ids[m].map((token, k) => {
      const tokens = input_ids.slice();
      tokens[pos] = token;
      return {
        score: scores[m][k],
        token,
        token_str: tokenizer.decode([token]),
        sequence: tokenizer.decode(tokens.filter((t) => t !== tokenizer.padTokenId), { skipSpecialTokens: single }),
      };
    })
  );
}

/**
 * Hugging Face's pipeline shape of one text's predictions: the list itself for one mask, the lists for several.
 *
 * @example
 * ```ts
 * import { pipelineOutput } from "./fill_mask.ts";
 * const p = { score: 0.5, token: 2204, token_str: "good", sequence: "a good day" };
 * if (pipelineOutput([[p]]).length !== 1 || Array.isArray(pipelineOutput([[p]])[0])) throw new Error("one mask");
 * ```
 */
export function pipelineOutput(perMask: FillMaskPrediction[][]): FillMaskOutput {
  return perMask.length === 1 ? perMask[0] : perMask;
}

/**
 * Render predictions as the pipeline's fields in a plain-text table (one block per mask).
 *
 * @example
 * ```ts
 * import { formatFillMask } from "./fill_mask.ts";
 * const table = formatFillMask([[{ score: 0.5, token: 2204, token_str: "good", sequence: "a good day" }]]);
 * if (!table.includes("good")) throw new Error("table");
 * ```
 */
export function formatFillMask(lists: FillMaskPrediction[][]): string {
  const blocks = lists.map((preds, m) => {
    const score = (x: number) => (x >= 1e-3 ? x.toFixed(4) : x.toExponential(2));
    const rows = preds.map((p) => [score(p.score), String(p.token), p.token_str, p.sequence]);
    const header = ["score", "token", "token_str", "sequence"];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((v, c) => (c === 3 ? v : v.padEnd(widths[c]))).join("  ");
    const title = lists.length > 1 ? [`mask ${m + 1} of ${lists.length}`] : [];
    return [...title, line(header), ...rows.map(line)].join("\n");
  });
  return blocks.join("\n\n");
}
