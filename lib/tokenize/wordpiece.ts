/**
 * Build a BERT-style WordPiece `tokenizer.json` (the format HF `tokenizers` saves) from a vocabulary: BertNormalizer
 * (lowercase), BertPreTokenizer, WordPiece with `##` continuations, `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B [SEP]`
 * templates. For small in-domain vocabularies (the demo fixture, tests); `loadTokenizer` reads what it makes.
 *
 * @module
 */

/**
 * BERT's special tokens, in the order they are declared as added tokens.
 *
 * @example
 * ```ts
 * import { BERT_SPECIAL_TOKENS } from "./wordpiece.ts";
 * if (BERT_SPECIAL_TOKENS[4] !== "[MASK]") throw new Error("order");
 * ```
 */
export const BERT_SPECIAL_TOKENS: readonly string[] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/**
 * The `tokenizer.json` object for `vocab` (ids are positions). Every BERT special token present in `vocab` becomes
 * an added special token; `[UNK]`, `[CLS]` and `[SEP]` must be present.
 *
 * @example
 * ```ts
 * import { bertWordPieceTokenizerJson } from "./wordpiece.ts";
 * const json = bertWordPieceTokenizerJson(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "movie", "##s"]);
 * if ((json.model as { vocab: Record<string, number> }).vocab["##s"] !== 6) throw new Error("ids are positions");
 * ```
 */
export function bertWordPieceTokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  for (const required of ["[UNK]", "[CLS]", "[SEP]"]) {
    if (!ids.has(required)) throw new Error(`bertWordPieceTokenizerJson: the vocabulary lacks ${required}`);
  }
  const id = (t: string) => ids.get(t)!;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIAL_TOKENS.filter((t) => ids.has(t)).map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}
