/**
 * The Hugging Face Hub: cached downloads of models and datasets in `huggingface_hub`'s cache layout (shared with
 * Python), Parquet datasets streamed in file order, and pushing a checkpoint with a generated model card.
 *
 * Environment: `HF_ENDPOINT`, `HF_TOKEN`, `HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE` are honoured as in Python.
 * The token is sent only to the Hub endpoint (never to the CDN a download is redirected to) and never printed.
 *
 * @example
 * ```ts
 * import { modelCard, resolveModel } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * if ((await resolveModel(dir)) !== dir) throw new Error("a local folder is used as is");
 * const card = modelCard({ repoId: "me/m", baseModel: "distilbert-base-uncased", hyperparameters: {}, epochs: [] });
 * if (!card.includes("base_model: distilbert-base-uncased")) throw new Error("unexpected");
 * ```
 *
 * @module
 */
export * from "./http.ts";
export * from "./cache.ts";
export * from "./download.ts";
export * from "./resolve.ts";
export * from "./dataset.ts";
export * from "./upload.ts";
export * from "./model_card.ts";
