/**
 * What `deno task classify-finetune` does, as a library function: resolve the model (folder or Hub id) and the
 * dataset, declare the labels, load the classifier (encoder from the checkpoint, new head), tokenize with
 * truncation, train with {@link trainClassifier} scoring the test split every epoch, and render `report.html`.
 *
 * @module
 */
import { type BackendName, fp16Refusal, selectBackend } from "../model/backend.ts";
import { assertTokenizerMatches } from "../model/pretrained.ts";
import { maxSequenceLength } from "../model/config.ts";
import {
  classifierArchitecture,
  loadSequenceClassifier,
  saveSequenceClassifier,
} from "../model/sequence_classification.ts";
import { loadTokenizer } from "../tokenize/tokenizer.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { resolveModel } from "../hub/resolve.ts";
import { renderReport } from "../report/render.ts";
import { prepareRunDir } from "../app/run_dir.ts";
import { lockRunDir } from "../app/run_lock.ts";
import { FileSink } from "../app/file_sink.ts";
import { loadClassificationData } from "./data.ts";
import { encodeExamples } from "./batch.ts";
import { checkTrainArgs } from "../train/args.ts";
import { loggedArgs } from "../log_schema.ts";
import { CLASSIFIER_DEFAULTS, type ClassifierTrainArgs, type ClassifierTrainResult, trainClassifier } from "./train.ts";

/** Options of {@link classifyFinetune}: the data, the model and HF `TrainingArguments`. */
export interface ClassifyFinetuneOptions extends ClassifierTrainArgs {
  /** Model folder or Hub id (a masked-LM or classifier checkpoint). */
  model: string;
  /** Dataset file, folder with splits, or Hub dataset id. */
  dataset: string;
  /** Text field (`text`). */
  textColumn?: string;
  /** Label field (`label`). */
  labelColumn?: string;
  /** Training split of a folder or Hub dataset (`train`). */
  trainSplit?: string;
  /** Evaluation split (`test`). */
  testSplit?: string;
  /** Tokens per text after truncation, special tokens included (256). */
  maxLength?: number;
  /** Training rows (default: all). */
  trainSize?: number;
  /** Test rows (default: all). */
  testSize?: number;
  /** Declared labels in class-id order (default: the sorted distinct values of the data). */
  labels?: readonly string[];
  /** tfjs backend. */
  backend: BackendName;
  /** Replace a previous run in `outputDir`. */
  overwriteOutputDir?: boolean;
  /** Hub access for model and dataset ids. */
  hub?: HubReadOptions & { config?: string };
  /** Aborting saves a checkpoint and stops. */
  signal?: AbortSignal;
  /** Progress bar (default: on a TTY). */
  progress?: boolean;
  /** Output lines (default: console.log). */
  log?: (line: string) => void;
}

/** What a classify-finetune run produced. */
export interface ClassifyFinetuneResult extends ClassifierTrainResult {
  /** The run folder. */
  outputDir: string;
  /** The local model folder used. */
  modelDir: string;
  /** Label names in class-id order. */
  labels: string[];
  /** Path of `report.html`. */
  report: string;
}

/**
 * Fine-tune a sequence classifier from a checkpoint on a labelled dataset.
 *
 * @example
 * ```ts ignore
 * const r = await classifyFinetune({ model: "runs/adapted", dataset: "../shared/data/imdb", backend: "webgpu",
 *   outputDir: "runs/cls", trainSize: 2000, testSize: 500 });
 * console.log(r.table);
 * ```
 */
export async function classifyFinetune(options: ClassifyFinetuneOptions): Promise<ClassifyFinetuneResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const maxLength = options.maxLength ?? 256;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new Error(`--max-length: expected an integer >= 2, got ${maxLength}`);
  }
  checkTrainArgs(options, CLASSIFIER_DEFAULTS);
  if (options.fp16 && (options.backend === "wasm" || options.backend === "cpu")) {
    throw new Error(fp16Refusal({ backend: options.backend }));
  }
  const lock = await lockRunDir(options.outputDir, { log: (line) => console.error(line) }); // one run per folder
  try {
    return await classifyInFolder(options, log, maxLength);
  } finally {
    lock.release();
  }
}

async function classifyInFolder(
  options: ClassifyFinetuneOptions,
  log: (line: string) => void,
  maxLength: number,
): Promise<ClassifyFinetuneResult> {
  await prepareRunDir({ ...options, log: (line) => console.error(line) }); // its notes go to stderr
  const modelDir = await resolveModel(options.model, options.hub);
  // its note goes to stderr: stdout is for results
  const choice = await selectBackend(options.backend, { fp16: options.fp16 });
  const tokenizer = await loadTokenizer(modelDir);
  const seed = options.seed ?? 42;
  const data = await loadClassificationData(options.dataset, {
    textColumn: options.textColumn,
    labelColumn: options.labelColumn,
    trainSplit: options.trainSplit,
    testSplit: options.testSplit,
    trainSize: options.trainSize,
    testSize: options.testSize,
    labels: options.labels,
    seed,
    hub: options.hub,
  });
  const model = await loadSequenceClassifier(modelDir, { labels: data.labels, seed, log });
  try {
    assertTokenizerMatches(model.config, tokenizer, { source: modelDir });
    const maxPositions = maxSequenceLength(model.config);
    if (maxLength > maxPositions) {
      throw new Error(
        `--max-length ${maxLength}: the model has only ${maxPositions} positions (max_position_embeddings)`,
      );
    }
    log(
      `model ${modelDir}: ${model.config.model_type}, ${model.numParameters().toLocaleString("en-US")} parameters; ` +
        `${data.train.length} train rows (of ${data.available.train}), ${data.test.length} test rows ` +
        `(of ${data.available.test}); labels [${data.labels.join(", ")}]; max length ${maxLength}`,
    );
    const train = encodeExamples(data.train, tokenizer, { maxLength });
    const test = encodeExamples(data.test, tokenizer, { maxLength });
    const sink = new FileSink(options.outputDir, {
      saveModel: (dir) => saveSequenceClassifier(model, dir, { tokenizerDir: modelDir }),
      progress: options.progress,
      log,
      runHeader: {
        task: "classify-finetune",
        model: options.model,
        modelDir,
        dataset: options.dataset,
        datasetConfig: options.hub?.config ?? null,
        datasetSplit: options.trainSplit ?? "train",
        backend: choice.backend,
        adapter: choice.adapter ?? null,
        numParameters: model.numParameters(),
        trainSamples: train.length,
        evalSamples: test.length,
        args: loggedArgs({ ...options, maxLength, seed }),
        architecture: classifierArchitecture(model.config),
        labels: data.labels.join(", "),
      },
    });
    const result = await trainClassifier(model, options, {
      train,
      test,
      padTokenId: tokenizer.padTokenId,
      signal: options.signal,
    }, sink);
    const report = await renderReport(options.outputDir);
    return { ...result, outputDir: options.outputDir, modelDir, labels: data.labels, report };
  } finally {
    model.dispose();
  }
}
