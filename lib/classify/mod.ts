/**
 * Downstream sequence classification: labelled data ({@link loadClassificationData}, {@link declareLabels}),
 * truncation and dynamic padding ({@link encodeExamples}, {@link collateClassification}), accuracy and F1 as
 * `evaluate` computes them, the training loop ({@link trainClassifier}), `classify-finetune` ({@link classifyFinetune})
 * and the base-versus-adapted comparison ({@link compareAdaptation}).
 *
 * @example
 * ```ts
 * import { accuracy, f1Score } from "./mod.ts";
 * const predictions = [1, 0, 1, 1], references = [1, 0, 0, 1];
 * console.log(accuracy(predictions, references), f1Score(predictions, references, { numLabels: 2 }));
 * ```
 *
 * @module
 */
export * from "./labels.ts";
export * from "./data.ts";
export * from "./batch.ts";
export * from "./metrics.ts";
export * from "./train.ts";
export * from "./finetune.ts";
export * from "./compare.ts";
