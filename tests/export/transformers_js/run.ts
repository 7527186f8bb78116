/**
 * The transformers.js side of tests/export/onnx_test.ts, run in its own Deno process (transformers.js needs a
 * node_modules folder and ffi for onnxruntime-node; the test task grants neither):
 *
 *     deno run --config tests/export/transformers_js/deno.json --allow-ffi --allow-read --allow-write --allow-env \
 *       --allow-sys tests/export/transformers_js/run.ts REQUEST.json RESPONSE.json
 *
 * REQUEST: `{ modelDir, fillMask?: { texts, topK }, textClassification?: { texts },
 * logits?: { input_ids, attention_mask, token_type_ids? } }` (ids as `number[][]`). For each part it writes what
 * transformers.js' pipelines (local files only, fp32) and onnxruntime-node's raw session answer. With
 * `hub: { endpoint, repoId }` instead of `modelDir`, the pipelines download `repoId` from that Hub (add
 * `--allow-net=127.0.0.1`); `logits` then needs `modelDir` too.
 */
import { env, pipeline } from "npm:@huggingface/transformers@4.3.1";
import * as ort from "npm:onnxruntime-node@1.30.0";

interface Request {
  modelDir?: string;
  hub?: { endpoint: string; repoId: string };
  fillMask?: { texts: string[]; topK: number };
  textClassification?: { texts: string[] };
  logits?: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] };
}

const [requestPath, responsePath] = Deno.args;
const request: Request = JSON.parse(await Deno.readTextFile(requestPath));
let modelId: string;
let local = true;
if (request.hub) {
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = `${request.hub.endpoint}/`;
  env.cacheDir = await Deno.makeTempDir({ prefix: "tjs-cache-" }); // a fresh download every run, removed at the end
  modelId = request.hub.repoId;
  local = false;
} else {
  const slash = request.modelDir!.lastIndexOf("/");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = request.modelDir!.slice(0, slash + 1);
  modelId = request.modelDir!.slice(slash + 1);
}
const response: Record<string, unknown> = {};

if (request.fillMask) {
  const unmasker = await pipeline("fill-mask", modelId, { dtype: "fp32", local_files_only: local });
  const out = [];
  for (const text of request.fillMask.texts) out.push(await unmasker(text, { top_k: request.fillMask.topK }));
  response.fillMask = out;
  await unmasker.dispose();
}
if (request.textClassification) {
  const classifier = await pipeline("text-classification", modelId, { dtype: "fp32", local_files_only: local });
  const out = [];
  for (const text of request.textClassification.texts) out.push(await classifier(text, { top_k: null }));
  response.textClassification = out;
  await classifier.dispose();
}
if (request.logits) {
  const session = await ort.InferenceSession.create(`${request.modelDir}/onnx/model.onnx`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, rows] of Object.entries(request.logits)) {
    if (!rows) continue;
    feeds[name] = new ort.Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0].length]);
  }
  const { logits } = await session.run(feeds);
  response.logits = { dims: logits.dims, data: Array.from(logits.data as Float32Array) };
  await session.release();
}
await Deno.writeTextFile(responsePath, JSON.stringify(response));
if (request.hub) await Deno.remove(env.cacheDir!, { recursive: true });
