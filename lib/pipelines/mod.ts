/**
 * Inference pipelines: {@link fillMask}, Hugging Face's `pipeline("fill-mask")`.
 *
 * @example
 * ```ts
 * import { formatFillMask } from "./mod.ts";
 * console.log(formatFillMask([[{ score: 0.9, token: 2204, token_str: "good", sequence: "a good movie." }]]));
 * ```
 *
 * @module
 */
export {
  fillMask,
  type FillMaskOptions,
  type FillMaskOutput,
  type FillMaskPrediction,
  type FillMaskTokenizer,
  formatFillMask,
  pipelineOutput,
} from "./fill_mask.ts";
