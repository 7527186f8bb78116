/**
 * Folder trees laid out like the Large Movie Review Dataset (aclImdb v1): `<root>/<split>/<label>/<id>_<rating>.txt`,
 * one review per file. Labels map as Hugging Face's `imdb` does (`neg` → 0, `pos` → 1, `unsup` → -1); records are
 * `{text, label, id, rating}`, label folders in the order neg, pos, unsup, files by numeric id.
 *
 * @module
 */
import type { LocatedRecord } from "./jsonl.ts";

/** One aclImdb review. */
export interface AclImdbRecord {
  /** The review, as stored (it keeps `<br />`). */
  text: string;
  /** 0 negative, 1 positive, -1 unlabelled. */
  label: number;
  /** The number before `_` in the file name. */
  id: number;
  /** The number after `_` (1–10; 0 for unlabelled reviews). */
  rating: number;
  /** Records are plain objects: any other field a caller adds. */
  [field: string]: unknown;
}

/** Options of {@link readAclImdb}. */
export interface ReadAclImdbOptions {
  /**
   * Which split when `root` is the dataset root (holding `train/`, `test/`): `"train"` and `"test"` read `neg` and
   * `pos` as HF's `imdb` does, `"unsupervised"` reads `train/unsup`, any other name reads that folder's label folders.
   * Not needed when `root` is itself a split folder (holding `neg/`, `pos/`, `unsup/`): then every label folder
   * present is read.
   */
  split?: string;
}

/**
 * Label folder names in reading order and their HF labels.
 *
 * @example
 * ```ts
 * import { ACLIMDB_LABELS } from "./aclimdb.ts";
 * if (ACLIMDB_LABELS.unsup !== -1) throw new Error("unexpected");
 * ```
 */
export const ACLIMDB_LABELS: Readonly<Record<string, number>> = { neg: 0, pos: 1, unsup: -1 };

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * True when `dir` holds at least one of the label folders `neg/`, `pos/`, `unsup/` (an aclImdb split folder).
 *
 * @example
 * ```ts
 * import { isAclImdbSplitDir } from "./aclimdb.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/unsup`);
 * if (!(await isAclImdbSplitDir(dir))) throw new Error("unexpected");
 * ```
 */
export async function isAclImdbSplitDir(dir: string): Promise<boolean> {
  for (const label of Object.keys(ACLIMDB_LABELS)) if (await isDir(`${dir}/${label}`)) return true;
  return false;
}

/** `[labelDir, label]` pairs to read for `root` and `split`. */
async function labelDirs(root: string, split: string | undefined): Promise<[string, number][]> {
  const base = root.replace(/\/+$/, "");
  if (split === undefined) {
    if (!(await isAclImdbSplitDir(base))) {
      const splits = [];
      for (const name of ["train", "test"]) if (await isAclImdbSplitDir(`${base}/${name}`)) splits.push(name);
      if (splits.length > 0) {
        throw new Error(`${base}: an aclImdb root; pass split (${[...splits, "unsupervised"].join(", ")})`);
      }
      throw new Error(`${base}: not an aclImdb folder (expected neg/, pos/ or unsup/ inside, or train/ and test/)`);
    }
    const present: [string, number][] = [];
    for (const [name, label] of Object.entries(ACLIMDB_LABELS)) {
      if (await isDir(`${base}/${name}`)) present.push([`${base}/${name}`, label]);
    }
    return present;
  }
  if (split === "unsupervised") {
    if (!(await isDir(`${base}/train/unsup`))) throw new Error(`${base}/train/unsup: not found (split "unsupervised")`);
    return [[`${base}/train/unsup`, -1]];
  }
  const dir = `${base}/${split}`;
  if (!(await isAclImdbSplitDir(dir))) throw new Error(`${dir}: not an aclImdb split folder (no neg/, pos/ or unsup/)`);
  const names = split === "train" || split === "test" ? ["neg", "pos"] : Object.keys(ACLIMDB_LABELS);
  const out: [string, number][] = [];
  for (const name of names) if (await isDir(`${dir}/${name}`)) out.push([`${dir}/${name}`, ACLIMDB_LABELS[name]]);
  return out;
}

/** `{id, rating, path}` of every review file in `dir`, by numeric id. */
async function reviewFiles(dir: string): Promise<{ id: number; rating: number; path: string }[]> {
  const files = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const m = /^(\d+)_(\d+)\.txt$/.exec(entry.name);
    if (m === null) {
      throw new Error(`${dir}/${entry.name}: not an aclImdb review file name (expected <id>_<rating>.txt)`);
    }
    files.push({ id: Number(m[1]), rating: Number(m[2]), path: `${dir}/${entry.name}` });
  }
  files.sort((a, b) => a.id - b.id || a.rating - b.rating);
  return files;
}

/**
 * aclImdb reviews with their file as `where`. The engine of {@link readAclImdb}; `readRecords` uses it.
 *
 * @example
 * ```ts
 * import { readAclImdbLocated } from "./aclimdb.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/pos`);
 * await Deno.writeTextFile(`${root}/pos/3_9.txt`, "Loved it.");
 * for await (const { where } of readAclImdbLocated(root)) if (where !== `${root}/pos/3_9.txt`) throw new Error("?");
 * ```
 */
export async function* readAclImdbLocated(
  root: string,
  options: ReadAclImdbOptions = {},
): AsyncGenerator<LocatedRecord> {
  for (const [dir, label] of await labelDirs(root, options.split)) {
    for (const { id, rating, path } of await reviewFiles(dir)) {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
      } catch (e) {
        throw new Error(`${path}: cannot read as UTF-8 text (${(e as Error).message})`);
      }
      yield { where: path, record: { text: text.replace(/\r\n?/g, "\n"), label, id, rating } };
    }
  }
}

/**
 * Reviews of an aclImdb-style tree: `root` is a split folder (`aclImdb/test`) or the dataset root with
 * `options.split`. Order: label folders neg, pos, unsup, then files by numeric id.
 *
 * @example
 * ```ts
 * import { readAclImdb } from "./aclimdb.ts";
 * const root = await Deno.makeTempDir();
 * for (const dir of ["test/neg", "test/pos"]) await Deno.mkdir(`${root}/${dir}`, { recursive: true });
 * await Deno.writeTextFile(`${root}/test/pos/10_8.txt`, "Great.");
 * await Deno.writeTextFile(`${root}/test/neg/2_1.txt`, "Awful.");
 * const labels = [];
 * for await (const r of readAclImdb(root, { split: "test" })) labels.push(`${r.id}:${r.label}:${r.rating}`);
 * if (labels.join() !== "2:0:1,10:1:8") throw new Error("unexpected");
 * ```
 */
export async function* readAclImdb(root: string, options: ReadAclImdbOptions = {}): AsyncGenerator<AclImdbRecord> {
  for await (const { record } of readAclImdbLocated(root, options)) yield record as AclImdbRecord;
}
