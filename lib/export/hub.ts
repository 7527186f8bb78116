/**
 * Deploying an export with a push: {@link onnxHubFiles} makes the files a Hub repo needs for transformers.js
 * (`onnx/model.onnx`, and `tokenizer_config.json` completed with the special tokens transformers.js reads),
 * {@link pushToHubWithOnnx} pushes a checkpoint folder with them in the same commit (through `pushToHub`'s
 * `extraFiles`), and {@link transformersJsSnippet} is the model-card section that runs the pushed model.
 *
 * @module
 */
import { type PushResult, pushToHub, type PushToHubOptions } from "../hub/upload.ts";
import { architectureName } from "../model/architectures.ts";
import { classifierArchitecture } from "../model/classifier_config.ts";
import { loadExportable, ONNX_MODEL_PATH, onnxModelBytes } from "./onnx.ts";
import { completeTokenizerConfig } from "./tokenizer_files.ts";

/** The extra files of an ONNX push and the class exported. */
export interface OnnxHubFiles {
  /** Repo path → bytes: `onnx/model.onnx`, plus `tokenizer_config.json` when completing it changed it. */
  files: Record<string, Uint8Array>;
  /** The exported class, e.g. `DistilBertForMaskedLM`. */
  architecture: string;
}

/**
 * Export the checkpoint folder `dir` to ONNX in memory (nothing is written) and return the files to add to its push.
 *
 * @example
 * ```ts
 * import { onnxHubFiles } from "./hub.ts";
 * const { files, architecture } = await onnxHubFiles("fixtures/demo/model");
 * if (!files["onnx/model.onnx"] || architecture !== "DistilBertForMaskedLM") throw new Error(architecture);
 * ```
 */
export async function onnxHubFiles(dir: string): Promise<OnnxHubFiles> {
  const model = await loadExportable(dir);
  try {
    const { bytes } = await onnxModelBytes(model);
    const files: Record<string, Uint8Array> = { [ONNX_MODEL_PATH]: bytes };
    const original = await Deno.readTextFile(`${dir}/tokenizer_config.json`).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    });
    let json: Record<string, unknown> = {};
    try {
      json = original === undefined ? {} : JSON.parse(original);
    } catch (e) {
      throw new Error(`${dir}/tokenizer_config.json: not valid JSON (${(e as Error).message})`);
    }
    const completed = JSON.stringify(completeTokenizerConfig(json, model.config.model_type), null, 2) + "\n";
    const before = original === undefined ? undefined : JSON.stringify(json, null, 2) + "\n";
    if (completed !== before) files["tokenizer_config.json"] = new TextEncoder().encode(completed);
    const classifier = "numLabels" in model;
    const architecture = classifier ? classifierArchitecture(model.config) : architectureName(model.config);
    return { files, architecture };
  } finally {
    model.dispose();
  }
}

/**
 * `pushToHub(folder, options)` with the ONNX export of the folder's checkpoint in the same commit (see
 * {@link onnxHubFiles}); files given in `options.extraFiles` (e.g. a model card) win over the export's.
 *
 * @example
 * ```ts
 * import { pushToHubWithOnnx } from "./hub.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const hub = await startHubServer({ tokens: ["hf_example_token"] });
 * const r = await pushToHubWithOnnx("fixtures/demo/model", { repoId: "me/demo", token: "hf_example_token", endpoint: hub.endpoint });
 * if (!r.files.includes("onnx/model.onnx")) throw new Error(r.files.join());
 * await hub.close();
 * ```
 */
export async function pushToHubWithOnnx(folder: string, options: PushToHubOptions): Promise<PushResult> {
  const { files } = await onnxHubFiles(folder);
  return pushToHub(folder, { ...options, extraFiles: { ...files, ...options.extraFiles } });
}

/** Options of {@link transformersJsSnippet}. */
export interface TransformersJsSnippetOptions {
  /** Pipeline task (default "fill-mask"). */
  task?: "fill-mask" | "text-classification";
  /** Input of the example (default "This is a great [MASK]." / "This movie was great!"). */
  example?: string;
}

/**
 * The model-card section (Markdown) that runs a pushed ONNX export with transformers.js, in Node, Deno or the
 * browser.
 *
 * @example
 * ```ts
 * import { transformersJsSnippet } from "./hub.ts";
 * const md = transformersJsSnippet("me/distilbert-base-uncased-finetuned-imdb");
 * if (!md.includes('pipeline("fill-mask", "me/distilbert-base-uncased-finetuned-imdb"')) throw new Error(md);
 * ```
 */
export function transformersJsSnippet(repoId: string, options: TransformersJsSnippetOptions = {}): string {
  const task = options.task ?? "fill-mask";
  const example = options.example ?? (task === "fill-mask" ? "This is a great [MASK]." : "This movie was great!");
  const name = task === "fill-mask" ? "unmasker" : "classifier";
  return [
    "With 🤗 Transformers.js (the ONNX export in `onnx/model.onnx`), in the browser, Node or Deno:",
    "",
    "```js",
    `import { pipeline } from ${JSON.stringify("@huggingface/transformers")};`, // card text, not an import here
    "",
    `const ${name} = await pipeline(${JSON.stringify(task)}, ${JSON.stringify(repoId)}, { dtype: "fp32" });`,
    `console.log(await ${name}(${JSON.stringify(example)}));`,
    "```",
    "",
    "Under Deno: `deno run --node-modules-dir=auto --allow-ffi --allow-read --allow-write --allow-env --allow-sys " +
    "--allow-net main.js` (onnxruntime-node needs ffi; `npm:@huggingface/transformers` as the import).",
    "",
  ].join("\n");
}
