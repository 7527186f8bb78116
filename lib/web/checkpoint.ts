/**
 * What the page needs to know about a checkpoint folder before any model code loads (the page's main thread imports
 * this module alone): which of a folder's files to read ({@link CHECKPOINT_FILES}) and how a fill-mask prompt reads
 * with the model's own mask token ({@link withMaskToken}). Its one import, `lib/tokenize/files.ts`, has none;
 * nothing of `Deno.*`.
 *
 * @module
 */
import { TOKENIZER_FILES } from "../tokenize/files.ts";

/**
 * The files of a Hugging Face checkpoint folder the page reads: `config.json`, `model.safetensors` and every
 * tokenizer file a fast tokenizer is saved with (`TOKENIZER_FILES`: WordPiece's `vocab.txt`, byte-level BPE's
 * `vocab.json` + `merges.txt`, Unigram's `sentencepiece.bpe.model`, …). The rest (optimizer state, PyTorch
 * weights) is left unread.
 *
 * @example
 * ```ts
 * import { CHECKPOINT_FILES } from "./checkpoint.ts";
 * for (const name of ["config.json", "model.safetensors", "vocab.txt", "merges.txt", "sentencepiece.bpe.model"]) {
 *   if (!CHECKPOINT_FILES.includes(name)) throw new Error(`${name} is not read`);
 * }
 * if (CHECKPOINT_FILES.includes("optimizer.pt")) throw new Error("optimizer state is read");
 * ```
 */
export const CHECKPOINT_FILES: readonly string[] = ["config.json", "model.safetensors", ...TOKENIZER_FILES];

/** The mask tokens of the model families: BERT-style WordPiece and ModernBERT (`[MASK]`), RoBERTa and XLM-R (`<mask>`). */
const MASK_SPELLINGS = ["[MASK]", "<mask>"];

/**
 * `text` with the model's mask token: unchanged when it holds `maskToken`, else each `[MASK]` or `<mask>` (the other
 * families' spelling) becomes `maskToken` — so the page's default prompt "This is a great [MASK]." reads
 * "This is a great <mask>." for a RoBERTa model. A text with no mask token at all is left as it is (fill-mask then
 * says it lacks one).
 *
 * @example
 * ```ts
 * import { withMaskToken } from "./checkpoint.ts";
 * if (withMaskToken("This is a great [MASK].", "<mask>") !== "This is a great <mask>.") throw new Error("roberta");
 * if (withMaskToken("A <mask> film.", "[MASK]") !== "A [MASK] film.") throw new Error("bert");
 * if (withMaskToken("A [MASK] <mask>.", "<mask>") !== "A [MASK] <mask>.") throw new Error("has its own: unchanged");
 * ```
 */
export function withMaskToken(text: string, maskToken: string): string {
  if (text.includes(maskToken)) return text;
  let out = text;
  for (const other of MASK_SPELLINGS) if (other !== maskToken) out = out.replaceAll(other, maskToken);
  return out;
}
