/**
 * `deno task bench:train --model-size distilbert-base|bert-base|roberta-base|modernbert-base|small|tiny|… [--vocab-size N]
 * --batch-size 64 --seq-len 128
 * --backend webgpu|wasm|cpu|auto --steps N --warmup W [--split-phases] [--upload write|mapped] [--matmul auto|tiled|tfjs]
 * [--adamw fused|tfjs] [--json] [--out FILE]`:
 * time training steps of a random masked LM of the named shape on random MLM batches (see `lib/bench/train_bench.ts`)
 * and print tokens/s and ms/step (on WebGPU also GPU dispatches per step); `--json` prints the result as one JSON line
 * on stdout, `--out` appends it to FILE.
 *
 * @module
 */
import { intFlag, optionalIntFlag, parseFlags, runTask } from "../lib/cli.ts";
import { BACKEND_NAMES, type BackendName } from "../lib/model/backend.ts";
import {
  type AdamWKernel,
  benchTrain,
  formatTrainBench,
  type MatMulKernel,
  MODEL_SIZES,
  type ModelSizeName,
  type UploadPath,
} from "../lib/bench/train_bench.ts";

const USAGE =
  "deno task bench:train --model-size distilbert-base|bert-base|roberta-base|modernbert-base|small|tiny|… " +
  "[--vocab-size N] --batch-size 64 --seq-len 128 " +
  "--backend webgpu|wasm|cpu|auto --steps N --warmup W [--split-phases] [--upload write|mapped] [--matmul auto|tiled|tfjs] " +
  "[--adamw fused|tfjs] [--fp16] [--json] [--out FILE]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    "model-size": { type: "string", default: "distilbert-base", help: Object.keys(MODEL_SIZES).join(" | ") },
    "vocab-size": { type: "string", help: "vocabulary size instead of the shape's (e.g. to fit a 128 MiB binding)" },
    "batch-size": { type: "string", default: "64", help: "rows per batch" },
    "seq-len": { type: "string", default: "128", help: "tokens per row" },
    backend: { type: "string", default: "auto", help: BACKEND_NAMES.join(" | ") },
    steps: { type: "string", default: "10", help: "timed steps" },
    warmup: { type: "string", default: "2", help: "untimed steps first" },
    "split-phases": { type: "boolean", default: false, help: "also time forward / backward / optimizer, synced" },
    upload: { type: "string", default: "write", help: "WebGPU uploads: write (queue.writeBuffer) | mapped (tfjs's)" },
    matmul: {
      type: "string",
      default: "auto",
      help: "WebGPU matmul: auto (tiled on real adapters, and for wide products on software ones) | tiled | tfjs",
    },
    adamw: {
      type: "string",
      default: "fused",
      help: "WebGPU AdamW: fused (lib/model/kernels/webgpu_adamw_per_param.ts) | tfjs",
    },
    seed: { type: "string", default: "0", help: "seed of weights, batches and dropout" },
    fp16: { type: "boolean", default: false, help: "mixed precision (WebGPU with shader-f16)" },
    json: { type: "boolean", default: false, help: "print the result as one JSON line on stdout" },
    out: { type: "string", help: "append the JSON line to this file" },
    quiet: { type: "boolean", default: false, help: "no per-step lines on stderr" },
  }, USAGE);

  const result = await benchTrain({
    modelSize: values["model-size"] as ModelSizeName,
    vocabSize: optionalIntFlag(values, "vocab-size", 105),
    batchSize: intFlag(values, "batch-size", 1),
    seqLen: intFlag(values, "seq-len", 3),
    backend: values.backend as BackendName,
    steps: intFlag(values, "steps", 1),
    warmup: intFlag(values, "warmup", 0),
    splitPhases: values["split-phases"] as boolean,
    upload: values.upload as UploadPath,
    matmul: values.matmul as MatMulKernel,
    adamw: values.adamw as AdamWKernel,
    seed: intFlag(values, "seed", 0),
    fp16: values.fp16 as boolean,
    log: values.quiet ? () => {} : (line) => console.error(line),
  });
  const line = JSON.stringify(result);
  if (values.json) console.log(line);
  else console.log(formatTrainBench(result));
  if (values.json) console.error(formatTrainBench(result));
  if (typeof values.out === "string") await Deno.writeTextFile(values.out, line + "\n", { append: true });
}

if (import.meta.main) Deno.exit(await runTask("bench:train", main));
