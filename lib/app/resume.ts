/**
 * Resuming a run safely: the data and masking options a checkpoint was trained with (`run_args.json` in each
 * checkpoint) must be the ones of the run that continues it, and a `metrics.jsonl` whose last line was cut by a
 * kill is mended before the run appends to it.
 *
 * @module
 */
import { resolve } from "node:path";
import { exists, existsSync, writeFileAtomic } from "../fs.ts";
import { readJsonObject } from "./checkpoints.ts";
import type { DataOptions } from "./finetune.ts";

/** The options {@link runArgs} records: the data and masking options of finetune, and its learning rate. */
export type RunArgsSource =
  & Pick<
    DataOptions,
    | "dataset"
    | "datasetConfig"
    | "datasetSplit"
    | "textColumn"
    | "chunkSize"
    | "groupBatch"
    | "trainSize"
    | "testSize"
    | "seed"
    | "mlmProbability"
    | "wwmProbability"
  >
  & {
    /** Peak learning rate. */
    learningRate?: number;
  };

/** The flag of each recorded argument, for messages. */
const FLAGS: Record<string, string> = {
  dataset: "--dataset",
  dataset_config: "--dataset-config",
  dataset_split: "--dataset-split",
  text_column: "--text-column",
  chunk_size: "--chunk-size",
  group_batch: "--group-batch",
  train_size: "--train-size",
  test_size: "--test-size",
  seed: "--seed",
  masking: "masking (--wwm-probability or not)",
  mask_probability: "mask probability (--mlm-probability / --wwm-probability)",
  learning_rate: "--learning-rate",
};

/**
 * What a checkpoint records about its run's data and masking (`run_args.json`): a local corpus by its absolute path.
 *
 * @example
 * ```ts
 * import { runArgs } from "./resume.ts";
 * const a = runArgs({ dataset: "imdb", chunkSize: 128, groupBatch: 1000, trainSize: 10, testSize: 2, seed: 42,
 *   mlmProbability: 0.15, wwmProbability: 0.2 });
 * if (a.masking !== "whole_word" || a.mask_probability !== 0.2) throw new Error(JSON.stringify(a));
 * ```
 */
export function runArgs(o: RunArgsSource): Record<string, string | number | null> {
  const local = existsSync(o.dataset);
  return {
    dataset: local ? resolve(o.dataset) : o.dataset,
    dataset_config: o.datasetConfig ?? null,
    dataset_split: o.datasetSplit ?? "train",
    text_column: o.textColumn ?? "text",
    chunk_size: o.chunkSize,
    group_batch: o.groupBatch,
    train_size: o.trainSize,
    test_size: o.testSize,
    seed: o.seed,
    masking: o.wwmProbability !== undefined ? "whole_word" : "token",
    mask_probability: o.wwmProbability ?? o.mlmProbability,
    learning_rate: o.learningRate ?? null,
  };
}

/**
 * Fail when `checkpoint` was trained with other data or masking options than `current` ({@link runArgs}), naming
 * each one that differs; a changed learning rate is allowed, with a note. A checkpoint without `run_args.json` is
 * accepted with a note (nothing to compare).
 *
 * @example
 * ```ts
 * import { checkResumeArgs } from "./resume.ts";
 * const ck = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${ck}/run_args.json`, JSON.stringify({ chunk_size: 128, learning_rate: 1e-3 }));
 * const err = await checkResumeArgs(ck, { chunk_size: 64, learning_rate: 1e-3 }, () => {}).catch((e) => e);
 * if (!String(err.message).includes("--chunk-size 128 (this run: 64)")) throw new Error(err.message);
 * ```
 */
export async function checkResumeArgs(
  checkpoint: string,
  current: Record<string, unknown>,
  log: (line: string) => void,
): Promise<void> {
  const path = `${checkpoint}/run_args.json`;
  if (!(await exists(path))) {
    log(`note: ${checkpoint} has no run_args.json: its data and masking options cannot be compared with this run's`);
    return;
  }
  const saved = await readJsonObject(path, "the run's data and masking options");
  const differ: string[] = [];
  for (const [k, v] of Object.entries(current)) {
    if (k === "learning_rate" || !(k in saved) || saved[k] === v) continue;
    differ.push(`${FLAGS[k] ?? k} ${JSON.stringify(saved[k])} (this run: ${JSON.stringify(v)})`);
  }
  if (differ.length > 0) {
    throw new Error(
      `--resume-from-checkpoint ${checkpoint}: it was trained with ${differ.join(", ")}; resume with the same ` +
        `options, or start a new run`,
    );
  }
  const lr = saved.learning_rate, now = current.learning_rate;
  if (typeof lr === "number" && typeof now === "number" && lr !== now) {
    log(`note: ${checkpoint} was trained with --learning-rate ${lr}; the run continues with ${now}`);
  }
}

/**
 * Check `metrics.jsonl` in `dir` before a resumed run appends to it: a last line cut by a kill (not JSON) is dropped
 * and a last line missing its newline gets one, each with a note; a bad line before the last fails naming the file
 * and line. Returns the number of lines dropped.
 *
 * @example
 * ```ts
 * import { mendMetrics } from "./resume.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"type":"header"}\n{"step":1,"lo');
 * if (await mendMetrics(dir, () => {}) !== 1) throw new Error("dropped");
 * if (await Deno.readTextFile(`${dir}/metrics.jsonl`) !== '{"type":"header"}\n') throw new Error("mended");
 * ```
 */
export async function mendMetrics(dir: string, log: (line: string) => void): Promise<number> {
  const path = `${dir}/metrics.jsonl`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
  if (text === "") return 0;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let dropped = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    try {
      JSON.parse(lines[i]);
    } catch (e) {
      if (i < lines.length - 1) {
        throw new Error(
          `${path}:${i + 1}: expected a JSON line, got ${JSON.stringify(lines[i].slice(0, 60))} ` +
            `(${(e as Error).message})`,
        );
      }
      log(`note: ${path}:${i + 1}: the last line was cut short (the run was killed while writing it); dropped it`);
      lines.pop();
      dropped = 1;
    }
  }
  const mended = lines.map((l) => l + "\n").join("");
  if (mended !== text) {
    if (dropped === 0) log(`note: ${path}: the last line had no newline; added it`);
    await writeFileAtomic(path, mended);
  }
  return dropped;
}
