/**
 * The library without a file system (a browser tab, a worker): a checkpoint folder held in memory
 * ({@link tokenizerFromFiles}, {@link maskedLMFromFiles}, {@link pretrainedFiles}), a corpus file's texts
 * ({@link corpusTexts}), model files over HTTP with errors that say why ({@link fetchFile}) and the whole domain
 * adaptation in memory ({@link adaptInMemory}), the files a checkpoint folder holds and prompts in the model's own mask
 * token ({@link CHECKPOINT_FILES}, {@link withMaskToken}). No module here touches
 * `Deno.*`; `build.ts` and `serve.ts` beside it (the page's build and server) are Deno-only and not re-exported.
 *
 * @example
 * ```ts
 * import { corpusTexts } from "./mod.ts";
 * const texts = corpusTexts("c.jsonl", new TextEncoder().encode('{"text":"a fine film"}\n'));
 * if (texts[0] !== "a fine film") throw new Error("one text");
 * ```
 *
 * @module
 */
export {
  fetchFile,
  type FetchFileOptions,
  type FileBytes,
  type FromFilesOptions,
  maskedLMFromFiles,
  pretrainedFiles,
  tokenizerFromFiles,
} from "./files.ts";
export { CHECKPOINT_FILES, withMaskToken } from "./checkpoint.ts";
export { corpusTexts, type CorpusTextsOptions } from "./corpus.ts";
export {
  type AdaptEvent,
  adaptInMemory,
  type AdaptOptions,
  type AdaptResult,
  type Masking,
  probeLogits,
} from "./adapt.ts";
