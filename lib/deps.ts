/**
 * Every third-party module the library uses, pinned by full `npm:` specifier.
 *
 * Library code imports its dependencies from here (never by bare name), so `mod.ts` resolves when it is imported by
 * URL without this project's import map. The same pins stand in `deno.json` `imports` for tasks and tests;
 * `tests/deps_test.ts` checks that the two lists agree.
 *
 * @module
 */
export * as tf from "npm:@tensorflow/tfjs@4.22.0";
export { Tokenizer as HfTokenizer } from "npm:@huggingface/tokenizers@0.2.0";
