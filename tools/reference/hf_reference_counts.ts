/**
 * Hugging Face's reference token and chunk counts for every IMDb split, made with HF's own Rust tokenizer (the
 * `tokenizers` node bindings, the same Rust code as Python's `BertTokenizerFast`) — no Python machine needed.
 *
 *     deno run --allow-read --allow-ffi --allow-env=RAYON_NUM_THREADS,NAPI_RS_NATIVE_LIBRARY_PATH,NAPI_RS_FORCE_WASI,NAPI_RS_ENFORCE_VERSION_CHECK \
 *       --allow-write=fixtures/reference tools/reference/hf_reference_counts.ts
 *
 * 1. Re-checks the Python goldens (`goldens/tokenizer_bert_base_uncased.jsonl.gz`: input_ids and word_ids of 2,103
 *    texts made by `BertTokenizerFast`) and aborts on any difference, so the Rust build used here is HF's behaviour.
 * 2. For train, test and unsupervised (file order), in `map(batched=True)` batches of 1,000 as the course does:
 *    reviews, tokens, `chunks_per_1000_reviews` (the sum over batches of floor(batch tokens / 128)), `chunks_global`
 *    (floor(tokens / 128)), and sha256 digests of the concatenated `input_ids` and `word_ids` (int32 little-endian,
 *    `null` as -1) and of the ids the kept chunks hold (each batch's concatenation cut before its remainder).
 * 3. Checks the test split against `goldens/imdb_test_counts.json` (Python's counts) and writes
 *    `fixtures/reference/imdb_counts.json`, which `tests/tokenize/imdb_counts_test.ts` compares our pipeline with.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { parseFlags } from "../../lib/cli.ts";
import { readJsonl } from "../../lib/data/jsonl.ts";
import { readTexts } from "../../lib/data/records.ts";
import { HF_RUST_ENV, loadHfRustTokenizer } from "../../lib/bench/hf_tokenizer.ts";

const COMMAND = "deno run --allow-read --allow-ffi --allow-env=" + HF_RUST_ENV.join(",") +
  " --allow-write=fixtures/reference tools/reference/hf_reference_counts.ts";
const PACKAGE = "npm:tokenizers@0.23.2";
const SPLITS = ["train", "test", "unsupervised"];
const CHUNK_SIZE = 128;
const GROUP_BATCH = 1000;

if (new Uint8Array(new Int32Array([1]).buffer)[0] !== 1) throw new Error("digests assume a little-endian machine");

function hashInts(hash: Hash, values: ArrayLike<number | null>): void {
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) ints[i] = values[i] ?? -1;
  hash.update(new Uint8Array(ints.buffer));
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

const { values } = parseFlags(Deno.args, {
  shared: { type: "string", default: "../shared", help: "folder with data/ and goldens/" },
  out: { type: "string", default: "fixtures/reference/imdb_counts.json", help: "fixture to write" },
}, "hf_reference_counts.ts [--shared DIR] [--out FILE]");
const shared = values.shared as string;
const out = values.out as string;
const tokenizerDir = `${shared}/data/bert-base-uncased`;
const tokenizer = await loadHfRustTokenizer(tokenizerDir);

// 1. The Rust tokenizer reproduces the Python goldens exactly.
const goldens: { text: string; input_ids: number[]; word_ids: (number | null)[] }[] = [];
for await (const r of readJsonl(`${shared}/goldens/tokenizer_bert_base_uncased.jsonl.gz`)) {
  goldens.push(r as (typeof goldens)[number]);
}
const encoded = await tokenizer.encodeBatch(goldens.map((g) => g.text));
for (let i = 0; i < goldens.length; i++) {
  for (const field of ["input_ids", "word_ids"] as const) {
    if (JSON.stringify(encoded[i][field]) !== JSON.stringify(goldens[i][field])) {
      throw new Error(`golden #${i} ${field}: HF Rust tokenizer differs from BertTokenizerFast; not writing ${out}`);
    }
  }
}
console.log(`goldens: ${goldens.length} texts, input_ids and word_ids identical to BertTokenizerFast`);

// 2. Per-split counts and digests, batches of 1,000 as datasets.map(batched=True).
interface SplitCounts {
  reviews: number;
  tokens: number;
  chunks_per_1000_reviews: number;
  chunks_global: number;
  input_ids_sha256: string;
  word_ids_sha256: string;
  chunk_input_ids_sha256: string;
}

async function* batchesOf(texts: AsyncIterable<string>, size: number): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const text of texts) {
    batch.push(text);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function countSplit(path: string): Promise<SplitCounts> {
  const ids = createHash("sha256");
  const words = createHash("sha256");
  const chunkIds = createHash("sha256");
  let reviews = 0;
  let tokens = 0;
  let chunks = 0;
  for await (const batch of batchesOf(readTexts(path), GROUP_BATCH)) {
    const encodings = await tokenizer.encodeBatch(batch);
    const concatenated: number[] = [];
    for (const e of encodings) {
      hashInts(ids, e.input_ids);
      hashInts(words, e.word_ids);
      for (const id of e.input_ids) concatenated.push(id);
    }
    const kept = Math.floor(concatenated.length / CHUNK_SIZE);
    hashInts(chunkIds, concatenated.slice(0, kept * CHUNK_SIZE));
    reviews += encodings.length;
    tokens += concatenated.length;
    chunks += kept;
  }
  return {
    reviews,
    tokens,
    chunks_per_1000_reviews: chunks,
    chunks_global: Math.floor(tokens / CHUNK_SIZE),
    input_ids_sha256: ids.digest("hex"),
    word_ids_sha256: words.digest("hex"),
    chunk_input_ids_sha256: chunkIds.digest("hex"),
  };
}

const splits: Record<string, SplitCounts> = {};
for (const split of SPLITS) {
  splits[split] = await countSplit(`${shared}/data/imdb/${split}.jsonl.gz`);
  console.log(split, JSON.stringify(splits[split]));
}

// 3. The test split agrees with Python's counts; write the fixture (temp name, then rename).
const python = JSON.parse(await Deno.readTextFile(`${shared}/goldens/imdb_test_counts.json`));
for (const key of ["reviews", "tokens", "chunks_per_1000_reviews", "chunks_global"] as const) {
  if (splits.test[key] !== python[key]) {
    throw new Error(`test split ${key}: ${splits.test[key]} here, ${python[key]} in goldens/imdb_test_counts.json`);
  }
}
console.log("test split: identical to goldens/imdb_test_counts.json (Python)");
const fixture = {
  description: "HF reference token/chunk counts of the shared IMDb (jsonl.gz, file order), bert-base-uncased, " +
    "chunks of 128 per datasets.map(batched=True) batch of 1000; digests over int32 little-endian, word_ids null = -1",
  tokenizer_package: PACKAGE,
  tokenizer_json_sha256: await sha256File(`${tokenizerDir}/tokenizer.json`),
  goldens_checked: goldens.length,
  command: COMMAND,
  chunk_size: CHUNK_SIZE,
  group_batch: GROUP_BATCH,
  splits,
};
const dir = out.replace(/\/[^/]*$/, "");
if (dir !== out) await Deno.mkdir(dir, { recursive: true });
const tmp = `${out}.tmp-${Deno.pid}`;
await Deno.writeTextFile(tmp, JSON.stringify(fixture, null, 2) + "\n");
await Deno.rename(tmp, out);
console.log(`wrote ${out}`);
