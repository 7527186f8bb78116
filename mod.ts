/**
 * Domain-adapt masked language models (DistilBERT, BERT) on WebGPU from Deno: stream a corpus, tokenize with word
 * ids, cut into chunks, mask (random-token or whole-word), train, evaluate perplexity deterministically, save a
 * Hugging Face checkpoint and fill masks.
 *
 * @example
 * ```ts
 * import { Rng } from "./mod.ts";
 * const rng = new Rng(42);
 * console.log(rng.int(10));
 * ```
 *
 * @module
 */
export * from "./lib/data/types.ts";
export { permutation, Rng, type RngState, shuffleInPlace } from "./lib/data/rng.ts";
export { type DataRecord, readJsonl, readLines } from "./lib/data/jsonl.ts";
