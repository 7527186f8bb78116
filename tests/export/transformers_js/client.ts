/**
 * Runs `run.ts` (transformers.js + onnxruntime-node) in its own Deno process with the permissions it needs, for the
 * export tests: the test task's permissions stay as they are (it may spawn `deno`).
 *
 * @module
 */
import type { FillMaskPrediction } from "../../../lib/pipelines/fill_mask.ts";
import { assertEquals } from "../../support/assert.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** What to run (see run.ts). */
export interface TjsRequest {
  modelDir?: string;
  hub?: { endpoint: string; repoId: string };
  fillMask?: { texts: string[]; topK: number };
  textClassification?: { texts: string[] };
  logits?: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] };
}
/** What transformers.js and onnxruntime answered. */
export interface TjsResponse {
  fillMask?: FillMaskPrediction[][];
  textClassification?: { label: string; score: number }[][];
  logits?: { dims: number[]; data: number[] };
}

/** Run transformers.js (pipelines on a local folder or a local Hub) and onnxruntime-node, in a subprocess. */
export async function runTransformersJs(request: TjsRequest): Promise<TjsResponse> {
  const tmp = await Deno.makeTempDir({ prefix: "tjs-" });
  try {
    await Deno.writeTextFile(`${tmp}/request.json`, JSON.stringify(request));
    const { code, stderr } = await new Deno.Command("deno", {
      args: [
        "run",
        "--config",
        `${HERE}deno.json`,
        "--node-modules-dir=auto",
        "--allow-ffi",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        ...(request.hub ? ["--allow-net=127.0.0.1"] : []),
        `${HERE}run.ts`,
        `${tmp}/request.json`,
        `${tmp}/response.json`,
      ],
      env: { NO_COLOR: "1" },
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, `transformers.js runner failed:\n${err}`);
    return JSON.parse(await Deno.readTextFile(`${tmp}/response.json`));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
