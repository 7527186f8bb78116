/**
 * `deno task prepare --data PATH --tokenizer DIR --out DIR`: tokenize and chunk a corpus once into
 * `OUT/<fingerprint>/` (int32 arrays + meta.json) for training; the same inputs reuse that folder.
 * Prints progress on a terminal (stderr) and one JSON line on stdout.
 *
 * @module
 */
import { intFlag, parseFlags } from "../lib/cli.ts";
import { readTexts } from "../lib/data/records.ts";
import { prepareDataset, type PrepareProgress } from "../lib/data/prepared.ts";

const USAGE =
  "deno task prepare --data PATH --tokenizer DIR --out DIR [--chunk-size 128] [--group-batch 1000|global] " +
  "[--text-column text] [--split NAME] [--workers N]";

function progressLine(p: PrepareProgress, total: number | undefined): string {
  const s = p.elapsedMs / 1000;
  const rate = p.examples / Math.max(s, 1e-3);
  const eta = total !== undefined && rate > 0 ? ` ETA ${Math.max(0, (total - p.examples) / rate).toFixed(0)} s` : "";
  const of = total !== undefined ? `/${total}` : "";
  return `\r${p.examples}${of} examples, ${p.tokens} tokens, ${p.chunks} chunks | ` +
    `${rate.toFixed(0)} ex/s, ${(p.tokens / Math.max(s, 1e-3) / 1000).toFixed(0)}k tok/s${eta}   `;
}

if (import.meta.main) {
  try {
    const { values } = parseFlags(Deno.args, {
      data: {
        type: "string",
        multiple: false,
        help: "corpus file or folder (jsonl[.gz], csv, tsv, parquet, txt, aclImdb)",
      },
      tokenizer: { type: "string", multiple: false, help: "folder with tokenizer.json" },
      out: { type: "string", multiple: false, help: "cache root; the prepared folder is OUT/<fingerprint>" },
      "chunk-size": { type: "string", multiple: false, default: "128", help: "tokens per chunk" },
      "group-batch": {
        type: "string",
        multiple: false,
        default: "1000",
        help: "examples concatenated per group, or 'global'",
      },
      "text-column": { type: "string", multiple: false, default: "text", help: "field holding the text" },
      split: {
        type: "string",
        multiple: false,
        help: "split to read from a folder corpus (train, test, unsupervised, …)",
      },
      workers: { type: "string", multiple: false, help: "tokenizer threads, 0 = this thread (default min(cores, 4))" },
    }, USAGE);
    for (const name of ["data", "tokenizer", "out"]) {
      if (typeof values[name] !== "string") throw new Error(`--${name} is required\n\n${USAGE}`);
    }
    const group = values["group-batch"] === "global" ? "global" : intFlag(values, "group-batch", 1);
    const data = values.data as string;
    const textColumn = values["text-column"] as string;
    const split = values.split as string | undefined;
    let total: number | undefined;
    const tty = Deno.stderr.isTerminal();
    if (tty) {
      total = 0;
      for await (const _ of readTexts(data, { textColumn, split })) total++;
    }
    const encoder = new TextEncoder();
    const result = await prepareDataset(data, {
      tokenizer: values.tokenizer as string,
      out: values.out as string,
      chunkSize: intFlag(values, "chunk-size", 1),
      groupBatch: group,
      textColumn,
      split,
      workers: values.workers === undefined ? undefined : intFlag(values, "workers", 0),
      onProgress: tty ? (p) => Deno.stderr.writeSync(encoder.encode(progressLine(p, total))) : undefined,
    });
    if (tty) Deno.stderr.writeSync(encoder.encode("\n"));
    if (result.cached) console.error(`reusing the prepared data in ${result.path} (same inputs and parameters)`);
    console.log(JSON.stringify(result));
  } catch (e) {
    console.error(`prepare: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
