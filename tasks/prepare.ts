/**
 * `deno task prepare --data PATH --tokenizer DIR --out DIR`: tokenize and chunk a corpus once into `OUT/<id>/`
 * (int32 arrays + meta.json; `<id>` is the first 16 hex digits of the fingerprint) for training; the same inputs
 * reuse that folder. Prints progress on a terminal (stderr) and one JSON line on stdout.
 *
 * @module
 */
import { intFlag, optionalIntFlag, parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { readTexts } from "../lib/data/records.ts";
import { prepareDataset } from "../lib/prepare/mod.ts";
import { CountProgress } from "../lib/app/mod.ts";
import { exportPreparedParquet } from "../lib/export/mod.ts";

const USAGE =
  "deno task prepare --data PATH --tokenizer DIR --out DIR [--chunk-size 128] [--group-batch 1000|global] " +
  "[--text-column text] [--split NAME] [--workers N] [--format i32|parquet] [--word-boundaries hf|intl]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    data: { type: "string", help: "corpus file or folder (jsonl[.gz], csv, tsv, parquet, txt, aclImdb)" },
    tokenizer: { type: "string", help: "folder with tokenizer.json" },
    out: { type: "string", help: "cache root; the prepared folder is OUT/<first 16 hex digits of the fingerprint>" },
    "chunk-size": { type: "string", default: "128", help: "tokens per chunk" },
    "group-batch": { type: "string", default: "1000", help: "examples concatenated per group, or 'global'" },
    "text-column": { type: "string", default: "text", help: "field holding the text" },
    split: { type: "string", help: "split to read from a folder corpus (train, test, unsupervised, …)" },
    workers: { type: "string", help: "tokenizer threads, 0 = this thread (default min(cores, 4))" },
    format: { type: "string", default: "i32", help: "i32 (the cache only) or parquet (also OUT/<id>/chunks.parquet)" },
    "word-boundaries": {
      type: "string",
      default: "hf",
      help: "word_ids: hf (the tokenizer's) or intl (Intl.Segmenter)",
    },
  }, USAGE);
  requireFlags(values, ["data", "tokenizer", "out"], USAGE);
  if (values["word-boundaries"] !== "hf" && values["word-boundaries"] !== "intl") {
    throw new Error(`--word-boundaries: expected hf or intl, got ${JSON.stringify(values["word-boundaries"])}`);
  }
  if (values.format !== "i32" && values.format !== "parquet") {
    throw new Error(`--format: expected i32 or parquet, got ${JSON.stringify(values.format)}`);
  }
  const data = values.data as string;
  const textColumn = values["text-column"] as string;
  const split = values.split as string | undefined;
  let total: number | undefined;
  const tty = Deno.stderr.isTerminal();
  if (tty) {
    total = 0;
    for await (const _ of readTexts(data, { textColumn, split })) total++;
  }
  // Progress on stderr (a bar on a terminal, a line every few seconds otherwise); stdout holds only the result.
  const progress = new CountProgress({ label: "tokenizing", unit: "examples", total });
  progress.start(`${data} with the tokenizer of ${values.tokenizer} (a folder under ${values.out}/)`);
  const result = await prepareDataset(data, {
    tokenizer: values.tokenizer as string,
    out: values.out as string,
    chunkSize: intFlag(values, "chunk-size", 1),
    groupBatch: values["group-batch"] === "global" ? "global" : intFlag(values, "group-batch", 1),
    textColumn,
    split,
    workers: optionalIntFlag(values, "workers", 0),
    wordBoundaries: values["word-boundaries"] === "intl" ? "intl" : "hf",
    onProgress: (p) =>
      progress.update(
        p.examples,
        `${p.tokens.toLocaleString("en-US")} tokens, ${p.chunks.toLocaleString("en-US")} chunks`,
      ),
  });
  progress.done();
  if (result.cached) console.error(`reusing the prepared data in ${result.path} (same inputs and parameters)`);
  const parquet = values.format === "parquet" ? `${result.path}/chunks.parquet` : undefined;
  if (parquet) {
    const writing = new CountProgress({ label: "writing Parquet", unit: "chunks", total: result.chunks });
    writing.start(parquet);
    await exportPreparedParquet(result.path, parquet, { onProgress: (rows) => writing.update(rows) });
    writing.done();
  }
  console.log(JSON.stringify(parquet ? { ...result, parquet } : result));
}

if (import.meta.main) Deno.exit(await runTask("prepare", main));
