/**
 * The one place that maps a config's `model_type` to its parameter table and model class.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { BertConfig, DistilBertConfig, ModelConfig } from "./config.ts";
import { ModernBertForMaskedLM, modernbertParams } from "./modernbert.ts";
import { BertForMaskedLM, bertParams } from "./bert.ts";
import { DistilBertForMaskedLM, distilbertParams } from "./distilbert.ts";
import type { MaskedLM, ParamSpec } from "./masked_lm.ts";
import { makeVariables } from "./masked_lm.ts";
import { prepareTf } from "./backend.ts";

/**
 * HF name → shape and initialiser for the config's model class.
 *
 * @example
 * ```ts
 * import { paramSpecs } from "./architectures.ts";
 * import { parseConfig } from "./config.ts";
 * let n = 0;
 * for (const s of paramSpecs(parseConfig({ model_type: "distilbert" })).values()) n += s.shape.reduce((a, b) => a * b, 1);
 * if (n !== 66_985_530) throw new Error("distilbert-base-uncased has 66,985,530 parameters");
 * ```
 */
export function paramSpecs(config: ModelConfig): Map<string, ParamSpec> {
  if (config.model_type === "modernbert") return modernbertParams(config);
  return config.model_type === "distilbert"
    ? distilbertParams(config as DistilBertConfig)
    : bertParams(config as BertConfig);
}

/**
 * The HF class name of the config's masked-LM model.
 *
 * @example
 * ```ts
 * import { architectureName } from "./architectures.ts";
 * import { parseConfig } from "./config.ts";
 * if (architectureName(parseConfig({ model_type: "bert" })) !== "BertForMaskedLM") throw new Error("name");
 * ```
 */
export function architectureName(config: ModelConfig): string {
  if (config.model_type === "modernbert") return "ModernBertForMaskedLM";
  return config.model_type === "distilbert" ? "DistilBertForMaskedLM" : "BertForMaskedLM";
}

/**
 * Build the model from values already checked against {@link paramSpecs} (one `Float32Array` per HF name).
 *
 * @example
 * ```ts
 * import { buildMaskedLM, paramSpecs } from "./architectures.ts";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ model_type: "bert", vocab_size: 8, hidden_size: 4, num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: 4 });
 * const values = new Map([...paramSpecs(config)].map(([n, s]) => [n, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
 * const m = buildMaskedLM(config, values);
 * m.dispose();
 * ```
 */
export function buildMaskedLM(config: ModelConfig, values: Map<string, Float32Array>): MaskedLM {
  prepareTf();
  const params: Map<string, tf.Variable> = makeVariables(values, paramSpecs(config));
  if (config.model_type === "modernbert") return new ModernBertForMaskedLM(config, params);
  return config.model_type === "distilbert"
    ? new DistilBertForMaskedLM(config as DistilBertConfig, params)
    : new BertForMaskedLM(config as BertConfig, params);
}
