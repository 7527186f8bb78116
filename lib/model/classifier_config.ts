/**
 * A sequence classifier's configuration as Hugging Face keeps it: the label set (`id2label` with string keys,
 * `label2id`, `problem_type`), the class name, `config.json`, and the parameter table (the encoder's masked-LM names
 * plus the head: `pre_classifier` + `classifier` for DistilBERT, `bert.pooler.dense` + `classifier` for BERT,
 * `head.dense` + `head.norm` + `classifier` for ModernBERT).
 *
 * @module
 */
import { dims, floatFieldsJson, type ModelConfig } from "./config.ts";
import type { ParamSpec } from "./masked_lm.ts";
import { paramSpecs } from "./architectures.ts";

/**
 * HF class name of the config's sequence classifier.
 *
 * @example
 * ```ts
 * import { classifierArchitecture } from "./classifier_config.ts";
 * import { parseConfig } from "./config.ts";
 * if (classifierArchitecture(parseConfig({ model_type: "bert" })) !== "BertForSequenceClassification") throw new Error();
 * ```
 */
export function classifierArchitecture(config: ModelConfig): string {
  if (config.model_type === "modernbert") return "ModernBertForSequenceClassification";
  return config.model_type === "distilbert" ? "DistilBertForSequenceClassification" : "BertForSequenceClassification";
}

/** Options of {@link withClassifierConfig}. */
export interface ClassifierConfigOptions {
  /** Label names in class-id order (sets `id2label` / `label2id`). */
  labels?: readonly string[];
  /** Number of classes when no names are given (`LABEL_0`, `LABEL_1`, … as HF). */
  numLabels?: number;
}

/**
 * The label names of a config in class-id order: its `id2label`, else `num_labels` × `LABEL_i`, else HF's default of
 * two labels.
 *
 * @example
 * ```ts
 * import { labelNames } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * if (labelNames(parseConfig({ model_type: "bert" })).join() !== "LABEL_0,LABEL_1") throw new Error("HF default");
 * ```
 */
export function labelNames(config: ModelConfig): string[] {
  const id2label = config.id2label;
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== "object" || Array.isArray(id2label)) {
      throw new Error(`config field "id2label": expected an object {"0": name, …}, got ${JSON.stringify(id2label)}`);
    }
    const entries = Object.entries(id2label as Record<string, unknown>);
    const names: string[] = new Array(entries.length);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || names[id] !== undefined) {
        throw new Error(
          `config field "id2label": keys must be the ids 0..${entries.length - 1}, got ${JSON.stringify(k)}`,
        );
      }
      names[id] = String(v);
    }
    return names;
  }
  const n = config.num_labels ?? 2;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new Error(`config field "num_labels": expected an integer >= 1, got ${JSON.stringify(n)}`);
  }
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/**
 * A copy of `config` with the classifier fields HF writes: `id2label` (string keys), `label2id`, and `problem_type`
 * `"single_label_classification"` (the only one supported). Without options the config's own labels are kept.
 *
 * @example
 * ```ts
 * import { withClassifierConfig } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const c = withClassifierConfig(parseConfig({ model_type: "distilbert" }), { labels: ["neg", "pos"] });
 * if ((c.label2id as Record<string, number>).pos !== 1) throw new Error("label2id");
 * ```
 */
export function withClassifierConfig(config: ModelConfig, options: ClassifierConfigOptions = {}): ModelConfig {
  let names: string[];
  if (options.labels !== undefined) names = [...options.labels];
  else if (options.numLabels !== undefined) names = Array.from({ length: options.numLabels }, (_, i) => `LABEL_${i}`);
  else names = labelNames(config);
  if (names.length < 2) {
    throw new Error(`classifier: need at least 2 labels for single-label classification, got ${names.length}`);
  }
  if (new Set(names).size !== names.length) {
    throw new Error(`classifier: label names must be distinct, got ${JSON.stringify(names)}`);
  }
  const problem = config.problem_type;
  if (problem !== undefined && problem !== null && problem !== "single_label_classification") {
    throw new Error(
      `config field "problem_type": only "single_label_classification" is supported, got ${JSON.stringify(problem)}`,
    );
  }
  const out = { ...config } as ModelConfig;
  delete out.num_labels;
  out.id2label = Object.fromEntries(names.map((n, i) => [String(i), n]));
  out.label2id = Object.fromEntries(names.map((n, i) => [n, i]));
  out.problem_type = "single_label_classification";
  return out;
}

/**
 * The head's parameter table: `pre_classifier` + `classifier` (DistilBERT) or `bert.pooler.dense` + `classifier`
 * (BERT), HF-initialised (normal weights, zero biases).
 *
 * @example
 * ```ts
 * import { classifierHeadParams } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const head = classifierHeadParams(parseConfig({ model_type: "bert", hidden_size: 8, num_attention_heads: 2 }));
 * if (head.get("classifier.weight")!.shape.join() !== "2,8") throw new Error("two labels by default");
 * ```
 */
export function classifierHeadParams(config: ModelConfig): Map<string, ParamSpec> {
  const hidden = dims(config).hidden;
  const n = labelNames(config).length;
  const specs = new Map<string, ParamSpec>();
  if (config.model_type === "modernbert") { // head.dense → act → head.norm → dropout → classifier
    specs.set("head.dense.weight", { shape: [hidden, hidden], init: "normal" });
    if (config.classifier_bias) specs.set("head.dense.bias", { shape: [hidden], init: "zeros" });
    specs.set("head.norm.weight", { shape: [hidden], init: "ones" });
    if (config.norm_bias) specs.set("head.norm.bias", { shape: [hidden], init: "zeros" });
    specs.set("classifier.weight", { shape: [n, hidden], init: "normal" });
    specs.set("classifier.bias", { shape: [n], init: "zeros" });
    return specs;
  }
  const dense = config.model_type === "distilbert" ? "pre_classifier" : "bert.pooler.dense";
  specs.set(`${dense}.weight`, { shape: [hidden, hidden], init: "normal" });
  specs.set(`${dense}.bias`, { shape: [hidden], init: "zeros" });
  specs.set("classifier.weight", { shape: [n, hidden], init: "normal" });
  specs.set("classifier.bias", { shape: [n], init: "zeros" });
  return specs;
}

/**
 * Every parameter of the config's sequence classifier: the encoder's (the masked-LM table without its head) then the
 * classifier head's.
 *
 * @example
 * ```ts
 * import { sequenceClassificationParams } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const specs = sequenceClassificationParams(parseConfig({ model_type: "distilbert" }));
 * if (specs.has("vocab_transform.weight") || !specs.has("pre_classifier.weight")) throw new Error("head");
 * ```
 */
export function sequenceClassificationParams(config: ModelConfig): Map<string, ParamSpec> {
  const prefix = config.model_type === "modernbert" ? "model." : `${config.model_type}.`;
  const specs = new Map([...paramSpecs(config)].filter(([name]) => name.startsWith(prefix)));
  for (const [name, spec] of classifierHeadParams(config)) specs.set(name, spec);
  return specs;
}

/**
 * The classifier's `config.json` as HF writes it: sorted keys, `architectures` set to the classifier class.
 *
 * @example
 * ```ts
 * import { classifierConfigJson } from "./classifier_config.ts";
 * import { parseConfig } from "./config.ts";
 * const json = JSON.parse(classifierConfigJson(parseConfig({ model_type: "distilbert" })));
 * if (json.architectures[0] !== "DistilBertForSequenceClassification" || json.id2label["1"] !== "LABEL_1") {
 *   throw new Error("HF's classifier config");
 * }
 * ```
 */
export function classifierConfigJson(config: ModelConfig): string {
  const out: Record<string, unknown> = {
    ...withClassifierConfig(config),
    architectures: [classifierArchitecture(config)],
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return floatFieldsJson(sorted) + "\n";
}
