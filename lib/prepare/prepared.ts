/**
 * A tokenized, chunked corpus on disk, made once and reused: the `datasets` `map(...)` cache of the HF course.
 *
 * Layout: `OUT/<id>/` holds, where `<id>` is the first 16 hex digits of the fingerprint ({@linkcode preparedId}, the
 * length of a `datasets` cache fingerprint; `meta.json` keeps the whole one, checked before a folder is reused),
 * - `input_ids.i32` — every chunk's token ids, int32 little-endian, `chunks × chunk_size` values;
 * - `word_ids.i32` — the matching word ids, int32 little-endian, -1 where HF has `null` (special tokens);
 * - `meta.json` — `{format, fingerprint, examples, tokens, chunks, chunk_size, group_batch, params, source, files}`.
 *
 * The fingerprint is the sha256 of the corpus bytes (every file, by relative path, for a folder), the
 * `tokenizer.json` bytes and the parameters, so the same inputs find the same folder and are not prepared again.
 * Attention masks are all ones and labels equal input ids in a chunk, so neither is stored. The folder is written
 * under a temporary name and renamed when complete (`writeDirAtomic`); a failure leaves nothing behind.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Chunk } from "../data/types.ts";
import { groupTextsStream } from "../data/group_texts.ts";
import { readTexts } from "../data/records.ts";
import { tokenizeStream } from "../tokenize/parallel.ts";
import type { WordBoundaries } from "../tokenize/tokenizer.ts";
import { exists, writeDirAtomic } from "../fs.ts";

/**
 * `meta.json` `format` of this layout.
 *
 * @example
 * ```ts
 * import { PREPARED_FORMAT } from "./prepared.ts";
 * if (!PREPARED_FORMAT.endsWith("-v1")) throw new Error(PREPARED_FORMAT);
 * ```
 */
export const PREPARED_FORMAT = "mlm-adapt/prepared-v1";

/** Options of {@linkcode prepareDataset}. */
export interface PrepareOptions {
  /** Folder with `tokenizer.json`. */
  tokenizer: string;
  /** Cache root: the prepared folder is `out/<id>` (see {@linkcode preparedId}). */
  out: string;
  /** Tokens per chunk; default 128. */
  chunkSize?: number;
  /** Examples concatenated per group (HF `map` `batch_size`); default 1000; `"global"`: the whole corpus. */
  groupBatch?: number | "global";
  /** Field holding the text; default `"text"`. */
  textColumn?: string;
  /** For a folder corpus: the split to read (see `readRecords`). */
  split?: string;
  /** Tokenizer worker threads (0: this thread); default `min(hardwareConcurrency, 4)`. */
  workers?: number;
  /** Word ids from the pre-tokenizer (`"hf"`, default) or from `Intl.Segmenter` (`"intl"`; see `lib/tokenize`). */
  wordBoundaries?: WordBoundaries;
  /** Called every 1,000 examples while tokenizing, and once at the end (a count is never reported twice). */
  onProgress?: (progress: PrepareProgress) => void;
}

/** Progress of a running {@linkcode prepareDataset}. */
export interface PrepareProgress {
  /** Examples tokenized so far. */
  examples: number;
  /** Tokens so far (special tokens included). */
  tokens: number;
  /** Chunks written so far. */
  chunks: number;
  /** Milliseconds since tokenizing began. */
  elapsedMs: number;
}

/** The contents of `meta.json`. */
export interface PreparedMeta {
  /** {@linkcode PREPARED_FORMAT}. */
  format: string;
  /** sha256 (hex) of corpus bytes + tokenizer.json bytes + params. */
  fingerprint: string;
  /** Examples (texts) read. */
  examples: number;
  /** Tokens of all examples, special tokens included, before cutting. */
  tokens: number;
  /** Chunks stored. */
  chunks: number;
  /** Tokens per chunk. */
  chunk_size: number;
  /** Examples per concatenation group, or `"global"`. */
  group_batch: number | "global";
  /** The parameters that entered the fingerprint. */
  params: Record<string, unknown>;
  /** Where the inputs were (not part of the fingerprint). */
  source: { data: string; tokenizer: string };
  /** File names of the arrays. */
  files: { input_ids: string; word_ids: string };
}

/** What {@linkcode prepareDataset} returns (the final JSON line of `deno task prepare`). */
export interface PrepareResult {
  /** The prepared folder, `OUT/<id>` (see {@linkcode preparedId}). */
  path: string;
  /** The whole fingerprint (its first 16 hex digits name the folder). */
  fingerprint: string;
  /** True when an earlier run's folder was reused. */
  cached: boolean;
  /** Examples read. */
  examples: number;
  /** Tokens before cutting. */
  tokens: number;
  /** Chunks stored. */
  chunks: number;
  /** Tokens per chunk. */
  chunk_size: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function littleEndianBytes(values: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i], true);
  return out;
}

function int32FromLittleEndian(bytes: Uint8Array): Int32Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const out = new Int32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

async function hashFile(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  for await (const part of file.readable) hash.update(part);
}

async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await filesUnder(dir, rel));
    else if (e.isFile) out.push(rel);
  }
  return out;
}

function normalizedGroup(groupBatch: number | "global" | undefined): number | "global" {
  const g = groupBatch ?? 1000;
  if (g === "global" || g === Infinity) return "global";
  if (!Number.isInteger(g) || g < 1) throw new Error(`groupBatch: expected an integer >= 1 or "global", got ${g}`);
  return g;
}

/**
 * The fingerprint of a preparation: sha256 (hex) of the corpus bytes, the `tokenizer.json` bytes and the parameters.
 *
 * @example
 * ```ts
 * import { fingerprintOf } from "./prepared.ts";
 * const data = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(data, '{"text":"a"}\n');
 * const tok = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${tok}/tokenizer.json`, "{}");
 * const a = await fingerprintOf(data, { tokenizer: tok, out: "x" });
 * const b = await fingerprintOf(data, { tokenizer: tok, out: "x", chunkSize: 64 });
 * if (a.length !== 64 || a === b) throw new Error("fingerprint");
 * ```
 */
export async function fingerprintOf(dataPath: string, options: PrepareOptions): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ format: PREPARED_FORMAT, params: paramsOf(options) }));
  const info = await Deno.stat(dataPath).catch((e) => {
    throw e instanceof Deno.errors.NotFound ? new Error(`${dataPath}: no such corpus file or folder`) : e;
  });
  if (info.isDirectory) {
    for (const rel of await filesUnder(dataPath)) {
      hash.update(`\0file:${rel}\0`);
      await hashFile(hash, `${dataPath}/${rel}`);
    }
  } else {
    hash.update("\0file\0");
    await hashFile(hash, dataPath);
  }
  hash.update("\0tokenizer.json\0");
  await hashFile(hash, `${options.tokenizer}/tokenizer.json`).catch((e) => {
    throw e instanceof Deno.errors.NotFound ? new Error(`${options.tokenizer}: no tokenizer.json in this folder`) : e;
  });
  return hash.digest("hex");
}

function paramsOf(options: PrepareOptions): Record<string, unknown> {
  return {
    chunk_size: options.chunkSize ?? 128,
    group_batch: normalizedGroup(options.groupBatch),
    text_column: options.textColumn ?? "text",
    split: options.split ?? null,
    add_special_tokens: true,
    ...(options.wordBoundaries === "intl" ? { word_boundaries: "intl" } : {}),
  };
}

async function readMeta(dir: string): Promise<PreparedMeta | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/meta.json`)) as PreparedMeta;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${dir}/meta.json: unreadable (${(e as Error).message})`);
  }
}

/** Appends chunks to the two array files, a block at a time. */
class ChunkWriter {
  #ids: Int32Array;
  #words: Int32Array;
  #rows = 0;
  chunks = 0;
  constructor(readonly idsFile: Deno.FsFile, readonly wordsFile: Deno.FsFile, readonly chunkSize: number) {
    this.#ids = new Int32Array(chunkSize * 1024);
    this.#words = new Int32Array(chunkSize * 1024);
  }
  async add(chunk: Chunk): Promise<void> {
    const at = this.#rows * this.chunkSize;
    for (let i = 0; i < this.chunkSize; i++) {
      this.#ids[at + i] = chunk.input_ids[i];
      const w = chunk.word_ids[i];
      this.#words[at + i] = w === null ? -1 : w;
    }
    this.#rows++;
    this.chunks++;
    if (this.#rows === 1024) await this.flush();
  }
  async flush(): Promise<void> {
    const n = this.#rows * this.chunkSize;
    await writeAll(this.idsFile, littleEndianBytes(this.#ids.subarray(0, n)));
    await writeAll(this.wordsFile, littleEndianBytes(this.#words.subarray(0, n)));
    this.#rows = 0;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * Tokenize and chunk the corpus at `dataPath` into `options.out/<id>/` (see {@linkcode preparedId}), or reuse that
 * folder when an
 * earlier run made it. Fails clearly on an empty corpus or one too short for a single chunk, leaving no folder.
 *
 * @example
 * ```ts
 * import { loadPrepared, prepareDataset } from "./prepared.ts";
 * const tok = "../shared/data/bert-base-uncased";
 * if (await Deno.stat(tok).catch(() => null)) {
 *   const data = await Deno.makeTempFile({ suffix: ".jsonl" });
 *   await Deno.writeTextFile(data, '{"text":"a b c d e f"}\n{"text":"g h i j"}\n');
 *   const out = await Deno.makeTempDir();
 *   const res = await prepareDataset(data, { tokenizer: tok, out, chunkSize: 4, workers: 0 });
 *   if (res.tokens !== 14 || res.chunks !== 3 || res.cached) throw new Error(JSON.stringify(res));
 *   const again = await prepareDataset(data, { tokenizer: tok, out, chunkSize: 4, workers: 0 });
 *   if (!again.cached || again.path !== res.path) throw new Error("cache");
 *   if ((await loadPrepared(res.path)).get(2).word_ids.join() !== ",0,1,2") throw new Error("word ids");
 * }
 * ```
 */
export async function prepareDataset(dataPath: string, options: PrepareOptions): Promise<PrepareResult> {
  const params = paramsOf(options);
  const chunkSize = params.chunk_size as number;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new Error(`chunkSize: expected an integer >= 1, got ${chunkSize}`);
  }
  const fingerprint = await fingerprintOf(dataPath, options);
  const out = options.out.replace(/\/+$/, "") || "/";
  const path = `${out}/${preparedId(fingerprint)}`;
  const existing = await readMeta(path);
  if (existing !== undefined && existing.fingerprint === fingerprint) {
    await loadPrepared(path); // checks the arrays are whole
    return resultOf(path, existing, true);
  }
  const outExisted = await exists(out);
  try {
    let meta: PreparedMeta | undefined;
    await writeDirAtomic(path, async (tmp) => { // replaces a stale folder with another fingerprint
      meta = await writePrepared(tmp, dataPath, options, fingerprint, params);
      await Deno.writeTextFile(`${tmp}/meta.json`, JSON.stringify(meta, null, 1) + "\n");
    });
    return resultOf(path, meta!, false);
  } catch (e) {
    if (!outExisted) await Deno.remove(out).catch(() => {}); // only if still empty
    throw e;
  }
}

/**
 * The name of a prepared folder: the first 16 hex digits of its fingerprint (64 bits, as long as a `datasets` cache
 * fingerprint). The whole fingerprint is in `meta.json` and must match before a folder is reused.
 *
 * @example
 * ```ts
 * import { preparedId } from "./prepared.ts";
 * if (preparedId("dabaeefdc9bdaa42000e588f6aec1b12") !== "dabaeefdc9bdaa42") throw new Error("16 hex digits");
 * ```
 */
export function preparedId(fingerprint: string): string {
  return fingerprint.slice(0, 16);
}

function resultOf(path: string, meta: PreparedMeta, cached: boolean): PrepareResult {
  return {
    path,
    fingerprint: meta.fingerprint,
    cached,
    examples: meta.examples,
    tokens: meta.tokens,
    chunks: meta.chunks,
    chunk_size: meta.chunk_size,
  };
}

async function writePrepared(
  tmp: string,
  dataPath: string,
  options: PrepareOptions,
  fingerprint: string,
  params: Record<string, unknown>,
): Promise<PreparedMeta> {
  const chunkSize = params.chunk_size as number;
  const groupBatch = params.group_batch as number | "global";
  const idsFile = await Deno.open(`${tmp}/input_ids.i32`, { write: true, create: true, truncate: true });
  const wordsFile = await Deno.open(`${tmp}/word_ids.i32`, { write: true, create: true, truncate: true });
  const writer = new ChunkWriter(idsFile, wordsFile, chunkSize);
  let examples = 0;
  let tokens = 0;
  const started = performance.now();
  const texts = readTexts(dataPath, { textColumn: options.textColumn, split: options.split });
  const encodings = tokenizeStream(texts, options.tokenizer, {
    workers: options.workers,
    wordBoundaries: options.wordBoundaries,
  });
  async function* counted() {
    for await (const e of encodings) {
      examples++;
      tokens += e.input_ids.length;
      if (options.onProgress !== undefined && examples % 1000 === 0) {
        options.onProgress({ examples, tokens, chunks: writer.chunks, elapsedMs: performance.now() - started });
      }
      yield e;
    }
  }
  try {
    for await (const chunk of groupTextsStream(counted(), { chunkSize, groupBatch })) await writer.add(chunk);
    await writer.flush();
  } finally {
    idsFile.close();
    wordsFile.close();
  }
  if (examples % 1000 !== 0) {
    options.onProgress?.({ examples, tokens, chunks: writer.chunks, elapsedMs: performance.now() - started });
  }
  if (examples === 0) throw new Error(`${dataPath}: the corpus is empty (no texts to tokenize)`);
  if (writer.chunks === 0) {
    const group = groupBatch === "global" ? "" : ` in any group of ${groupBatch} examples`;
    throw new Error(
      `${dataPath}: ${examples} examples make ${tokens} tokens, fewer than one chunk of ${chunkSize}${group}; ` +
        `use a longer corpus or a smaller --chunk-size`,
    );
  }
  return {
    format: PREPARED_FORMAT,
    fingerprint,
    examples,
    tokens,
    chunks: writer.chunks,
    chunk_size: chunkSize,
    group_batch: groupBatch,
    params,
    source: { data: dataPath, tokenizer: options.tokenizer },
    files: { input_ids: "input_ids.i32", word_ids: "word_ids.i32" },
  };
}

/** The flat arrays of a prepared dataset. */
export interface PreparedArrays {
  /** Token ids, `chunks × chunkSize`. */
  inputIds: Int32Array;
  /** Word ids, -1 for `null`, same length. */
  wordIds: Int32Array;
  /** Tokens per chunk. */
  chunkSize: number;
  /** `meta.json`, when loaded from disk. */
  meta?: PreparedMeta;
}

/**
 * A prepared dataset in memory: `length` chunks of `chunkSize` tokens, read with `get(i)`.
 *
 * @example
 * ```ts
 * import { PreparedDataset } from "./prepared.ts";
 * const ds = new PreparedDataset({
 *   inputIds: new Int32Array([101, 7, 8, 102]),
 *   wordIds: new Int32Array([-1, 0, 1, -1]),
 *   chunkSize: 2,
 * });
 * if (ds.length !== 2 || ds.get(1).word_ids.join() !== "1," || ds.get(1).labels.join() !== "8,102") throw new Error();
 * ```
 */
export class PreparedDataset {
  /** Number of chunks. */
  readonly length: number;
  /** Token ids of every chunk, flat. */
  readonly inputIds: Int32Array;
  /** Word ids of every chunk, flat, -1 for `null`. */
  readonly wordIds: Int32Array;
  /** Tokens per chunk. */
  readonly chunkSize: number;
  /** `meta.json`, when loaded from disk. */
  readonly meta: PreparedMeta | undefined;

  /** Wrap flat arrays; they must make whole chunks. */
  constructor(data: PreparedArrays) {
    const { inputIds, wordIds, chunkSize } = data;
    if (inputIds.length !== wordIds.length || inputIds.length % chunkSize !== 0) {
      throw new Error(
        `PreparedDataset: ${inputIds.length} input ids and ${wordIds.length} word ids do not make whole chunks of ` +
          `${chunkSize}`,
      );
    }
    this.inputIds = inputIds;
    this.wordIds = wordIds;
    this.chunkSize = chunkSize;
    this.meta = data.meta;
    this.length = inputIds.length / chunkSize;
  }

  /** Chunk `i` (0-based): attention mask all ones, labels a copy of the ids, word id `null` for special tokens. */
  get(i: number): Chunk {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`PreparedDataset.get: index ${i} out of range [0, ${this.length})`);
    }
    const start = i * this.chunkSize;
    const input_ids = Array.from(this.inputIds.subarray(start, start + this.chunkSize));
    const word_ids = Array.from(this.wordIds.subarray(start, start + this.chunkSize), (w) => (w < 0 ? null : w));
    return {
      input_ids,
      attention_mask: new Array<number>(this.chunkSize).fill(1),
      word_ids,
      labels: input_ids.slice(),
    };
  }

  /** Every chunk, in order. */
  *[Symbol.iterator](): Iterator<Chunk> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/**
 * Load a prepared folder (one `OUT/<id>/` made by {@linkcode prepareDataset}); `.meta` holds `meta.json`.
 *
 * @example
 * ```ts
 * import { loadPrepared } from "./prepared.ts";
 * const err = await loadPrepared(await Deno.makeTempDir()).catch((e) => e);
 * if (!String(err.message).includes("meta.json")) throw new Error("should name meta.json");
 * ```
 */
export async function loadPrepared(dir: string): Promise<PreparedDataset> {
  const meta = await readMeta(dir);
  if (meta === undefined) throw new Error(`${dir}: no meta.json here (not a folder made by prepareDataset)`);
  if (meta.format !== PREPARED_FORMAT) {
    throw new Error(`${dir}/meta.json: format ${JSON.stringify(meta.format)}, expected ${PREPARED_FORMAT}`);
  }
  const expected = meta.chunks * meta.chunk_size * 4;
  const read = async (name: string): Promise<Int32Array> => {
    const bytes = await Deno.readFile(`${dir}/${name}`);
    if (bytes.length !== expected) {
      throw new Error(
        `${dir}/${name}: ${bytes.length} bytes, expected ${expected} (${meta.chunks} chunks × ${meta.chunk_size} × 4)`,
      );
    }
    return int32FromLittleEndian(bytes);
  };
  const inputIds = await read(meta.files.input_ids);
  const wordIds = await read(meta.files.word_ids);
  return new PreparedDataset({ inputIds, wordIds, chunkSize: meta.chunk_size, meta });
}
