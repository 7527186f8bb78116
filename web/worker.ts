/// <reference lib="webworker" />
/**
 * The page's Web Worker: picks the backend (`auto`: a hardware WebGPU adapter, else wasm), loads the model and
 * tokenizer from bytes, adapts the model with `adaptInMemory` and posts every event back; the page never blocks.
 * Messages in: {@link StartMessage}, `{type: "fill", text}`, `{type: "stop"}`. Messages out: {@link WorkerMessage}.
 *
 * @module
 */
import { importTfWasm } from "../lib/deps.ts";
import { type MaskedLM, selectBackend, webgpuAdapter } from "../lib/model/mod.ts";
import { chooseWebgpuOrWasm, fp16Refusal } from "../lib/model/backend.ts";
import type { Tokenizer } from "../lib/tokenize/mod.ts";
import { TOKENIZER_FILES } from "../lib/tokenize/tokenizer.ts";
import { fillMask, type FillMaskPrediction } from "../lib/pipelines/mod.ts";
import {
  type AdaptEvent,
  adaptInMemory,
  type AdaptOptions,
  CHECKPOINT_FILES,
  corpusTexts,
  fetchFile,
  type FileBytes,
  maskedLMFromFiles,
  pretrainedFiles,
  probeLogits,
  tokenizerFromFiles,
  withMaskToken,
} from "../lib/web/mod.ts";

/** Where the model comes from. */
export type ModelSource =
  | { kind: "demo" }
  | { kind: "files"; files: Record<string, Uint8Array>; name?: string }
  | { kind: "hub"; id: string; endpoint?: string };

/** Start a run. */
export interface StartMessage {
  /** Message type. */
  type: "start";
  /** The model (and its tokenizer). */
  model: ModelSource;
  /** The corpus: the demo's movie reviews or a dropped file. */
  corpus: { kind: "demo" } | { kind: "file"; name: string; bytes: Uint8Array };
  /** Training options. */
  options: Omit<AdaptOptions, "signal">;
  /**
   * `auto` (a hardware WebGPU adapter, else wasm, as the CLI's `auto`), `webgpu` (any adapter; wasm, saying so, when
   * the browser has none) or `wasm`.
   */
  backend: "auto" | "webgpu" | "wasm";
}

/** What the worker posts. */
export type WorkerMessage =
  | AdaptEvent
  | { type: "backend"; backend: string; adapter?: string; note?: string }
  | { type: "log"; line: string }
  | {
    type: "loaded";
    modelType: string;
    parameters: number;
    vocabSize: number;
    source: string;
    /** The tokenizer's mask token (`[MASK]`, `<mask>`). */
    maskToken: string;
    /** The run's prompts in that mask token (see `withMaskToken`). */
    prompts: string[];
  }
  | {
    type: "done";
    files: Record<string, Uint8Array>;
    probe: { input_ids: Int32Array; attention_mask: Int32Array; shape: [number, number]; logits: Float32Array };
    steps: number;
    tokensPerSecond: number;
  }
  | { type: "filled"; text: string; before: FillMaskPrediction[]; after?: FillMaskPrediction[] }
  | { type: "error"; message: string };

let state: { tokenizer: Tokenizer; original: MaskedLM; adapted?: MaskedLM } | undefined;
let abort: AbortController | undefined;
let backendWanted: string | undefined;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(message, transfer);
}

async function fetchBytes(url: URL | string, optional = false): Promise<Uint8Array | undefined> {
  return await fetchFile(url, { optional }); // errors name the URL and the cause
}

async function modelFiles(source: ModelSource): Promise<{ files: FileBytes; name: string }> {
  const files: FileBytes = new Map();
  if (source.kind === "files") {
    for (const [name, bytes] of Object.entries(source.files)) files.set(name, bytes);
    return { files, name: source.name ?? "local folder" }; // the chosen folder's name; "" for files chosen alone
  }
  const base = source.kind === "demo" ? new URL("./demo/model/", self.location.href) : new URL(
    `${source.id.replace(/^\/+|\/+$/g, "")}/resolve/main/`,
    new URL(source.endpoint ?? "https://huggingface.co/", self.location.href),
  );
  for (const name of CHECKPOINT_FILES) {
    const bytes = await fetchBytes(new URL(name, base), TOKENIZER_FILES.includes(name) && name !== "tokenizer.json");
    if (bytes) files.set(name, bytes);
  }
  return { files, name: source.kind === "demo" ? "demo model" : source.id };
}

async function useBackend(wanted: "auto" | "webgpu" | "wasm", fp16: boolean): Promise<void> {
  const log = (line: string) => post({ type: "log", line });
  const adapter = wanted === "wasm" ? undefined : await webgpuAdapter();
  const decision = wanted === "wasm" ? undefined : chooseWebgpuOrWasm(wanted, adapter);
  if (fp16) {
    const refusal = fp16Refusal({
      backend: decision?.backend ?? "wasm",
      adapter: adapter?.description,
      shaderF16: adapter?.shaderF16,
    });
    if (refusal) throw new Error(refusal.replace("--backend webgpu", "Backend WebGPU").replaceAll("--fp16", "fp16"));
  }
  if (decision?.backend === "webgpu") {
    const choice = await selectBackend("webgpu", { log, fp16 });
    post({ type: "backend", backend: choice.backend, adapter: choice.adapter, note: decision.reason });
    return;
  }
  const wasm = await importTfWasm();
  wasm.setWasmPaths(new URL("./", self.location.href).href);
  await selectBackend("wasm", { log });
  const note = wanted === "webgpu"
    ? "WebGPU is not available in this browser (no navigator.gpu or no adapter): training on the wasm backend " +
      "(CPU, much slower)"
    : decision?.reason.startsWith("WebGPU adapter")
    ? `${decision.reason}, so auto chose wasm; choose WebGPU under Backend to train on it anyway`
    : decision && `No WebGPU adapter in this browser, so auto chose wasm (CPU)`;
  post({ type: "backend", backend: "wasm", note });
}

async function start(message: StartMessage): Promise<void> {
  state?.original.dispose();
  state?.adapted?.dispose();
  state = undefined;
  const wanted = `${message.backend}${message.options.fp16 ? " fp16" : ""}`;
  if (backendWanted !== wanted) {
    await useBackend(message.backend, Boolean(message.options.fp16));
    backendWanted = wanted;
  }
  const { files, name } = await modelFiles(message.model);
  const tokenizer = tokenizerFromFiles(files, { source: name });
  const original = maskedLMFromFiles(files, { source: name, tokenizer });
  const adapted = maskedLMFromFiles(files, { source: name, tokenizer });
  state = { tokenizer, original, adapted };
  const prompts = (message.options.prompts ?? []).map((p) => withMaskToken(p, tokenizer.maskToken));
  post({
    type: "loaded",
    modelType: adapted.config.model_type,
    parameters: adapted.numParameters(),
    vocabSize: tokenizer.vocabSize,
    source: name,
    maskToken: tokenizer.maskToken,
    prompts,
  });
  const corpus = message.corpus.kind === "demo"
    ? {
      name: "movie_reviews.jsonl",
      bytes: (await fetchBytes(new URL("./demo/corpus/movie_reviews.jsonl", self.location.href)))!,
    }
    : message.corpus;
  const texts = corpusTexts(corpus.name, corpus.bytes);
  abort = new AbortController();
  const result = await adaptInMemory(
    adapted,
    tokenizer,
    texts,
    { ...message.options, prompts, signal: abort.signal },
    post,
  );
  const out = await pretrainedFiles(adapted, files);
  const logits = await probeLogits(adapted, result.probe);
  const { input_ids, attention_mask, shape } = result.probe;
  post({
    type: "done",
    files: Object.fromEntries(out),
    probe: { input_ids, attention_mask, shape, logits },
    steps: result.steps,
    tokensPerSecond: result.tokensPerSecond,
  });
}

async function fill(text: string): Promise<void> {
  if (!state) throw new Error("load a model first (press Train)");
  text = withMaskToken(text, state.tokenizer.maskToken);
  const first = async (model: MaskedLM) => (await fillMask(model, state!.tokenizer, text, { topK: 5 }))[0];
  const before = await first(state.original);
  const after = state.adapted ? await first(state.adapted) : undefined;
  post({ type: "filled", text, before, after });
}

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as StartMessage | { type: "fill"; text: string } | { type: "stop" };
  try {
    if (message.type === "start") await start(message);
    else if (message.type === "fill") await fill(message.text);
    else if (message.type === "stop") abort?.abort();
  } catch (e) {
    post({ type: "error", message: (e as Error).message ?? String(e) });
  }
};
