/**
 * Model configuration, read from and written to Hugging Face's `config.json` with HF's field names and defaults
 * (`DistilBertConfig`, `BertConfig`, `ModernBertConfig` in transformers). Fields this project does not use are kept as they were read, so
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
export const SUPPORTED_MODEL_TYPES: readonly string[] = ["distilbert", "bert", "modernbert"];

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
export interface BertConfig {
  /** Always `"bert"`. */
  model_type: "bert";
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

/** HF `ModernBertConfig` fields (both the saved `layer_types` / `rope_parameters` and the older Hub fields). */
export interface ModernBertConfig {
  /** Always `"modernbert"`. */
  model_type: "modernbert";
  /** Vocabulary size (rows of the token embeddings). */
  vocab_size: number;
  /** Hidden size. */
  hidden_size: number;
  /** Width of the GeGLU feed-forward layer (`mlp.Wi` is twice this: input and gate). */
  intermediate_size: number;
  /** Number of encoder layers. */
  num_hidden_layers: number;
  /** Attention heads per layer. */
  num_attention_heads: number;
  /** Activation of the GLU input half (HF name). */
  hidden_activation: string;
  /** Longest sequence the model was trained for (rotary positions have no table, so this is advisory). */
  max_position_embeddings: number;
  /** Standard deviation of the initialiser. */
  initializer_range: number;
  /** LayerNorm epsilon. */
  norm_eps: number;
  /** LayerNorms have a bias. */
  norm_bias: boolean;
  /** `attn.Wqkv` and `attn.Wo` have biases. */
  attention_bias: boolean;
  /** `mlp.Wi` and `mlp.Wo` have biases. */
  mlp_bias: boolean;
  /** The MLM decoder has a bias. */
  decoder_bias: boolean;
  /** `head.dense` has a bias. */
  classifier_bias: boolean;
  /** Activation of the prediction head (HF name). */
  classifier_activation: string;
  /** Sequence-classifier pooling: the first token or the mean over real tokens. */
  classifier_pooling: "cls" | "mean";
  /** Dropout after the embedding LayerNorm. */
  embedding_dropout: number;
  /** Dropout on attention probabilities and on the attention output. */
  attention_dropout: number;
  /** Dropout inside the MLP (before `mlp.Wo`). */
  mlp_dropout: number;
  /** Dropout before the sequence classifier. */
  classifier_dropout: number;
  /** Total width of the sliding window: local layers attend to keys at most `local_attention / 2` positions away. */
  local_attention: number;
  /** Every n-th layer (from layer 0) is global when `layer_types` is absent. */
  global_attn_every_n_layers: number;
  /** Rotary base of the global layers (when `rope_parameters` does not give it). */
  global_rope_theta: number;
  /** Rotary base of the local layers (when `rope_parameters` does not give it). */
  local_rope_theta: number;
  /** Padding token id (its embedding row gets no gradient); `null` for none. */
  pad_token_id: number | null;
  /** The MLM decoder shares the token-embedding matrix. */
  tie_word_embeddings: boolean;
  /** Every other field, kept as read (`layer_types`, `rope_parameters`, special token ids, ...). */
  [field: string]: unknown;
}

/** A masked-LM configuration. */
export type ModelConfig = DistilBertConfig | BertConfig | ModernBertConfig;

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

const BERT_DEFAULTS: Omit<BertConfig, "model_type"> = {
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

const MODERNBERT_DEFAULTS: Omit<ModernBertConfig, "model_type"> = {
  vocab_size: 50368,
  hidden_size: 768,
  intermediate_size: 1152,
  num_hidden_layers: 22,
  num_attention_heads: 12,
  hidden_activation: "gelu",
  max_position_embeddings: 8192,
  initializer_range: 0.02,
  norm_eps: 1e-5,
  norm_bias: false,
  attention_bias: false,
  mlp_bias: false,
  decoder_bias: true,
  classifier_bias: false,
  classifier_activation: "gelu",
  classifier_pooling: "cls",
  embedding_dropout: 0,
  attention_dropout: 0,
  mlp_dropout: 0,
  classifier_dropout: 0,
  local_attention: 128,
  global_attn_every_n_layers: 3,
  global_rope_theta: 160_000,
  local_rope_theta: 10_000,
  pad_token_id: 50283,
  tie_word_embeddings: true,
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
  if (type === "bert") {
    const c = { ...BERT_DEFAULTS, ...raw, model_type: "bert" } as BertConfig;
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
    if (c.hidden_size % c.num_attention_heads !== 0) {
      throw new Error(
        `${source}: field "hidden_size" (${c.hidden_size}) must be divisible by "num_attention_heads" (${c.num_attention_heads})`,
      );
    }
    return c;
  }
  if (type === "modernbert") return parseModernBert(raw, source);
  throw new Error(
    `${source}: field "model_type": unsupported ${JSON.stringify(type)}; supported: ${
      SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(", ")
    }`,
  );
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
  return floatFieldsJson(sorted) + "\n";
}

/**
 * Fields that transformers declares `float`: written with a decimal point even when whole (`2.0`, not `2`), since
 * transformers 5 rejects an integer there (`initializer_cutoff_factor` of ModernBERT) as Python's `json` writes them.
 */
const FLOAT_FIELDS = new Set([
  "initializer_range",
  "initializer_cutoff_factor",
  "layer_norm_eps",
  "norm_eps",
  "rope_theta",
  "global_rope_theta",
  "local_rope_theta",
]);

/**
 * `JSON.stringify(value, null, 2)`, with the fields transformers declares `float` written with a decimal point even
 * when whole (`"initializer_cutoff_factor": 2.0`), as Python's `json` writes them: transformers 5 refuses an integer
 * there.
 *
 * @example
 * ```ts
 * import { floatFieldsJson } from "./config.ts";
 * if (floatFieldsJson({ norm_eps: 1, vocab_size: 5 }) !== '{\n  "norm_eps": 1.0,\n  "vocab_size": 5\n}') throw new Error();
 * ```
 */
export function floatFieldsJson(value: unknown): string {
  const mark = "\u0000float:";
  const text = JSON.stringify(
    value,
    (key, v) => FLOAT_FIELDS.has(key) && Number.isInteger(v) ? `${mark}${v}` : v,
    2,
  );
  return text.replace(/"\\u0000float:(-?\d+)"/g, "$1.0");
}

/** The HF masked-LM class of each `model_type`. */
const MASKED_LM_CLASSES: Record<ModelConfig["model_type"], string> = {
  distilbert: "DistilBertForMaskedLM",
  bert: "BertForMaskedLM",
  modernbert: "ModernBertForMaskedLM",
};

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
  if (config.model_type === "modernbert") {
    return {
      hidden: config.hidden_size,
      layers: config.num_hidden_layers,
      heads: config.num_attention_heads,
      intermediate: config.intermediate_size,
      activation: config.hidden_activation,
      eps: config.norm_eps,
    };
  }
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

function parseModernBert(raw: Record<string, unknown>, source: string): ModernBertConfig {
  const c = { ...MODERNBERT_DEFAULTS, ...raw, model_type: "modernbert" } as ModernBertConfig;
  checkInts(
    c,
    ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"],
    source,
  );
  checkInts(c, ["max_position_embeddings", "local_attention", "global_attn_every_n_layers"], source);
  checkProbs(c, ["embedding_dropout", "attention_dropout", "mlp_dropout", "classifier_dropout"], source);
  checkCommon(c, source);
  checkActivation(c, "hidden_activation", source);
  checkActivation(c, "classifier_activation", source);
  checkBools(c, [
    "norm_bias",
    "attention_bias",
    "mlp_bias",
    "decoder_bias",
    "classifier_bias",
    "tie_word_embeddings",
  ], source);
  for (const f of ["norm_eps", "global_rope_theta", "local_rope_theta"]) {
    if (typeof c[f] !== "number" || !((c[f] as number) > 0)) {
      throw new Error(`${source}: field "${f}": expected a positive number, got ${JSON.stringify(c[f])}`);
    }
  }
  if (c.classifier_pooling !== "cls" && c.classifier_pooling !== "mean") {
    throw new Error(
      `${source}: field "classifier_pooling": expected "cls" or "mean", got ${JSON.stringify(c.classifier_pooling)}`,
    );
  }
  const heads = c.num_attention_heads;
  if (c.hidden_size % heads !== 0 || (c.hidden_size / heads) % 2 !== 0) {
    throw new Error(
      `${source}: field "hidden_size" (${c.hidden_size}) must be divisible by "num_attention_heads" (${heads}) ` +
        `into an even head size (rotary embeddings rotate pairs)`,
    );
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    throw new Error(
      `${source}: field "rope_scaling": only the default rotary embedding is supported, got ` +
        JSON.stringify(c.rope_scaling),
    );
  }
  modernBertLayerTypes(c, source);
  for (const t of ["full_attention", "sliding_attention"] as const) modernBertRopeTheta(c, t, source);
  return c;
}

/** A ModernBERT layer's attention: over every key, or over a sliding window. */
export type ModernBertLayerType = "full_attention" | "sliding_attention";

/**
 * Each layer's attention type: `layer_types` when the config has it (transformers 5 writes it), else every
 * `global_attn_every_n_layers`-th layer from layer 0 global and the others sliding-window (the Hub configs' form).
 *
 * @example
 * ```ts
 * import { modernBertLayerTypes, parseConfig } from "./config.ts";
 * import type { ModernBertConfig } from "./config.ts";
 * const c = parseConfig({ model_type: "modernbert", num_hidden_layers: 4 }) as ModernBertConfig;
 * if (modernBertLayerTypes(c).join() !== "full_attention,sliding_attention,sliding_attention,full_attention") {
 *   throw new Error("every third layer global");
 * }
 * ```
 */
export function modernBertLayerTypes(c: ModernBertConfig, source = "config"): ModernBertLayerType[] {
  const given = c.layer_types;
  if (given === undefined || given === null) {
    return Array.from(
      { length: c.num_hidden_layers },
      (_, i) => i % c.global_attn_every_n_layers === 0 ? "full_attention" : "sliding_attention",
    );
  }
  if (
    !Array.isArray(given) || given.length !== c.num_hidden_layers ||
    given.some((t) => t !== "full_attention" && t !== "sliding_attention")
  ) {
    throw new Error(
      `${source}: field "layer_types": expected ${c.num_hidden_layers} entries, each "full_attention" or ` +
        `"sliding_attention", got ${JSON.stringify(given)}`,
    );
  }
  return given as ModernBertLayerType[];
}

/**
 * The rotary base of a layer type: `rope_parameters[type].rope_theta` when the config has it (transformers 5), else
 * `global_rope_theta` / `local_rope_theta`. Only the default rotary embedding (`rope_type` `"default"`) is supported.
 *
 * @example
 * ```ts
 * import { modernBertRopeTheta, parseConfig } from "./config.ts";
 * import type { ModernBertConfig } from "./config.ts";
 * const c = parseConfig({ model_type: "modernbert" }) as ModernBertConfig;
 * if (modernBertRopeTheta(c, "full_attention") !== 160000) throw new Error("global theta");
 * ```
 */
export function modernBertRopeTheta(c: ModernBertConfig, type: ModernBertLayerType, source = "config"): number {
  const fallback = type === "full_attention" ? c.global_rope_theta : c.local_rope_theta;
  const all = c.rope_parameters;
  if (all === undefined || all === null) return fallback;
  const p = (all as Record<string, unknown>)[type];
  if (p === undefined || p === null) return fallback;
  const { rope_type = "default", rope_theta = fallback } = p as { rope_type?: unknown; rope_theta?: unknown };
  if (rope_type !== "default") {
    throw new Error(
      `${source}: field "rope_parameters.${type}.rope_type": only "default" is supported, got ${
        JSON.stringify(rope_type)
      }`,
    );
  }
  if (typeof rope_theta !== "number" || !(rope_theta > 0)) {
    throw new Error(
      `${source}: field "rope_parameters.${type}.rope_theta": expected a positive number, got ${
        JSON.stringify(rope_theta)
      }`,
    );
  }
  return rope_theta;
}
