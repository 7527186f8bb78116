/**
 * Labelled texts for a classifier, from a local file (split once into train/test with a seed, as
 * `Dataset.train_test_split`), a local folder with splits (`imdb/{train,test}.jsonl.gz`, an aclImdb tree, HF shard
 * names), or a Hub dataset id (its Parquet conversion, streamed). Each split is shuffled with the seed and its first
 * `trainSize` / `testSize` rows kept, as the course's `dataset["train"].shuffle(seed=42).select(range(n))`.
 * Every row's label is checked against the declared label set (see `labels.ts`).
 *
 * @module
 */
import type { DataRecord } from "../data/jsonl.ts";
import { readRecords } from "../data/records.ts";
import { shuffle, trainTestSplit } from "../data/split.ts";
import { isRepoId } from "../hub/resolve.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { streamHubDataset } from "../hub/dataset.ts";
import { declareLabels, labelKey } from "./labels.ts";

/** One text and its class id. */
export interface LabelledText {
  /** The text. */
  text: string;
  /** Class id: the label's position in the declared label set. */
  label: number;
}

/** The two splits and the label set. */
export interface ClassificationData {
  /** Training rows (shuffled, `trainSize` of them). */
  train: LabelledText[];
  /** Test rows (shuffled, `testSize` of them). */
  test: LabelledText[];
  /** Label names in class-id order. */
  labels: string[];
  /** Rows available in each split before selection. */
  available: { train: number; test: number };
}

/** Options of {@link loadClassificationData}. */
export interface LoadClassificationDataOptions {
  /** Field holding the text (default `text`). */
  textColumn?: string;
  /** Field holding the label (default `label`). */
  labelColumn?: string;
  /** Split of a folder or Hub dataset used for training (default `train`). */
  trainSplit?: string;
  /** Split used for evaluation (default `test`). */
  testSplit?: string;
  /** Training rows to keep (default: all). */
  trainSize?: number;
  /** Test rows to keep (default: all; a single file: a quarter, as HF's `train_test_split`). */
  testSize?: number;
  /** Seed of the shuffles and of a single file's split. */
  seed: number;
  /** Declared labels (`--labels`); default: the sorted distinct values found. */
  labels?: readonly string[];
  /** Hub access for dataset ids (endpoint, cache, token), and the dataset config. */
  hub?: HubReadOptions & { config?: string };
}

interface Row {
  record: DataRecord;
  where: string;
}

async function collect(rows: AsyncIterable<DataRecord>, where: (i: number) => string): Promise<Row[]> {
  const out: Row[] = [];
  for await (const record of rows) out.push({ record, where: where(out.length) });
  return out;
}

async function statOf(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

function checkSize(flag: string, size: number | undefined, available: number, split: string): void {
  if (size === undefined) return;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${flag}: expected an integer >= 1, got ${size}`);
  if (size > available) {
    throw new Error(`${flag} ${size}: the ${split} split has only ${available} rows`);
  }
}

/**
 * Read, label-check, split and select a classification dataset. Fails naming the row on a label outside the declared
 * set or a missing label, and clearly on a single-class dataset (or training selection).
 *
 * @example
 * ```ts
 * import { loadClassificationData } from "./data.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `review ${i}`, label: i % 2 }));
 * await Deno.writeTextFile(path, lines.join("\n") + "\n");
 * const data = await loadClassificationData(path, { trainSize: 12, testSize: 4, seed: 42 });
 * if (data.train.length !== 12 || data.test.length !== 4 || data.labels.join() !== "0,1") throw new Error("split");
 * ```
 */
export async function loadClassificationData(
  dataset: string,
  options: LoadClassificationDataOptions,
): Promise<ClassificationData> {
  const textColumn = options.textColumn ?? "text";
  const labelColumn = options.labelColumn ?? "label";
  const trainSplit = options.trainSplit ?? "train";
  const testSplit = options.testSplit ?? "test";
  const stat = await statOf(dataset);
  if (stat?.isFile) {
    const all = await collect(readRecords(dataset, { textColumn }), (i) => `${dataset} record ${i + 1}`);
    if (all.length < 2) throw new Error(`${dataset}: ${all.length} rows; need at least 2 to split into train and test`);
    const split = trainTestSplit(all, { trainSize: options.trainSize, testSize: options.testSize, seed: options.seed });
    if (split.test.length === 0) throw new Error(`${dataset}: the test split is empty (pass --test-size)`);
    return finish(split.train, split.test, all);
  }
  const read = (split: string): Promise<Row[]> => {
    if (stat?.isDirectory) {
      return collect(readRecords(dataset, { textColumn, split }), (i) => `${dataset} (split ${split}) record ${i + 1}`);
    }
    if (!isRepoId(dataset)) {
      throw new Error(`--dataset ${dataset}: no such file or folder, and not a Hub dataset id ("name" or "org/name")`);
    }
    return collect(
      streamHubDataset(dataset, { ...options.hub, split, textColumn }),
      (i) => `Hub dataset ${dataset} (split ${split}) row ${i}`,
    );
  };
  const all = { train: await read(trainSplit), test: await read(testSplit) };
  for (const [name, rows] of [[trainSplit, all.train], [testSplit, all.test]] as const) {
    if (rows.length === 0) throw new Error(`--dataset ${dataset}: split ${JSON.stringify(name)} has no rows`);
  }
  checkSize("--train-size", options.trainSize, all.train.length, trainSplit);
  checkSize("--test-size", options.testSize, all.test.length, testSplit);
  const train = shuffle(all.train, { seed: options.seed }).slice(0, options.trainSize ?? all.train.length);
  const test = shuffle(all.test, { seed: options.seed }).slice(0, options.testSize ?? all.test.length);
  return finish(train, test, [...all.train, ...all.test], { train: all.train.length, test: all.test.length });

  function finish(
    trainRows: Row[],
    testRows: Row[],
    allRows: Row[],
    available = { train: trainRows.length, test: testRows.length },
  ): ClassificationData {
    const cells = allRows.map((r) => ({ value: r.record[labelColumn], where: r.where }));
    const labels = declareLabels(cells, { labels: options.labels, column: labelColumn });
    const id = new Map(labels.map((l, i) => [l, i]));
    const convert = (rows: Row[]): LabelledText[] =>
      rows.map((r) => ({ text: r.record[textColumn] as string, label: id.get(labelKey(r.record[labelColumn])!)! }));
    const out = { train: convert(trainRows), test: convert(testRows), labels, available };
    const present = new Set(out.train.map((r) => r.label));
    if (present.size < 2) {
      throw new Error(
        `${dataset}: the ${out.train.length} training rows all have label ${
          JSON.stringify(labels[out.train[0].label])
        }; a classifier needs at least two classes to train on`,
      );
    }
    return out;
  }
}
