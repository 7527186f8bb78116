/**
 * Sequence-classifier checkpoints: {@link loadSequenceClassifier} takes the encoder from any masked-LM or classifier
 * checkpoint (names mapped by `checkpoint_names.ts`, as for masked LMs) and initialises what the checkpoint lacks (the
 * new head) as HF's `_init_weights` does — normal(0, `initializer_range`), zero biases — from a seed, printing HF's
 * "Some weights of … were not initialized …" / "… were not used …" messages; {@link saveSequenceClassifier} writes a
 * folder `AutoModelForSequenceClassification.from_pretrained` loads.
 *
 * @module
 */
import { Rng } from "../data/rng.ts";
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { exists, writeFileAtomic } from "../fs.ts";
import { type ModelConfig, readConfig } from "./config.ts";
import { initValues } from "./init.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "./safetensors.ts";
import { type BackendName, selectBackend } from "./backend.ts";
import { checkpointMismatch, checkpointNames, tensorProblem } from "./checkpoint_names.ts";
import {
  classifierArchitecture,
  classifierConfigJson,
  type ClassifierConfigOptions,
  classifierHeadParams,
  labelNames,
  sequenceClassificationParams,
  withClassifierConfig,
} from "./classifier_config.ts";
import { buildSequenceClassifier, type SequenceClassifier } from "./classifier_models.ts";

/** What a checkpoint gave a classifier. */
export interface ClassifierCheckpointValues {
  /** Values of the parameters found in the checkpoint. */
  values: Map<string, Float32Array>;
  /** Parameters the checkpoint lacks (all in the head), to be newly initialised. */
  newlyInitialized: string[];
  /** Checkpoint tensors the classifier does not use (e.g. the masked-LM head), by their names in the file. */
  unused: string[];
}

/** Options of {@link classifierCheckpointValues}. */
export interface ClassifierCheckpointValuesOptions {
  /** File name for error messages. */
  source?: string;
}

/**
 * Map a checkpoint's tensors onto the classifier's parameter table, as HF `from_pretrained` does: legacy
 * `gamma`/`beta` names renamed, a base-model file's names given the `distilbert.`/`bert.` prefix, `position_ids`
 * buffers skipped. Missing head parameters are reported (to be initialised); unused tensors are listed. A checkpoint
 * with no encoder weights, a partly missing encoder, or a tensor of the wrong shape fails listing the problems.
 *
 * @example
 * ```ts
 * import { classifierCheckpointValues } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ model_type: "distilbert", vocab_size: 4, dim: 2, n_heads: 1, n_layers: 1, hidden_dim: 2 });
 * const err = (() => { try { classifierCheckpointValues(new Map(), config); } catch (e) { return e as Error; } })();
 * if (!err?.message.includes("no encoder weights")) throw new Error("clear error");
 * ```
 */
export function classifierCheckpointValues(
  tensors: Map<string, SafeTensor>,
  config: ModelConfig,
  options: ClassifierCheckpointValuesOptions = {},
): ClassifierCheckpointValues {
  const source = options.source ?? "checkpoint";
  const c = withClassifierConfig(config);
  const specs = sequenceClassificationParams(c);
  const base = c.model_type;
  const { tensors: renamed, problems } = checkpointNames(tensors, base === "modernbert" ? "model" : base);
  const values = new Map<string, Float32Array>();
  const unused: string[] = [];
  for (const [name, { from, tensor }] of renamed) {
    const spec = specs.get(name);
    if (!spec) {
      unused.push(from);
      continue;
    }
    const problem = tensorProblem(from, tensor, spec);
    if (problem === undefined) values.set(name, tensor.data as Float32Array);
    else if (name.startsWith("classifier.") && problem.includes("shape")) {
      problems.push(
        `${problem} (the checkpoint's classifier has another number of labels than this run's ${labelNames(c).length})`,
      );
    } else problems.push(problem);
  }
  const head = classifierHeadParams(c);
  const encoderNames = [...specs.keys()].filter((n) => !head.has(n));
  const missingEncoder = encoderNames.filter((n) => !values.has(n));
  if (missingEncoder.length === encoderNames.length) {
    const found = [...tensors.keys()];
    throw new Error(
      `${source}: no encoder weights for ${classifierArchitecture(c)} (expected tensors such as ` +
        `"${encoderNames[0]}"); the file holds ${found.length} tensor(s)${
          found.length
            ? `: ${found.slice(0, 6).map((n) => JSON.stringify(n)).join(", ")}${found.length > 6 ? ", …" : ""}`
            : ""
        }. Pass a masked-LM or classifier checkpoint of model_type "${base}".`,
    );
  }
  for (const n of missingEncoder) {
    problems.push(`missing encoder tensor "${n}" (expected shape [${specs.get(n)!.shape}])`);
  }
  if (problems.length > 0) {
    throw checkpointMismatch(source, classifierArchitecture(c), problems);
  }
  const newlyInitialized = [...head.keys()].filter((n) => !values.has(n));
  return { values, newlyInitialized, unused };
}

/** Options of {@link loadSequenceClassifier}. */
export interface LoadSequenceClassifierOptions extends ClassifierConfigOptions {
  /** Seed of the newly initialised head weights (default 42). */
  seed?: number;
  /** Select this backend first; default: keep the active one. */
  backend?: BackendName;
  /** Where HF's load messages go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Load a classifier from `DIR` (`config.json` + `model.safetensors`) — a masked-LM checkpoint (the head is new) or a
 * classifier one — with the labels given (default: the config's).
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { savePretrained } from "./pretrained.ts";
 * import { loadSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const mlm = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * await savePretrained(mlm, `${dir}/mlm`);
 * const lines: string[] = [];
 * const cls = await loadSequenceClassifier(`${dir}/mlm`, { labels: ["neg", "pos"], log: (l) => lines.push(l) });
 * if (!lines.join("\n").includes("newly initialized")) throw new Error("message");
 * mlm.dispose(); cls.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSequenceClassifier(
  dir: string,
  options: LoadSequenceClassifierOptions = {},
): Promise<SequenceClassifier> {
  if (options.backend) await selectBackend(options.backend);
  const log = options.log ?? ((line: string) => console.error(line));
  const config = withClassifierConfig(await readConfig(dir), options);
  const path = `${dir}/model.safetensors`;
  const file = await readSafetensors(path);
  const { values, newlyInitialized, unused } = classifierCheckpointValues(file.tensors, config, { source: path });
  const arch = classifierArchitecture(config);
  const specs = sequenceClassificationParams(config);
  const rng = new Rng(options.seed ?? 42);
  for (const name of newlyInitialized) {
    values.set(name, initValues(specs.get(name)!, config.initializer_range, rng.fork(name)));
  }
  const list = (names: string[]) => `[${names.map((n) => `'${n}'`).join(", ")}]`;
  if (unused.length > 0) {
    log(
      `Some weights of the model checkpoint at ${dir} were not used when initializing ${arch}: ${list(unused)}\n` +
        `- This IS expected if you are initializing ${arch} from the checkpoint of a model trained on another task ` +
        `or with another architecture (e.g. initializing a ${arch} model from a masked-LM model).`,
    );
  }
  if (newlyInitialized.length > 0) {
    log(
      `Some weights of ${arch} were not initialized from the model checkpoint at ${dir} and are newly initialized: ` +
        `${list(newlyInitialized)}\nYou should probably TRAIN this model on a down-stream task to be able to use it ` +
        `for predictions and inference.`,
    );
  }
  return buildSequenceClassifier(config, values);
}

/** Options of {@link saveSequenceClassifier}. */
export interface SaveSequenceClassifierOptions {
  /** Copy the tokenizer files found here. */
  tokenizerDir?: string;
}

/**
 * Write `config.json` (architectures: the classifier class) + `model.safetensors` (+ tokenizer files) so PyTorch's
 * `AutoModelForSequenceClassification.from_pretrained(dir)` loads it. Each file goes to a temporary name, then is
 * renamed.
 *
 * @example
 * ```ts
 * import { initSequenceClassifier, saveSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initSequenceClassifier(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * await saveSequenceClassifier(m, dir);
 * if (!(await Deno.readTextFile(`${dir}/config.json`)).includes("BertForSequenceClassification")) throw new Error("arch");
 * m.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveSequenceClassifier(
  model: SequenceClassifier,
  dir: string,
  options: SaveSequenceClassifierOptions = {},
): Promise<void> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(`${dir}/config.json`, classifierConfigJson(model.config));
  await writeSafetensors(`${dir}/model.safetensors`, tensors, { metadata: { format: "pt" } });
  for (const f of options.tokenizerDir ? TOKENIZER_FILES : []) {
    const from = `${options.tokenizerDir}/${f}`;
    if (await exists(from)) await writeFileAtomic(`${dir}/${f}`, await Deno.readFile(from));
  }
}
