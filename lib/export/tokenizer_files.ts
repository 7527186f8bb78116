/**
 * The tokenizer files an exported folder carries. transformers.js takes the special tokens (`mask_token`,
 * `cls_token`, …) and the tokenizer class from `tokenizer_config.json`; Python's `AutoTokenizer` falls back to the
 * class defaults when they are missing there (as in the Hub's `bert-base-uncased`, whose file holds only
 * `do_lower_case` and `model_max_length`). {@link completeTokenizerConfig} writes those defaults in, as
 * `tokenizer.save_pretrained` does.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import type { ModelConfig } from "../model/config.ts";

/** `BertTokenizer`'s special tokens (`DistilBertTokenizer` has the same). */
export const BERT_SPECIAL_TOKENS: Readonly<Record<string, string>> = {
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  mask_token: "[MASK]",
};

/** The tokenizer class Python saves for each model type (ModernBERT's is the fast tokenizer of its tokenizer.json). */
const TOKENIZER_CLASSES: Record<ModelConfig["model_type"], string> = {
  distilbert: "DistilBertTokenizer",
  bert: "BertTokenizer",
  modernbert: "PreTrainedTokenizerFast",
};

/**
 * `tokenizer_config.json` with the tokenizer class and special tokens that Python would fill in for this model type
 * (`DistilBertTokenizer` / `BertTokenizer` defaults); fields already there are kept.
 *
 * @example
 * ```ts
 * import { completeTokenizerConfig } from "./tokenizer_files.ts";
 * const c = completeTokenizerConfig({ do_lower_case: true }, "distilbert");
 * if (c.mask_token !== "[MASK]" || c.tokenizer_class !== "DistilBertTokenizer") throw new Error("defaults");
 * ```
 */
export function completeTokenizerConfig(
  config: Record<string, unknown>,
  modelType: ModelConfig["model_type"],
): Record<string, unknown> {
  return {
    ...config,
    tokenizer_class: config.tokenizer_class ?? TOKENIZER_CLASSES[modelType],
    ...Object.fromEntries(Object.entries(BERT_SPECIAL_TOKENS).map(([k, v]) => [k, config[k] ?? v])),
  };
}

/**
 * Copy the tokenizer files of `fromDir` (those of `TOKENIZER_FILES` that exist) into `toDir`, writing
 * `tokenizer_config.json` completed by {@link completeTokenizerConfig} (created when absent). Returns the names
 * written. Fails naming the file when `tokenizer_config.json` is not a JSON object.
 *
 * @example
 * ```ts
 * import { copyTokenizerFiles } from "./tokenizer_files.ts";
 * const from = await Deno.makeTempDir(), to = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${from}/vocab.txt`, "[PAD]\n");
 * const names = await copyTokenizerFiles(from, to, "bert");
 * if (names.join() !== "tokenizer_config.json,vocab.txt") throw new Error(names.join());
 * await Deno.remove(from, { recursive: true }); await Deno.remove(to, { recursive: true });
 * ```
 */
export async function copyTokenizerFiles(
  fromDir: string,
  toDir: string,
  modelType: ModelConfig["model_type"],
): Promise<string[]> {
  const written: string[] = [];
  const read = (path: string) =>
    Deno.readFile(path).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    });
  for (const name of TOKENIZER_FILES) {
    const from = `${fromDir}/${name}`;
    let data = await read(from);
    if (name === "tokenizer_config.json") {
      let json: unknown = {};
      if (data) {
        try {
          json = JSON.parse(new TextDecoder().decode(data));
        } catch (e) {
          throw new Error(`${from}: not valid JSON (${(e as Error).message})`);
        }
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new Error(`${from}: expected a JSON object, found ${Array.isArray(json) ? "an array" : typeof json}`);
      }
      data = new TextEncoder().encode(
        JSON.stringify(completeTokenizerConfig(json as Record<string, unknown>, modelType), null, 2) + "\n",
      );
    }
    if (!data) continue;
    await writeFileAtomic(`${toDir}/${name}`, data);
    written.push(name);
  }
  return written;
}
