/**
 * Model configuration, read from and written to Hugging Face's `config.json` with HF's field names and defaults
 * (`DistilBertConfig`, `BertConfig` in transformers). Fields this project does not use are kept as they were read, so
 * writing a config back loses nothing.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";

/**
 * The `model_type` values this project can build.
 *
 * @example
 * ```ts
 * import { SUPPORTED_MODEL_TYPES } from "./config.ts";
 * if (!SUPPORTED_MODEL_TYPES.includes("distilbert")) throw new Error("distilbert");
 * ```
 */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ["distilbert", "bert", "roberta", "xlm-roberta"];

/**
 * Activation functions by HF name (`ACT2FN`) that the models implement.
 *
 * @example
 * ```ts
 * import { SUPPORTED_ACTIVATIONS } from "./config.ts";
 * if (!SUPPORTED_ACTIVATIONS.includes("gelu")) throw new Error("BERT's activation");
 * ```
 */
export const SUPPORTED_ACTIVATIONS: readonly string[] = ["gelu", "relu", "gelu_new", "gelu_pytorch_tanh", "silu"];

/** HF `DistilBertConfig` fields. */
export interface DistilBertConfig {
  /** Always `"distilbert"`. */
  model_type: "distilbert";
  /** Vocabulary size (rows of the word embeddings). */
  vocab_size: number;
  /** Hidden size. */
  dim: number;
  /** Number of transformer blocks. */
  n_layers: number;
  /** Attention heads per block. */
  n_heads: number;
  /** Width of the feed-forward layer. */
  hidden_dim: number;
  /** Feed-forward and MLM-head activation (HF name: `"gelu"` is the exact erf GELU). */
  activation: string;
  /** Rows of the position embeddings. */
  max_position_embeddings: number;
  /** Fixed sinusoidal position embeddings (not trained) instead of learned ones. */
  sinusoidal_pos_embds: boolean;
  /** Dropout after embeddings and the feed-forward layer. */
  dropout: number;
  /** Dropout on attention probabilities. */
  attention_dropout: number;
  /** Standard deviation of the normal initialiser. */
  initializer_range: number;
  /** Padding token id (its embedding row gets no gradient); `null` for none. */
  pad_token_id: number | null;
  /** The MLM decoder shares the word-embedding matrix. */
  tie_word_embeddings: boolean;
  /** Every other field, kept as read. */
  [field: string]: unknown;
}

/** HF `BertConfig` fields. */
export interface BertConfig extends BertFields {
  /** Always `"bert"`. */
  model_type: "bert";
}

/** The fields of HF `BertConfig` that RoBERTa and XLM-RoBERTa share. */
export interface BertFields {
  /** Vocabulary size (rows of the word embeddings). */
  vocab_size: number;
  /** Hidden size. */
  hidden_size: number;
  /** Number of encoder layers. */
  num_hidden_layers: number;
  /** Attention heads per layer. */
  num_attention_heads: number;
  /** Width of the feed-forward layer. */
  intermediate_size: number;
  /** Activation (HF name: `"gelu"` is the exact erf GELU). */
  hidden_act: string;
  /** Dropout after embeddings, attention output and feed-forward output. */
  hidden_dropout_prob: number;
  /** Dropout on attention probabilities. */
  attention_probs_dropout_prob: number;
  /** Rows of the position embeddings. */
  max_position_embeddings: number;
  /** Rows of the token-type embeddings. */
  type_vocab_size: number;
  /** Standard deviation of the normal initialiser. */
  initializer_range: number;
  /** LayerNorm epsilon. */
  layer_norm_eps: number;
  /** Padding token id (its embedding row gets no gradient); `null` for none. */
  pad_token_id: number | null;
  /** Only `"absolute"` is supported. */
  position_embedding_type: string;
  /** The MLM decoder shares the word-embedding matrix. */
  tie_word_embeddings: boolean;
  /** Every other field, kept as read. */
  [field: string]: unknown;
}

/**
 * HF `RobertaConfig` / `XLMRobertaConfig`: BERT's fields (XLM-R has RoBERTa's module graph); positions start at
 * `pad_token_id + 1`, so `max_position_embeddings` counts the padding offset.
 */
export interface RobertaConfig extends BertFields {
  /** `"roberta"` or `"xlm-roberta"`. */
  model_type: "roberta" | "xlm-roberta";
}

/** A masked-LM configuration. */
export type ModelConfig = DistilBertConfig | BertConfig | RobertaConfig;

/**
 * The HF masked-LM class of each `model_type`.
 *
 * @example
 * ```ts
 * import { MASKED_LM_CLASSES } from "./config.ts";
 * if (MASKED_LM_CLASSES["xlm-roberta"] !== "XLMRobertaForMaskedLM") throw new Error("class");
 * ```
 */
export const MASKED_LM_CLASSES: Readonly<Record<string, string>> = {
  distilbert: "DistilBertForMaskedLM",
  bert: "BertForMaskedLM",
  roberta: "RobertaForMaskedLM",
  "xlm-roberta": "XLMRobertaForMaskedLM",
};

/**
 * The prefix of the encoder's checkpoint keys (HF `base_model_prefix`): `roberta.` for XLM-R too.
 *
 * @example
 * ```ts
 * import { basePrefix, parseConfig } from "./config.ts";
 * if (basePrefix(parseConfig({ model_type: "xlm-roberta" })) !== "roberta") throw new Error("prefix");
 * ```
 */
export function basePrefix(config: { model_type: string }): string {
  return config.model_type === "xlm-roberta" ? "roberta" : config.model_type;
}

const DISTILBERT_DEFAULTS: Omit<DistilBertConfig, "model_type"> = {
  vocab_size: 30522,
  max_position_embeddings: 512,
  sinusoidal_pos_embds: false,
  n_layers: 6,
  n_heads: 12,
  dim: 768,
  hidden_dim: 3072,
  dropout: 0.1,
  attention_dropout: 0.1,
  activation: "gelu",
  initializer_range: 0.02,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  pad_token_id: 0,
  tie_word_embeddings: true,
};

const BERT_DEFAULTS: BertFields = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  position_embedding_type: "absolute",
  tie_word_embeddings: true,
};

// transformers' RobertaConfig / XLMRobertaConfig defaults (BERT's, with RoBERTa's special ids and vocabulary).
const ROBERTA_DEFAULTS: BertFields = {
  ...BERT_DEFAULTS,
  vocab_size: 50265,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
  classifier_dropout: null,
};
const BERT_LIKE_DEFAULTS: Record<string, BertFields> = {
  bert: BERT_DEFAULTS,
  roberta: ROBERTA_DEFAULTS,
  "xlm-roberta": { ...ROBERTA_DEFAULTS, vocab_size: 30522 },
};

/** HF `DistilBertConfig.attribute_map`: generic names accepted for DistilBERT's own. */
const DISTILBERT_ALIASES: Record<string, string> = {
  hidden_size: "dim",
  num_attention_heads: "n_heads",
  num_hidden_layers: "n_layers",
};

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Where the JSON came from, for error messages. */
  source?: string;
}

/**
 * Build a {@link ModelConfig} from parsed `config.json` content: HF defaults fill absent fields, every size is checked.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const c = parseConfig({ model_type: "distilbert", dim: 32, n_heads: 4 });
 * if (c.model_type !== "distilbert" || c.n_layers !== 6) throw new Error("HF defaults");
 * ```
 */
export function parseConfig(json: unknown, options: ParseConfigOptions = {}): ModelConfig {
  const source = options.source ?? "config";
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object, got ${JSON.stringify(json)?.slice(0, 80)}`);
  }
  const raw = { ...(json as Record<string, unknown>) };
  const type = raw.model_type;
  if (type === "distilbert") {
    for (const [alias, name] of Object.entries(DISTILBERT_ALIASES)) {
      if (alias in raw && !(name in raw)) raw[name] = raw[alias];
      delete raw[alias];
    }
    const c = { ...DISTILBERT_DEFAULTS, ...raw, model_type: "distilbert" } as DistilBertConfig;
    checkInts(c, ["vocab_size", "dim", "n_layers", "n_heads", "hidden_dim", "max_position_embeddings"], source);
    checkProbs(c, ["dropout", "attention_dropout"], source);
    checkCommon(c, source);
    checkActivation(c, "activation", source);
    checkBools(c, ["sinusoidal_pos_embds", "tie_word_embeddings"], source);
    if (c.dim % c.n_heads !== 0) {
      throw new Error(`${source}: field "dim" (${c.dim}) must be divisible by "n_heads" (${c.n_heads})`);
    }
    return c;
  }
  if (typeof type === "string" && type in BERT_LIKE_DEFAULTS) {
    const c = { ...BERT_LIKE_DEFAULTS[type], ...raw, model_type: type } as BertConfig;
    checkInts(
      c,
      ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"],
      source,
    );
    checkInts(c, ["max_position_embeddings", "type_vocab_size"], source);
    checkProbs(c, ["hidden_dropout_prob", "attention_probs_dropout_prob"], source);
    checkCommon(c, source);
    checkActivation(c, "hidden_act", source);
    checkBools(c, ["tie_word_embeddings"], source);
    if (typeof c.layer_norm_eps !== "number" || !(c.layer_norm_eps > 0)) {
      throw new Error(`${source}: field "layer_norm_eps": expected a positive number, got ${c.layer_norm_eps}`);
    }
    if (c.position_embedding_type !== "absolute") {
      throw new Error(
        `${source}: field "position_embedding_type": only "absolute" is supported, got ${
          JSON.stringify(c.position_embedding_type)
        }`,
      );
    }
    if (type !== "bert" && !(typeof c.pad_token_id === "number")) {
      throw new Error(`${source}: field "pad_token_id": ${type} needs one (position ids start after it), got null`);
    }
    if (c.hidden_size % c.num_attention_heads !== 0) {
      throw new Error(
        `${source}: field "hidden_size" (${c.hidden_size}) must be divisible by "num_attention_heads" (${c.num_attention_heads})`,
      );
    }
    return c;
  }
  throw new Error(
    `${source}: field "model_type": unsupported ${JSON.stringify(type)}; supported: ${
      SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(", ")
    }`,
  );
}

/**
 * The most tokens one sequence may have: `max_position_embeddings`, less RoBERTa's padding offset (its positions
 * run from `pad_token_id + 1`).
 *
 * @example
 * ```ts
 * import { maxSequenceLength, parseConfig } from "./config.ts";
 * if (maxSequenceLength(parseConfig({ model_type: "roberta", max_position_embeddings: 514 })) !== 512) throw new Error();
 * ```
 */
export function maxSequenceLength(config: ModelConfig): number {
  const offset = basePrefix(config) === "roberta" ? (config.pad_token_id ?? 0) + 1 : 0;
  return config.max_position_embeddings - offset;
}

/**
 * Read `DIR/config.json`.
 *
 * @example
 * ```ts
 * import { readConfig, writeConfig, parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * await writeConfig(parseConfig({ model_type: "bert", hidden_size: 96 }), dir);
 * if ((await readConfig(dir)).model_type !== "bert") throw new Error("round trip");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readConfig(dir: string): Promise<ModelConfig> {
  const path = `${dir}/config.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the model config (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(json, { source: path });
}

/**
 * The config as HF writes it: sorted keys, 2-space indent, trailing newline, with `architectures` set to the MLM class.
 *
 * @example
 * ```ts
 * import { configToJson, parseConfig } from "./config.ts";
 * const text = configToJson(parseConfig({ model_type: "distilbert" }));
 * if (!text.includes('"DistilBertForMaskedLM"')) throw new Error("architectures");
 * ```
 */
export function configToJson(config: ModelConfig): string {
  const out: Record<string, unknown> = {
    ...config,
    architectures: [MASKED_LM_CLASSES[config.model_type]],
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return JSON.stringify(sorted, null, 2) + "\n";
}

/**
 * Write `DIR/config.json` (to a temporary name, then renamed).
 *
 * @example
 * ```ts
 * import { parseConfig, writeConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * await writeConfig(parseConfig({ model_type: "distilbert" }), dir);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeConfig(config: ModelConfig, dir: string): Promise<void> {
  await writeFileAtomic(`${dir}/config.json`, configToJson(config));
}

/**
 * The sizes both model families share, under one set of names.
 *
 * @example
 * ```ts
 * import { dims, parseConfig } from "./config.ts";
 * if (dims(parseConfig({ model_type: "bert" })).hidden !== 768) throw new Error("bert-base");
 * ```
 */
export function dims(config: ModelConfig): {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  activation: string;
  eps: number;
} {
  if (config.model_type === "distilbert") {
    return {
      hidden: config.dim,
      layers: config.n_layers,
      heads: config.n_heads,
      intermediate: config.hidden_dim,
      activation: config.activation,
      eps: 1e-12, // DistilBERT's LayerNorms use a fixed eps
    };
  }
  return {
    hidden: config.hidden_size,
    layers: config.num_hidden_layers,
    heads: config.num_attention_heads,
    intermediate: config.intermediate_size,
    activation: config.hidden_act,
    eps: config.layer_norm_eps,
  };
}

function checkInts(c: Record<string, unknown>, fields: string[], source: string): void {
  for (const f of fields) {
    const v = c[f];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new Error(`${source}: field "${f}": expected a positive integer, got ${JSON.stringify(v)}`);
    }
  }
}

function checkProbs(c: Record<string, unknown>, fields: string[], source: string): void {
  for (const f of fields) {
    const v = c[f];
    if (typeof v !== "number" || !(v >= 0 && v < 1)) {
      throw new Error(`${source}: field "${f}": expected a probability in [0, 1), got ${JSON.stringify(v)}`);
    }
  }
}

function checkBools(c: Record<string, unknown>, fields: string[], source: string): void {
  for (const f of fields) {
    if (typeof c[f] !== "boolean") {
      throw new Error(`${source}: field "${f}": expected true or false, got ${JSON.stringify(c[f])}`);
    }
  }
}

function checkCommon(c: ModelConfig, source: string): void {
  if (typeof c.initializer_range !== "number" || !(c.initializer_range > 0)) {
    throw new Error(`${source}: field "initializer_range": expected a positive number, got ${c.initializer_range}`);
  }
  const pad = c.pad_token_id;
  if (pad !== null && (typeof pad !== "number" || !Number.isInteger(pad) || pad < 0 || pad >= c.vocab_size)) {
    throw new Error(
      `${source}: field "pad_token_id": expected an integer in [0, ${c.vocab_size}), got ${
        JSON.stringify(c.pad_token_id)
      }`,
    );
  }
}

function checkActivation(c: Record<string, unknown>, field: string, source: string): void {
  if (typeof c[field] !== "string" || !SUPPORTED_ACTIVATIONS.includes(c[field] as string)) {
    throw new Error(
      `${source}: field "${field}": unsupported activation ${JSON.stringify(c[field])}; supported: ${
        SUPPORTED_ACTIVATIONS.join(", ")
      }`,
    );
  }
}
