/**
 * Sequence classifiers (`DistilBertForSequenceClassification`, `BertForSequenceClassification`) as Hugging Face
 * computes, loads and saves them, in three parts:
 *
 * - `classifier_config.ts` — the label set in the config (`id2label`, `label2id`, `problem_type`), the class name,
 *   `config.json` and the parameter table;
 * - `classifier_models.ts` — the models on the masked-LM encoders, {@link buildSequenceClassifier} and
 *   {@link initSequenceClassifier};
 * - `classifier_checkpoint.ts` — {@link loadSequenceClassifier} from a masked-LM or classifier checkpoint (the new
 *   head initialised from a seed, with HF's messages) and {@link saveSequenceClassifier}.
 *
 * @example
 * ```ts
 * import { initSequenceClassifier, labelNames } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0, labels: ["neg", "pos"] });
 * if (labelNames(m.config).join() !== "neg,pos") throw new Error("labels");
 * m.dispose();
 * ```
 *
 * @module
 */
export * from "./classifier_config.ts";
export * from "./classifier_models.ts";
export * from "./classifier_checkpoint.ts";
