/**
 * The `README.md` model card pushed with a checkpoint, in the shape `transformers.Trainer.create_model_card` writes:
 * YAML front matter (license, base_model, datasets, tags, model-index), a summary, the hyperparameters, a per-epoch
 * results table (with perplexity, as the Hugging Face course reports it) and a fill-mask usage snippet.
 *
 * @module
 */

/** One row of the results table. */
export interface EpochResult {
  /** Epoch number (1-based, may be fractional). */
  epoch: number;
  /** Mean training loss over the epoch (omit when unknown). */
  trainLoss?: number;
  /** Evaluation loss. */
  evalLoss: number;
  /** `exp(evalLoss)`. */
  perplexity: number;
  /** Optimizer step at the end of the epoch. */
  step?: number;
}

/** Options of {@link modelCard}. */
export interface ModelCardOptions {
  /** Hub id of the fine-tuned model, e.g. "me/distilbert-base-uncased-finetuned-imdb". */
  repoId: string;
  /** Hub id (or path) of the model fine-tuned. */
  baseModel: string;
  /** Hub id of the dataset, e.g. "imdb" (omit for local data). */
  dataset?: string;
  /** Hyperparameters in HF `TrainingArguments` names (learning_rate, train_batch_size, seed, …). */
  hyperparameters: Record<string, string | number | boolean>;
  /** Per-epoch results, in order. */
  epochs: EpochResult[];
  /** License (default "apache-2.0", the license of distilbert-base-uncased and bert-base-uncased). */
  license?: string;
  /** Mask token for the usage example (default "[MASK]"). */
  maskToken?: string;
  /** This toolkit's fill-mask command (default `deno task fill-mask --model <repoId> --text "…"`). */
  toolkitCommand?: string;
  /** More of "How to use" (Markdown), after the toolkit's command: e.g. the transformers.js snippet of an ONNX push. */
  extraUsage?: string;
}

/** A YAML scalar: bare when safe, JSON-quoted otherwise. */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9][\w./-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) &&
      !/^[\d.eE+-]+$/.test(value)
    ? value
    : JSON.stringify(value);
}

/** A number as HF's card shows it: 4 decimals. */
function fixed(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(4);
}

/** A number as Python's `repr` writes it (`2e-05`, `0.01`, `64`), as HF's card shows hyperparameters. */
function pyNumber(value: number): string {
  if (value !== 0 && Number.isFinite(value) && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e16)) {
    return value.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(value);
}

/** A hub link for an id, or the plain text for a local path. */
function hubLink(id: string, kind: "" | "datasets/"): string {
  return /^(?:[\w.-]+\/)?[\w.-]+$/.test(id) ? `[${id}](https://huggingface.co/${kind}${id})` : id;
}

/**
 * Render the model card (`README.md`) for a fine-tuned masked-LM checkpoint.
 *
 * @example
 * ```ts
 * import { modelCard } from "./model_card.ts";
 * const card = modelCard({
 *   repoId: "me/distilbert-base-uncased-finetuned-imdb",
 *   baseModel: "distilbert-base-uncased",
 *   dataset: "imdb",
 *   hyperparameters: { learning_rate: 2e-5, train_batch_size: 64, seed: 42 },
 *   epochs: [{ epoch: 1, trainLoss: 2.68, evalLoss: 2.46, perplexity: 11.7 }],
 * });
 * if (!card.startsWith("---\nlicense: apache-2.0\n") || !card.includes("| 1.0 |")) throw new Error(card);
 * ```
 */
export function modelCard(options: ModelCardOptions): string {
  const name = options.repoId.split("/").pop()!;
  const mask = options.maskToken ?? "[MASK]";
  const example = `This is a great ${mask}.`;
  const front = [
    "---",
    `license: ${yamlScalar(options.license ?? "apache-2.0")}`,
    `base_model: ${yamlScalar(options.baseModel)}`,
    "tags:",
    "- generated_from_trainer",
    "- fill-mask",
    ...(options.dataset ? ["datasets:", `- ${yamlScalar(options.dataset)}`] : []),
    "pipeline_tag: fill-mask",
    "library_name: transformers",
    "model-index:",
    `- name: ${yamlScalar(name)}`,
    "  results: []",
    "---",
  ];
  const last = options.epochs.at(-1);
  const lines = [
    ...front,
    "",
    `# ${name}`,
    "",
    `This model is a fine-tuned version of ${hubLink(options.baseModel, "")} on ` +
    `${options.dataset ? `the ${hubLink(options.dataset, "datasets/")} dataset` : "a local corpus"} ` +
    "(masked-language-model domain adaptation, trained with the Deno MLM toolkit on tfjs).",
  ];
  if (last) {
    lines.push(
      "It achieves the following results on the evaluation set:",
      `- Loss: ${fixed(last.evalLoss)}`,
      `- Perplexity: ${last.perplexity.toFixed(2)}`,
    );
  }
  lines.push(
    "",
    "## Training procedure",
    "",
    "### Training hyperparameters",
    "",
    "The following hyperparameters were used during training:",
    ...Object.entries(options.hyperparameters).map(([k, v]) => `- ${k}: ${typeof v === "number" ? pyNumber(v) : v}`),
    "",
    "### Training results",
    "",
    "| Training Loss | Epoch | Step | Validation Loss | Perplexity |",
    "|:-------------:|:-----:|:----:|:---------------:|:----------:|",
    ...options.epochs.map((e) =>
      `| ${fixed(e.trainLoss)} | ${e.epoch.toFixed(1)} | ${e.step ?? "-"} | ${fixed(e.evalLoss)} | ${
        e.perplexity.toFixed(2)
      } |`
    ),
    "",
    "## How to use",
    "",
    "With 🤗 Transformers:",
    "",
    "```python",
    "from transformers import pipeline",
    "",
    `mask_filler = pipeline("fill-mask", model="${options.repoId}")`,
    `mask_filler("${example}")`,
    "```",
    "",
    "With this toolkit:",
    "",
    "```sh",
    options.toolkitCommand ?? `deno task fill-mask --model ${options.repoId} --text "${example}"`,
    "```",
    "",
  );
  if (options.extraUsage) lines.push(options.extraUsage.trimEnd(), "");
  return lines.join("\n");
}

/** Options of {@link modelCardFromFolder}. */
export interface FolderCardOptions {
  /** Hub id the folder is pushed to. */
  repoId: string;
  /** Base model (default: `_name_or_path` of the folder's config.json). */
  baseModel?: string;
  /** Dataset id (default none). */
  dataset?: string;
  /** More of "How to use" (Markdown), as {@link ModelCardOptions.extraUsage}. */
  extraUsage?: string;
}

/**
 * A model card for a checkpoint folder that has none: the base model from `config.json` (`_name_or_path`), the
 * per-epoch results from `trainer_state.json`'s `log_history` (HF Trainer format: `loss`, `eval_loss`, `epoch`,
 * `step`) when present.
 *
 * @example
 * ```ts
 * import { modelCardFromFolder } from "./model_card.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ _name_or_path: "distilbert-base-uncased" }));
 * await Deno.writeTextFile(`${dir}/trainer_state.json`, JSON.stringify({
 *   log_history: [{ epoch: 1, step: 10, loss: 3 }, { epoch: 1, step: 10, eval_loss: 2 }],
 * }));
 * const card = await modelCardFromFolder(dir, { repoId: "me/m" });
 * if (!card.includes("| 3.0000 | 1.0 | 10 | 2.0000 | 7.39 |")) throw new Error(card);
 * ```
 */
export async function modelCardFromFolder(folder: string, options: FolderCardOptions): Promise<string> {
  const readJson = async (name: string): Promise<Record<string, unknown> | undefined> => {
    try {
      return JSON.parse(await Deno.readTextFile(`${folder}/${name}`));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw new Error(`${folder}/${name}: ${(e as Error).message}`);
    }
  };
  const config = await readJson("config.json");
  const state = await readJson("trainer_state.json");
  const history = Array.isArray(state?.log_history) ? state.log_history as Record<string, number>[] : [];
  const epochs: EpochResult[] = [];
  let lastTrainLoss: number | undefined;
  for (const entry of history) {
    if (typeof entry.loss === "number") lastTrainLoss = entry.loss;
    if (typeof entry.eval_loss === "number") {
      epochs.push({
        epoch: entry.epoch ?? epochs.length + 1,
        step: entry.step,
        trainLoss: lastTrainLoss,
        evalLoss: entry.eval_loss,
        perplexity: typeof entry.eval_perplexity === "number" ? entry.eval_perplexity : Math.exp(entry.eval_loss),
      });
    }
  }
  const hyper = (state?.hyperparameters ?? {}) as Record<string, string | number | boolean>;
  return modelCard({
    repoId: options.repoId,
    baseModel: options.baseModel ?? (typeof config?._name_or_path === "string" ? config._name_or_path : "unknown"),
    dataset: options.dataset,
    hyperparameters: hyper,
    epochs,
    extraUsage: options.extraUsage,
  });
}
