/**
 * The one mapping from a checkpoint's tensor names to the model's Hugging Face names, shared by the masked-LM loader
 * (`pretrained.ts`) and the sequence-classifier loader (`classifier_checkpoint.ts`), as HF's `from_pretrained` does:
 *
 * - legacy LayerNorm names `*.gamma` / `*.beta` → `*.weight` / `*.bias`;
 * - a base-model file (no key starts with `distilbert.` / `bert.`) gets that prefix on every key outside a head
 *   ({@link HEAD_PREFIXES});
 * - `*.position_ids` buffers are skipped;
 * - two file keys that land on one name are a problem, reported with both keys.
 *
 * The loaders then check each tensor against their parameter table ({@link tensorProblem}) and fail with every
 * problem listed ({@link checkpointMismatch}).
 *
 * @module
 */
import type { SafeTensor } from "./safetensors.ts";
import type { ParamSpec } from "./masked_lm.ts";

/**
 * Key prefixes of the task heads (masked LM, sequence classification, QA): never given the base-model prefix.
 *
 * @example
 * ```ts
 * import { HEAD_PREFIXES } from "./checkpoint_names.ts";
 * if (!HEAD_PREFIXES.includes("classifier.")) throw new Error("the classifier head");
 * ```
 */
export const HEAD_PREFIXES: readonly string[] = [
  "vocab_",
  "cls.",
  "pre_classifier.",
  "classifier.",
  "qa_outputs.",
  "dropout.",
  "head.",
  "decoder.",
];

/** A checkpoint tensor under its HF name, with the key it had in the file. */
export interface NamedTensor {
  /** The key in the file (for messages). */
  from: string;
  /** The tensor. */
  tensor: SafeTensor;
}

/** What {@link checkpointNames} returns. */
export interface CheckpointNames {
  /** Tensors by HF name, in file order. */
  tensors: Map<string, NamedTensor>;
  /** Name collisions, one line each. */
  problems: string[];
}

/** Options of {@link checkpointNames}. */
export interface CheckpointNamesOptions {
  /** Also skip the keys this pattern matches (after renaming), e.g. heads the model does not use. */
  skip?: RegExp;
}

/**
 * Rename a checkpoint's tensors to the HF names of a model whose base-model prefix is `modelType` (`"distilbert"`,
 * `"bert"`; ModernBERT's is `"model"`).
 *
 * @example
 * ```ts
 * import { checkpointNames } from "./checkpoint_names.ts";
 * const t = { shape: [2], data: new Float32Array(2) };
 * const { tensors } = checkpointNames(
 *   new Map([["embeddings.LayerNorm.gamma", t], ["vocab_projector.bias", t], ["embeddings.position_ids", t]]),
 *   "distilbert",
 * );
 * if ([...tensors.keys()].join() !== "distilbert.embeddings.LayerNorm.weight,vocab_projector.bias") {
 *   throw new Error([...tensors.keys()].join());
 * }
 * ```
 */
export function checkpointNames(
  tensors: Map<string, SafeTensor>,
  modelType: string,
  options: CheckpointNamesOptions = {},
): CheckpointNames {
  const prefix = `${modelType}.`;
  const hasBase = [...tensors.keys()].some((n) => n.startsWith(prefix));
  const out = new Map<string, NamedTensor>();
  const problems: string[] = [];
  for (const [from, tensor] of tensors) {
    let name = from.replace(/\.gamma$/, ".weight").replace(/\.beta$/, ".bias");
    if (/\.position_ids$/.test(name)) continue;
    if (!hasBase && !HEAD_PREFIXES.some((p) => name.startsWith(p))) name = prefix + name;
    if (options.skip?.test(name)) continue;
    const seen = out.get(name);
    if (seen) {
      problems.push(`tensors "${seen.from}" and "${from}" both map to "${name}"`);
      continue;
    }
    out.set(name, { from, tensor });
  }
  return { tensors: out, problems };
}

/**
 * What is wrong with a checkpoint tensor for a parameter (`undefined` when nothing): its shape, or integer data.
 *
 * @example
 * ```ts
 * import { tensorProblem } from "./checkpoint_names.ts";
 * const problem = tensorProblem("w", { shape: [3], data: new Float32Array(3) }, { shape: [2], init: "zeros" });
 * if (problem !== 'tensor "w": expected shape [2], found [3]') throw new Error(problem);
 * ```
 */
export function tensorProblem(from: string, tensor: SafeTensor, spec: ParamSpec): string | undefined {
  if (tensor.shape.length !== spec.shape.length || tensor.shape.some((d, i) => d !== spec.shape[i])) {
    return `tensor "${from}": expected shape [${spec.shape}], found [${tensor.shape}]`;
  }
  if (!(tensor.data instanceof Float32Array)) {
    return `tensor "${from}": expected a floating-point tensor, found an integer one`;
  }
  return undefined;
}

/**
 * The error of a checkpoint that does not fit: the file, what it was loaded as, and the first 12 problems.
 *
 * @example
 * ```ts
 * import { checkpointMismatch } from "./checkpoint_names.ts";
 * const err = checkpointMismatch("m/model.safetensors", "BertForMaskedLM, 5 parameters", ['missing tensor "x"']);
 * if (!err.message.includes("nothing was loaded:\n  - missing")) throw err;
 * ```
 */
export function checkpointMismatch(source: string, what: string, problems: readonly string[]): Error {
  const shown = problems.slice(0, 12).map((p) => `  - ${p}`);
  if (problems.length > 12) shown.push(`  … and ${problems.length - 12} more`);
  return new Error(`${source}: does not match the config (${what}); nothing was loaded:\n${shown.join("\n")}`);
}

/**
 * The quoted names the problems found so far mention (`tensor "x": …`), as a set: a parameter named there is not
 * reported again as missing. One pass over the problems, so a checkpoint far from its config (`n_layers: 10000`)
 * is checked in time linear in the names.
 *
 * @example
 * ```ts
 * import { mentionedNames } from "./checkpoint_names.ts";
 * const seen = mentionedNames(['tensor "a.weight": expected shape [2], found [3]']);
 * if (!seen.has("a.weight") || seen.has("b")) throw new Error("unexpected");
 * ```
 */
export function mentionedNames(problems: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const problem of problems) for (const m of problem.matchAll(/"([^"]*)"/g)) names.add(m[1]);
  return names;
}
