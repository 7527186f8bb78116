/**
 * A tiny WordPiece `tokenizer.json` written to a temp folder, for tests that must not depend on ../shared.
 *
 * @module
 */

/** Vocabulary of the tiny tokenizer (ids are the positions). */
export const TINY_VOCAB: string[] = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "hello",
  "world",
  "##s",
  "!",
  "a",
  "b",
];

/** Options of {@linkcode writeTinyTokenizer}. */
export interface TinyTokenizerOptions {
  /** Leave `[MASK]` out of the vocabulary. */
  withoutMask?: boolean;
  /** Extra files (name → JSON value) written beside tokenizer.json. */
  extraFiles?: Record<string, unknown>;
}

/** Write the tiny tokenizer into a new temp folder and return its path. */
export async function writeTinyTokenizer(options: TinyTokenizerOptions = {}): Promise<string> {
  const vocab = options.withoutMask ? TINY_VOCAB.filter((t) => t !== "[MASK]") : TINY_VOCAB;
  const specials = vocab.filter((t) => t.startsWith("["));
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const dir = await Deno.makeTempDir({ prefix: "tiny-tok-" });
  await Deno.writeTextFile(
    `${dir}/tokenizer.json`,
    JSON.stringify({
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: specials.map((content) => ({
        id: ids[content],
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
        single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, {
          SpecialToken: { id: "[SEP]", type_id: 0 },
        }],
        pair: [],
        special_tokens: {
          "[CLS]": { id: "[CLS]", ids: [ids["[CLS]"]], tokens: ["[CLS]"] },
          "[SEP]": { id: "[SEP]", ids: [ids["[SEP]"]], tokens: ["[SEP]"] },
        },
      },
      decoder: { type: "WordPiece", prefix: "##", cleanup: true },
      model: {
        type: "WordPiece",
        unk_token: "[UNK]",
        continuing_subword_prefix: "##",
        max_input_chars_per_word: 100,
        vocab: ids,
      },
    }),
  );
  for (const [name, value] of Object.entries(options.extraFiles ?? {})) {
    await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(value));
  }
  return dir;
}
