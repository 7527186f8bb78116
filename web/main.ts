/// <reference lib="dom" />
/**
 * The page's script: reads the form, starts the Web Worker (`worker.js`, which does every computation), draws the
 * loss curve with uPlot, shows perplexity and fill-mask before/after and offers the adapted model's files.
 *
 * `?hubEndpoint=URL` points the Hub model at a mirror (HF's `ID/resolve/main/FILE` layout). For tests, `?autorun=1`
 * starts a run on load, taking `epochs`, `maxSteps`, `chunkSize`, `batchSize`, `learningRate`, `masking`, `backend`,
 * `seed`, `prompt` and `model=hub&hubId=ID` from the query; the body's `data-state` becomes `done` or `error`, and
 * `globalThis.mlmRun` holds the run's record: its numbers, files and error (`step`: the last step shown).
 *
 * @module
 */
import type { StartMessage, WorkerMessage } from "./worker.ts";
import type { FillMaskPrediction } from "../lib/pipelines/fill_mask.ts";
import { CHECKPOINT_FILES } from "../lib/web/checkpoint.ts";

declare const uPlot: new (opts: unknown, data: number[][], el: HTMLElement) => { setData(d: number[][]): void };

const $ = <T extends HTMLElement = HTMLInputElement>(id: string): T => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const run: Record<string, unknown> = {};
(globalThis as Record<string, unknown>).mlmRun = run;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const steps: number[] = [], losses: number[] = [];
let chart: { setData(d: number[][]): void } | undefined;
let droppedCorpus: File | undefined;
const fileUrls: string[] = [];
let lastFiles: Record<string, Uint8Array> = {};
/** Whether the worker holds a model (fill-mask works from then on). */
let modelLoaded = false;
/** The prompt the run fills before and after training. */
let trainPrompt = "";

function setState(state: "idle" | "running" | "done" | "error"): void {
  document.body.dataset.state = state;
  $<HTMLButtonElement>("train").disabled = state === "running";
  $<HTMLButtonElement>("stop").disabled = state !== "running";
}

function status(text: string, error = false): void {
  const el = $<HTMLParagraphElement>("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

function drawChart(): void {
  if (!chart) {
    chart = new uPlot(
      {
        width: Math.min(940, document.body.clientWidth),
        height: 240,
        title: "training loss",
        scales: { x: { time: false } },
        axes: [{ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, {}],
        series: [{ label: "step" }, { label: "loss", stroke: "#c33", width: 2 }],
      },
      [steps, losses],
      $("chart"),
    );
  } else chart.setData([steps, losses]);
}

/** Say which prompt the fill-mask lists answer. */
function showFillPrompt(text: string): void {
  $<HTMLParagraphElement>("fill-prompt").textContent = `Prompt: ${text}`;
}

function showFill(id: string, predictions: FillMaskPrediction[] | undefined): void {
  const list = $<HTMLOListElement>(id);
  list.replaceChildren(...(predictions ?? []).map((p) => {
    const li = document.createElement("li");
    li.textContent = `${p.token_str} (${(100 * p.score).toFixed(1)}%)`;
    return li;
  }));
}

/**
 * The checkpoint files among those chosen, and the name errors give them: the folder's name for a folder pick
 * (`my-model/model.safetensors: …`), `""` for files chosen one by one (`model.safetensors: …`).
 */
async function filesOf(input: HTMLInputElement): Promise<{ files: Record<string, Uint8Array>; name: string }> {
  const out: Record<string, Uint8Array> = {};
  const chosen = [...(input.files ?? [])];
  const folder = chosen[0]?.webkitRelativePath.split("/")[0] ?? "";
  if (chosen.length === 0) {
    throw new Error(
      input.id === "model-folder"
        ? "Model: choose a checkpoint folder (it holds config.json, model.safetensors, tokenizer.json)"
        : "Model: choose the checkpoint's files (config.json, model.safetensors, tokenizer.json, …)",
    );
  }
  for (const file of chosen) {
    const name = file.name;
    // A folder pick lists its subfolders' files too (FOLDER/sub/config.json): only the folder's own files count.
    if (file.webkitRelativePath.split("/").length > 2) continue;
    // Only the checkpoint's own files (BERT's vocab.txt, RoBERTa's vocab.json + merges.txt, …), not optimizer state.
    if (CHECKPOINT_FILES.includes(name)) out[name] = new Uint8Array(await file.arrayBuffer());
  }
  const missing = ["config.json", "model.safetensors", "tokenizer.json"].filter((f) => !out[f]);
  if (missing.length > 0) {
    const what = folder ? `the folder "${folder}"` : `the chosen files (${chosen.map((f) => f.name).join(", ")})`;
    throw new Error(
      `Model: ${what} lack${folder ? "s" : ""} ${missing.join(", ")} (a Hugging Face checkpoint holds them)`,
    );
  }
  return { files: out, name: folder };
}

function backendOf(name: string): StartMessage["backend"] {
  if (name === "auto" || name === "webgpu" || name === "wasm") return name;
  throw new Error(`Backend: expected auto, webgpu or wasm, got ${JSON.stringify(name)}`);
}

async function startMessage(query: URLSearchParams): Promise<StartMessage> {
  const value = (id: string, key: string) => query.get(key) ?? $(id).value;
  const choice = (name: string) => (document.querySelector(`input[name=${name}]:checked`) as HTMLInputElement).value;
  const modelKind = query.get("model") ?? choice("model");
  const endpoint = query.get("hubEndpoint") ?? undefined;
  const model: StartMessage["model"] = modelKind === "demo"
    ? { kind: "demo" }
    : modelKind === "hub"
    ? { kind: "hub", id: (query.get("hubId") ?? $("hub-id").value).trim(), endpoint }
    : { kind: "files", ...await filesOf($(modelKind === "folder" ? "model-folder" : "model-files")) };
  if (model.kind === "hub" && !model.id) throw new Error("Hub id: enter a model id such as distilbert-base-uncased");
  const file = choice("corpus") === "file" ? (droppedCorpus ?? $("corpus-file").files?.[0]) : undefined;
  if (choice("corpus") === "file" && !file) throw new Error("Corpus: choose or drop a .txt or .jsonl file");
  const corpus: StartMessage["corpus"] = file
    ? { kind: "file", name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }
    : { kind: "demo" };
  const maxSteps = value("max-steps", "maxSteps");
  return {
    type: "start",
    model,
    corpus,
    backend: backendOf(value("backend", "backend")),
    options: {
      chunkSize: Number(value("chunk-size", "chunkSize")),
      epochs: Number(value("epochs", "epochs")),
      maxSteps: maxSteps ? Number(maxSteps) : undefined,
      batchSize: Number(value("batch-size", "batchSize")),
      learningRate: Number(value("learning-rate", "learningRate")),
      masking: value("masking", "masking") === "whole-word" ? "whole-word" : "random-token",
      seed: Number(value("seed", "seed")),
      fp16: query.get("fp16") === "1" || $<HTMLInputElement>("fp16").checked,
      prompts: [trainPrompt],
    },
  };
}

function offerFiles(files: Record<string, Uint8Array>): void {
  for (const url of fileUrls.splice(0)) URL.revokeObjectURL(url);
  lastFiles = files;
  const links = Object.entries(files).map(([name, bytes]) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart]));
    a.download = name;
    a.textContent = `${name} (${bytes.length.toLocaleString("en-US")} bytes)`;
    a.dataset.file = name;
    fileUrls.push(a.href);
    return a;
  });
  $("downloads").replaceChildren(...links);
  $<HTMLButtonElement>("save-folder").disabled = !("showDirectoryPicker" in globalThis);
}

// fp16 is offered where the browser's WebGPU adapter has shader-f16
(navigator as unknown as { gpu?: GPU }).gpu?.requestAdapter().then((a) => {
  if (a?.features.has("shader-f16")) $("fp16-label").hidden = false;
}).catch(() => {});

worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const m = event.data;
  switch (m.type) {
    case "backend": {
      const note = $<HTMLParagraphElement>("backend-note");
      note.textContent = `Backend: ${m.backend}${m.adapter ? ` (adapter: ${m.adapter})` : ""}.` +
        (m.note ? ` ${m.note}.` : "");
      // A warning when training is not on a hardware GPU: on wasm, or on a fallback (software) WebGPU adapter.
      note.className = m.note && (m.backend === "wasm" || /fallback/.test(m.adapter ?? "")) ? "note warn" : "note";
      run.backend = m.backend;
      run.adapter = m.adapter;
      break;
    }
    case "log":
      console.log(m.line);
      break;
    case "loaded":
      run.source = m.source;
      run.maskToken = m.maskToken;
      // The prompt in the model's own mask token ("<mask>" for RoBERTa), shown where the user edits it.
      if (m.prompts[0] !== undefined && m.prompts[0] !== trainPrompt) {
        if ($("prompt").value === trainPrompt) $("prompt").value = m.prompts[0];
        trainPrompt = m.prompts[0];
      }
      modelLoaded = true;
      status(
        `${m.source || "the chosen files"}: ${m.parameters.toLocaleString("en-US")}-parameter ${m.modelType}; ` +
          "reading the corpus…",
      );
      break;
    case "data":
      status(`${m.texts} texts → ${m.chunks} chunks (${m.train} train, ${m.eval} eval); ${m.totalSteps} steps`);
      $<HTMLProgressElement>("progress").max = m.totalSteps;
      run.data = m;
      break;
    case "eval":
      $(`ppl-${m.phase}`).textContent = m.result.perplexity.toFixed(3);
      $(`loss-${m.phase}`).textContent = m.result.eval_loss.toFixed(4);
      run[m.phase] = m.result;
      break;
    case "fill":
      if (m.phase === "before") showFillPrompt(trainPrompt);
      showFill(`fill-${m.phase}`, m.predictions[0]);
      run[`fill_${m.phase}`] = m.predictions;
      break;
    case "step":
      steps.push(m.step);
      losses.push(m.loss);
      drawChart();
      $<HTMLProgressElement>("progress").value = m.step;
      run.step = m.step;
      $("tps").textContent = Math.round(m.tokensPerSecond).toLocaleString("en-US");
      status(`step ${m.step}/${m.totalSteps}: loss ${m.loss.toFixed(4)}, lr ${m.lr.toExponential(2)}`);
      break;
    case "filled":
      showFillPrompt(m.text);
      showFill("fill-before", m.before);
      showFill("fill-after", m.after);
      break;
    case "done":
      offerFiles(m.files);
      Object.assign(run, { losses: [...losses], steps: m.steps, tokensPerSecond: m.tokensPerSecond, probe: m.probe });
      run.files = m.files;
      status(`done: ${m.steps} steps, ${Math.round(m.tokensPerSecond)} tokens/s`);
      setState("done");
      break;
    case "error":
      status(m.message, true);
      run.error = m.message;
      setState("error");
      break;
  }
};

worker.onerror = (e: ErrorEvent) => {
  const message = `the worker failed: ${e.message} (${e.filename}:${e.lineno})`;
  console.error(message);
  status(message, true);
  run.error = message;
  setState("error");
};

async function train(query: URLSearchParams): Promise<void> {
  steps.length = 0;
  losses.length = 0;
  chart?.setData([steps, losses]);
  for (const id of ["ppl-before", "ppl-after", "loss-before", "loss-after", "tps"]) $(id).textContent = "–";
  // A new run record: nothing of an earlier run (its error, numbers, files) stays; the backend stays chosen.
  for (const key of Object.keys(run)) if (key !== "backend" && key !== "adapter") delete run[key];
  showFill("fill-before", []);
  showFill("fill-after", []);
  $<HTMLParagraphElement>("fill-prompt").textContent = "";
  trainPrompt = query.get("prompt") ?? $("prompt").value;
  modelLoaded = false;
  setState("running");
  status("loading the model…");
  try {
    const message = await startMessage(query);
    const transfer = message.corpus.kind === "file" ? [message.corpus.bytes.buffer as ArrayBuffer] : [];
    worker.postMessage(message, transfer);
  } catch (e) {
    status((e as Error).message, true);
    setState("error");
  }
}

$<HTMLFormElement>("setup").addEventListener("submit", (e) => {
  e.preventDefault();
  // The form's values, and from the page's address only the Hub mirror (`?hubEndpoint=URL`).
  const endpoint = query.get("hubEndpoint");
  train(new URLSearchParams(endpoint ? { hubEndpoint: endpoint } : {}));
});
$("stop").addEventListener("click", () => worker.postMessage({ type: "stop" }));
$("fill").addEventListener("click", () => {
  if (!modelLoaded) {
    status("Fill mask answers with a loaded model: press Train first (it loads the model, then adapts it).");
    return;
  }
  worker.postMessage({ type: "fill", text: $("prompt").value });
});
$("save-folder").addEventListener("click", async () => {
  const picker = globalThis as unknown as { showDirectoryPicker(o: unknown): Promise<FileSystemDirectoryHandle> };
  const dir = await picker.showDirectoryPicker({ mode: "readwrite" });
  for (const [name, bytes] of Object.entries(lastFiles)) {
    const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await writable.write(bytes as BlobPart);
    await writable.close();
  }
  status(`saved ${Object.keys(lastFiles).length} files into the folder "${dir.name}"`);
});
const drop = $<HTMLDivElement>("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  droppedCorpus = e.dataTransfer?.files[0];
  if (droppedCorpus) {
    drop.textContent = `corpus: ${droppedCorpus.name} (${droppedCorpus.size.toLocaleString("en-US")} bytes)`;
    (document.querySelector("input[name=corpus][value=file]") as HTMLInputElement).checked = true;
  }
});

if (query.get("autorun") === "1") train(query);
