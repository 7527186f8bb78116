/**
 * Hugging Face checkpoint folders: `loadMaskedLM` reads `config.json` + `model.safetensors` (names checked against
 * the model's parameter table, nothing created until every tensor is right), `savePretrained` writes them back in
 * HF's layout (plus the tokenizer files) so PyTorch `from_pretrained` loads them.
 *
 * Name handling, as HF's loader does (the renaming shared with the classifier loader is in `checkpoint_names.ts`):
 * legacy `LayerNorm.gamma/beta` → `weight/bias`; a base-model file without the `distilbert.`/`bert.`/`model.` prefix
 * gets it; the tied decoder weight (`vocab_projector.weight`, `cls.predictions.decoder.weight`, `decoder.weight`) is
 * accepted and tied to the word embeddings; `cls.predictions.decoder.bias` is the same tensor as `cls.predictions.bias`. Tensors `BertForMaskedLM` does not use in HF either (`bert.pooler.*`,
 * `cls.seq_relationship.*`, `*.position_ids` buffers) are skipped.
 *
 * @module
 */
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { exists, writeDirAtomic, writeFileAtomic } from "../fs.ts";
import { checkpointMismatch, checkpointNames, mentionedNames, tensorProblem } from "./checkpoint_names.ts";
import type { MaskedLM } from "./masked_lm.ts";
import { configToJson, type ModelConfig, readConfig } from "./config.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "./safetensors.ts";
import { architectureName, buildMaskedLM, paramSpecs } from "./architectures.ts";
import { type BackendName, selectBackend } from "./backend.ts";

/** Options of {@link loadMaskedLM}. */
export interface LoadMaskedLMOptions {
  /** Select this backend first (see `selectBackend`); default: keep the active one. */
  backend?: BackendName;
  /** Fail before reading the weights when this tokenizer's vocabulary size differs from the config's. */
  tokenizer?: { vocabSize: number; dir?: string };
}

/**
 * Load `DIR/config.json` and `DIR/model.safetensors`.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { loadMaskedLM, savePretrained } from "./pretrained.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * await savePretrained(m, `${dir}/ckpt`);
 * const back = await loadMaskedLM(`${dir}/ckpt`);
 * if (back.numParameters() !== m.numParameters()) throw new Error("round trip");
 * m.dispose(); back.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadMaskedLM(dir: string, options: LoadMaskedLMOptions = {}): Promise<MaskedLM> {
  if (options.backend) await selectBackend(options.backend);
  const config = await readConfig(dir);
  if (options.tokenizer) assertTokenizerMatches(config, options.tokenizer);
  const path = `${dir}/model.safetensors`;
  const file = await readSafetensors(path);
  const values = checkpointValues(file.tensors, config, { source: path });
  return buildMaskedLM(config, values);
}

/** Options of {@link checkpointValues}. */
export interface CheckpointValuesOptions {
  /** File name for error messages. */
  source?: string;
}

/**
 * Map a checkpoint's tensors onto the config's parameter table. Fails, listing every problem (name, expected shape,
 * found shape), on a missing, unexpected or mis-shaped tensor.
 *
 * @example
 * ```ts
 * import { checkpointValues } from "./pretrained.ts";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ model_type: "distilbert", vocab_size: 4, dim: 2, n_heads: 1, n_layers: 1, hidden_dim: 2 });
 * try {
 *   checkpointValues(new Map(), config);
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.includes("missing")) throw e;
 * }
 * ```
 */
export function checkpointValues(
  tensors: Map<string, SafeTensor>,
  config: ModelConfig,
  options: CheckpointValuesOptions = {},
): Map<string, Float32Array> {
  const source = options.source ?? "checkpoint";
  const specs = paramSpecs(config);
  const base = config.model_type === "modernbert" ? "model" : config.model_type; // the base model's key prefix
  // Tensors BertForMaskedLM does not use in HF either: the pooler and the next-sentence head.
  const { tensors: renamed, problems } = checkpointNames(tensors, base, {
    skip: /^bert\.pooler\.|^cls\.seq_relationship\./,
  });
  const [decoderWeight, wordName] = TIED_DECODER[config.model_type];
  const tied = new Map<string, string>();
  if (config.tie_word_embeddings) tied.set(decoderWeight, wordName);
  if (base === "bert") {
    if (renamed.has("cls.predictions.decoder.bias") && !renamed.has("cls.predictions.bias")) {
      renamed.set("cls.predictions.bias", renamed.get("cls.predictions.decoder.bias")!);
      renamed.delete("cls.predictions.decoder.bias");
    } else {
      tied.set("cls.predictions.decoder.bias", "cls.predictions.bias");
    }
  }
  const values = new Map<string, Float32Array>();
  for (const [name, { from, tensor }] of renamed) {
    const spec = specs.get(tied.get(name) ?? name);
    if (!spec) {
      problems.push(
        `unexpected tensor "${from}" with shape [${tensor.shape}] (not a parameter of ${architectureName(config)})`,
      );
      continue;
    }
    const problem = tensorProblem(from, tensor, spec);
    if (problem) problems.push(problem);
    else if (!tied.has(name)) values.set(name, tensor.data as Float32Array);
  }
  const mentioned = mentionedNames(problems);
  for (const [name, spec] of specs) {
    if (!values.has(name) && !mentioned.has(name)) {
      problems.push(`missing tensor "${name}" (expected shape [${spec.shape}])`);
    }
  }
  if (problems.length > 0) {
    throw checkpointMismatch(source, `${architectureName(config)}, ${specs.size} parameters`, problems);
  }
  return values;
}

/** Each family's decoder weight and the embedding matrix it is tied to. */
const TIED_DECODER: Record<ModelConfig["model_type"], [string, string]> = {
  distilbert: ["vocab_projector.weight", "distilbert.embeddings.word_embeddings.weight"],
  bert: ["cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"],
  modernbert: ["decoder.weight", "model.embeddings.tok_embeddings.weight"],
};

/** Options of {@link savePretrained}. */
export interface SavePretrainedOptions {
  /** Copy the tokenizer files found here (see {@link TOKENIZER_FILES}). */
  tokenizerDir?: string;
  /** Copy exactly these files instead (paths), e.g. a loaded tokenizer's `files`. */
  tokenizerFiles?: string[];
}

/**
 * Write `config.json` + `model.safetensors` (+ tokenizer files) in HF's layout. A new folder is assembled under a
 * temporary name and renamed; in an existing folder each file is written to a temporary name and renamed (other
 * files there are left alone).
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { savePretrained } from "./pretrained.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * await savePretrained(m, `${dir}/out`);
 * await Deno.stat(`${dir}/out/model.safetensors`);
 * m.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function savePretrained(model: MaskedLM, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const files: string[] = options.tokenizerFiles ? [...options.tokenizerFiles] : [];
  if (options.tokenizerDir && !options.tokenizerFiles) {
    for (const f of TOKENIZER_FILES) {
      if (await exists(`${options.tokenizerDir}/${f}`)) files.push(`${options.tokenizerDir}/${f}`);
    }
  }
  const write = async (target: string) => {
    await writeFileAtomic(`${target}/config.json`, configToJson(model.config));
    await writeSafetensors(`${target}/model.safetensors`, tensors, { metadata: { format: "pt" } });
    for (const f of files) await writeFileAtomic(`${target}/${f.split("/").pop()!}`, await Deno.readFile(f));
  };
  if (await exists(dir)) await write(dir); // each file replaced atomically; other files there are left alone
  else await writeDirAtomic(dir, write);
}

/** Options of {@link assertTokenizerMatches}. */
export interface AssertTokenizerMatchesOptions {
  /** Where the tokenizer came from, for the message. */
  source?: string;
}

/**
 * Fail when a tokenizer's vocabulary size differs from the model's `vocab_size`.
 *
 * @example
 * ```ts
 * import { assertTokenizerMatches } from "./pretrained.ts";
 * import { parseConfig } from "./config.ts";
 * assertTokenizerMatches(parseConfig({ model_type: "bert" }), { vocabSize: 30522 });
 * ```
 */
export function assertTokenizerMatches(
  config: ModelConfig,
  tokenizer: { vocabSize: number; dir?: string },
  options: AssertTokenizerMatchesOptions = {},
): void {
  if (tokenizer.vocabSize !== config.vocab_size) {
    const where = options.source ?? tokenizer.dir ?? "the tokenizer";
    throw new Error(
      `${where}: tokenizer vocabulary has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}; ` +
        `use the tokenizer the model was trained with`,
    );
  }
}
