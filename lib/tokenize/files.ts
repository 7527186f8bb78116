/**
 * The names of the tokenizer files of a Hugging Face checkpoint folder. No imports, nothing of `Deno.*`: the page's
 * main thread reads this list (through `lib/web/checkpoint.ts`) without loading any tokenizer code.
 *
 * @module
 */

/**
 * The files `loadTokenizer` looks for, in the order they are copied into a checkpoint.
 *
 * @example
 * ```ts
 * import { TOKENIZER_FILES } from "./files.ts";
 * if (TOKENIZER_FILES[0] !== "tokenizer.json") throw new Error("tokenizer.json first");
 * ```
 */
export const TOKENIZER_FILES: readonly string[] = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.txt",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "sentencepiece.bpe.model",
];
