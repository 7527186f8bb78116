/**
 * A tiny WordPiece `tokenizer.json` written to a temp folder, for tests that must not depend on ../shared.
 *
 * @module
 */
import { bertWordPieceTokenizerJson } from "../../lib/tokenize/wordpiece.ts";

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
  const dir = await Deno.makeTempDir({ prefix: "tiny-tok-" });
  await Deno.writeTextFile(
    `${dir}/tokenizer.json`,
    JSON.stringify(bertWordPieceTokenizerJson(vocab)),
  );
  for (const [name, value] of Object.entries(options.extraFiles ?? {})) {
    await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(value));
  }
  return dir;
}
