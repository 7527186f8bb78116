/**
 * Tokenization with Hugging Face `tokenizer.json` files: ids, attention masks and word ids exactly as the fast
 * tokenizer gives them, in this thread or across Web Workers for large corpora.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "./mod.ts";
 * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
 * if (tok && tok.encode("hello").word_ids.join() !== ",0,") throw new Error("word ids");
 * ```
 *
 * @module
 */
export * from "./tokenizer.ts";
export * from "./parallel.ts";
export * from "./packed.ts";
export * from "./wordpiece.ts";
export { intlWordIds, tokenOffsets, type TokenSpelling } from "./intl_words.ts";
