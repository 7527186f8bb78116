/**
 * Hugging Face checkpoint folders held in memory (file name → bytes), for places without a file system such as a
 * browser tab: {@link tokenizerFromFiles} and {@link maskedLMFromFiles} are `loadTokenizer` and `loadMaskedLM` over
 * bytes (the same parsers and checks), and {@link pretrainedFiles} is `savePretrained` into bytes (the same
 * `config.json`, `model.safetensors` and tokenizer files). Nothing here touches `Deno.*`.
 *
 * @module
 */
import { checkTokenizerJson, Tokenizer, TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { configToJson, parseConfig } from "../model/config.ts";
import { encodeSafetensors, parseSafetensors, type SafeTensor } from "../model/safetensors.ts";
import { assertTokenizerMatches, checkpointValues } from "../model/pretrained.ts";
import { buildMaskedLM } from "../model/architectures.ts";
import type { MaskedLM } from "../model/masked_lm.ts";

/** A checkpoint folder in memory: file name (no folder) → bytes. */
export type FileBytes = Map<string, Uint8Array>;

/** Options of {@link tokenizerFromFiles} and {@link maskedLMFromFiles}. */
export interface FromFilesOptions {
  /**
   * Where the files came from (a folder name, a Hub id), for error messages (`SOURCE/config.json: …`); default
   * `"files"`. `""`: files chosen one by one, named alone (`config.json: …`).
   */
  source?: string;
}

/** `source/name`, or `name` alone when `source` is `""` (files chosen one by one). */
function pathOf(source: string, name: string): string {
  return source === "" ? name : `${source}/${name}`;
}

/** `source` for a message about the set of files as a whole. */
function setOf(source: string): string {
  return source === "" ? "the chosen files" : source;
}

function jsonFile(files: FileBytes, name: string, source: string): Record<string, unknown> | undefined {
  const bytes = files.get(name);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${pathOf(source, name)}: malformed JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${pathOf(source, name)}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The tokenizer of an in-memory folder: `tokenizer.json` (required), `tokenizer_config.json` and
 * `special_tokens_map.json` when present — as `loadTokenizer` reads a folder.
 *
 * @example
 * ```ts
 * import { tokenizerFromFiles } from "./files.ts";
 * const dir = new URL("../../fixtures/demo/model/", import.meta.url);
 * const files = new Map<string, Uint8Array>();
 * for (const name of ["tokenizer.json", "tokenizer_config.json"]) files.set(name, await Deno.readFile(new URL(name, dir)));
 * const tok = tokenizerFromFiles(files, { source: "demo" });
 * if (tok.decode(tok.encode("a great movie").input_ids, { skipSpecialTokens: true }) !== "a great movie") throw new Error();
 * ```
 */
export function tokenizerFromFiles(files: FileBytes, options: FromFilesOptions = {}): Tokenizer {
  const source = options.source ?? "files";
  const json = jsonFile(files, "tokenizer.json", source);
  if (json === undefined) {
    throw new Error(
      `${setOf(source)}: no tokenizer.json among the files (a Hugging Face fast-tokenizer file is required)`,
    );
  }
  for (const key of ["model", "added_tokens"]) {
    if (!(key in json)) throw new Error(`${pathOf(source, "tokenizer.json")}: missing field "${key}"`);
  }
  for (const key of ["normalizer", "pre_tokenizer", "post_processor", "decoder"]) json[key] ??= null;
  const where = pathOf(source, "tokenizer.json");
  checkTokenizerJson(json, where);
  const config = jsonFile(files, "tokenizer_config.json", source) ?? {};
  const map = jsonFile(files, "special_tokens_map.json", source) ?? {};
  const merged: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(map)) merged[k] ??= v;
  const present = TOKENIZER_FILES.filter((name) => files.has(name));
  try {
    return new Tokenizer({ dir: setOf(source), files: present, tokenizerJson: json, config: merged });
  } catch (e) {
    const message = (e as Error).message;
    if (source !== "" && message.startsWith(setOf(source))) throw e;
    throw new Error(`${where}: cannot build the tokenizer (${message})`);
  }
}

/**
 * The masked LM of an in-memory folder: `config.json` + `model.safetensors`, names and shapes checked as
 * `loadMaskedLM` checks them, on the active tfjs backend. With `tokenizer`, fails first when its vocabulary size
 * differs from the config's.
 *
 * @example
 * ```ts
 * import { maskedLMFromFiles } from "./files.ts";
 * const dir = new URL("../../fixtures/demo/model/", import.meta.url);
 * const files = new Map<string, Uint8Array>();
 * for (const name of ["config.json", "model.safetensors"]) files.set(name, await Deno.readFile(new URL(name, dir)));
 * const model = maskedLMFromFiles(files);
 * if (model.config.model_type !== "distilbert") throw new Error("the demo model is a DistilBERT");
 * model.dispose();
 * ```
 */
export function maskedLMFromFiles(
  files: FileBytes,
  options: FromFilesOptions & { tokenizer?: { vocabSize: number } } = {},
): MaskedLM {
  const source = options.source ?? "files";
  const configJson = jsonFile(files, "config.json", source);
  if (configJson === undefined) throw new Error(`${setOf(source)}: no config.json among the files`);
  const config = parseConfig(configJson, { source: pathOf(source, "config.json") });
  if (options.tokenizer) assertTokenizerMatches(config, options.tokenizer, { source: setOf(source) });
  const weights = files.get("model.safetensors");
  if (weights === undefined) throw new Error(`${setOf(source)}: no model.safetensors among the files`);
  const path = pathOf(source, "model.safetensors");
  const values = checkpointValues(parseSafetensors(weights, { source: path }).tensors, config, { source: path });
  return buildMaskedLM(config, values);
}

/**
 * A model's Hugging Face folder as bytes — `config.json`, `model.safetensors` (`format: pt`, as `savePretrained`
 * writes) and the given tokenizer files (only those named in `TOKENIZER_FILES`).
 *
 * @example
 * ```ts
 * import { initMaskedLM, parseConfig } from "../model/mod.ts";
 * import { maskedLMFromFiles, pretrainedFiles } from "./files.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * const files = await pretrainedFiles(m, new Map());
 * const back = maskedLMFromFiles(files);
 * if (back.numParameters() !== m.numParameters()) throw new Error("round trip");
 * m.dispose(); back.dispose();
 * ```
 */
export async function pretrainedFiles(model: MaskedLM, tokenizerFiles: FileBytes): Promise<FileBytes> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const out: FileBytes = new Map();
  out.set("config.json", new TextEncoder().encode(configToJson(model.config)));
  out.set("model.safetensors", encodeSafetensors(tensors, { metadata: { format: "pt" } }));
  for (const name of TOKENIZER_FILES) {
    const bytes = tokenizerFiles.get(name);
    if (bytes !== undefined) out.set(name, bytes);
  }
  return out;
}

/** Options of {@link fetchFile}. */
export interface FetchFileOptions {
  /** Return `undefined` for HTTP 404 instead of failing (an optional file such as `vocab.txt`). */
  optional?: boolean;
}

/** What an HTTP status means for a model file, in a few words. */
function statusHint(status: number): string {
  if (status === 401 || status === 403) return "the model is private or gated, or the id is wrong (no token is sent)";
  if (status === 404) return "no such model or file: check the id";
  if (status >= 500) return "the server failed; try again later";
  return "";
}

/**
 * `url`'s bytes, or an error that names the URL and the cause: the HTTP status with a hint, or — when the request
 * never got an answer (a browser says only "Failed to fetch") — the likely reasons.
 *
 * @example
 * ```ts
 * import { fetchFile } from "./files.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("no", { status: 404 }));
 * const base = `http://127.0.0.1:${server.addr.port}`;
 * if (await fetchFile(`${base}/vocab.txt`, { optional: true }) !== undefined) throw new Error("404 → undefined");
 * const e = await fetchFile(`${base}/org/model/resolve/main/config.json`).then(() => undefined, (e: Error) => e);
 * if (!/^GET http:\/\/127.*config\.json: HTTP 404 .*check the id/.test(String(e?.message))) throw new Error(String(e));
 * await server.shutdown();
 * ```
 */
export async function fetchFile(url: URL | string, options: FetchFileOptions = {}): Promise<Uint8Array | undefined> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(
      `GET ${url}: no answer (${(e as Error).message}): offline, the host is unreachable or unknown, or it does not ` +
        `allow requests from this page's origin (CORS)`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    if (options.optional && response.status === 404) return undefined;
    const hint = statusHint(response.status);
    throw new Error(`GET ${url}: HTTP ${response.status} ${response.statusText}${hint ? ` (${hint})` : ""}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
