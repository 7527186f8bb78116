/**
 * Backend selection (`webgpu`, `wasm`, `cpu`, `auto`) and the kernels tfjs 4.22 lacks or runs badly: a fast
 * `UnsortedSegmentSum` (the embedding gradient) on cpu and wasm, a deterministic one (fixed summation order, no float
 * atomics) on WebGPU, matmuls without tfjs's split-K (float-atomic) program, the register-tiled matmul by default
 * (`matmul: "tfjs"` keeps tfjs's) and uploads through `queue.writeBuffer` on WebGPU, and transpose-then-multiply for
 * wasm matmuls.
 * The wasm and WebGPU backend modules are imported only when chosen, so importing this project leaves tfjs's default
 * (`cpu`) in place.
 *
 * @module
 */
import { importTfWasm, importTfWebgpu, tf } from "../deps.ts";
import { registerSegmentSum } from "./kernels/segment_sum.ts";
import { registerWasmMatMul } from "./kernels/wasm_matmul.ts";
import { installWriteBufferUpload } from "./kernels/webgpu_upload.ts";
import { registerWebgpuSegmentSum } from "./kernels/webgpu_segment_sum.ts";
import { registerMatMulWithoutAtomics } from "./kernels/webgpu_matmul_no_atomics.ts";
import { registerTiledMatMul, unregisterTiledMatMul } from "./kernels/webgpu_matmul.ts";
import { quietVulkanDeviceSelect } from "./webgpu_env.ts";
import { useF16WebgpuDevice } from "./kernels/webgpu_f16.ts";
import { setAttentionHalf } from "./kernels/webgpu_attention_matmul.ts";
import { setHalfActivations } from "./custom_grad.ts";

/** A backend name, or `auto`: a real (non-fallback) WebGPU adapter if there is one, else wasm. */
export type BackendName = "webgpu" | "wasm" | "cpu" | "auto";

/** The backends {@link selectBackend} accepts. */
export const BACKEND_NAMES: readonly BackendName[] = ["auto", "webgpu", "wasm", "cpu"];

/**
 * The WebGPU matmul: `tiled` (this project's register-tiled kernel, `kernels/webgpu_matmul.ts`, for every product it
 * handles), `tfjs` (tfjs's own), or `auto`: tiled on a real (non-fallback) adapter; on a fallback (software) adapter
 * tiled for products at least {@link FALLBACK_TILED_MIN_EDGE} rows and columns wide and tfjs's for narrower ones.
 */
export type MatMulName = "auto" | "tiled" | "tfjs";

/** The matmul names {@link selectBackend} accepts (the tasks' `--matmul` flag). */
export const MATMUL_NAMES: readonly MatMulName[] = ["auto", "tiled", "tfjs"];

/**
 * On a fallback adapter, `auto` sends products with fewer rows or columns than this to tfjs's kernels (a 128×128 tile
 * mostly empty costs more there than it saves). Measured on Mesa llvmpipe (2 busy cores), forward + backward, medians
 * of 3 interleaved runs — distilbert-base at batch 2 × 16: tfjs 26.2 s, tiled 30.8 s, tiled from 128 up 21.6 s; the
 * `small` shape at 4 × 128: tfjs 35.1 s, tiled 16.5 s, tiled from 128 up 20.7 s.
 */
export const FALLBACK_TILED_MIN_EDGE = 128;
/** What {@link selectBackend} chose. */
export interface BackendChoice {
  /** tfjs backend name now active. */
  backend: string;
  /** The WebGPU adapter's description, when WebGPU was chosen. */
  adapter?: string;
  /** The matmul kernel, when WebGPU was chosen. */
  matmul?: "tiled" | "tfjs";
  /** With `matmul` tiled: products narrower than this (rows or columns) still take tfjs's kernel. */
  matmulMinEdge?: number;
  /** With `auto` or `webgpu`: why this backend ({@link chooseWebgpuOrWasm}'s reason). */
  reason?: string;
  /** With `fp16`: the device has `shader-f16` and the matmul takes half-precision operands. */
  fp16?: boolean;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Where the one line naming the choice goes (default: stderr). */
  log?: (line: string) => void;
  /** The WebGPU matmul (default `auto`); ignored on cpu and wasm. */
  matmul?: MatMulName;
  /**
   * Mixed precision (`--fp16`): a WebGPU device with `shader-f16` and the tiled matmul's half-precision operands.
   * Refused ({@link fp16Refusal}) on cpu and wasm, with `auto` choosing wasm, and on an adapter without `shader-f16`.
   */
  fp16?: boolean;
}

/**
 * Why `--fp16` cannot run on `backend` (with the adapter's description and whether it has `shader-f16`), naming the
 * fix, or `undefined` when it can: half precision needs WebGPU's `shader-f16` feature, as transformers' `fp16`
 * needs a GPU.
 *
 * @example
 * ```ts
 * import { fp16Refusal } from "./backend.ts";
 * if (!fp16Refusal({ backend: "wasm" })?.includes("shader-f16")) throw new Error("wasm is refused");
 * if (fp16Refusal({ backend: "webgpu", adapter: "NVIDIA H100", shaderF16: true }) !== undefined) throw new Error();
 * ```
 */
export function fp16Refusal(choice: { backend: string; adapter?: string; shaderF16?: boolean }): string | undefined {
  if (choice.backend !== "webgpu") {
    return `--fp16 needs the webgpu backend with WebGPU's shader-f16 feature; backend ${choice.backend} trains in ` +
      "float32 only. Use --backend webgpu on an adapter with shader-f16 (Chrome 120+ on most GPUs, Deno on Vulkan or " +
      "Metal), or train without --fp16";
  }
  if (!choice.shaderF16) {
    return `--fp16 needs WebGPU's shader-f16 feature, which the adapter "${choice.adapter ?? "unnamed"}" lacks. ` +
      "Train without --fp16 (float32), or on an adapter with shader-f16 (Chrome 120+ on most GPUs, Deno on Vulkan " +
      "or Metal)";
  }
  return undefined;
}

let prodMode = false;

/**
 * Put tfjs in production mode and register this project's kernels for every backend module loaded so far.
 * Idempotent; the model constructors call it.
 *
 * @example
 * ```ts
 * import { prepareTf } from "./backend.ts";
 * prepareTf();
 * ```
 */
export function prepareTf(): void {
  if (!prodMode) {
    tf.enableProdMode();
    prodMode = true;
  }
  registerSegmentSum("cpu");
  if (tf.getKernel("BatchMatMul", "wasm")) {
    registerSegmentSum("wasm");
    registerWasmMatMul();
  }
}

/**
 * The first WebGPU adapter and whether it is a software fallback (Mesa llvmpipe here), or `undefined` when there is
 * none.
 *
 * @example
 * ```ts
 * import { webgpuAdapter } from "./backend.ts";
 * const a = await webgpuAdapter();
 * console.log(a ? a.description : "no WebGPU adapter");
 * ```
 */
export async function webgpuAdapter(): Promise<
  { description: string; isFallback: boolean; shaderF16?: boolean } | undefined
> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GPU } | undefined)?.gpu; // Navigator or WorkerNavigator
  if (!gpu) return undefined;
  quietVulkanDeviceSelect(); // no "XDG_RUNTIME_DIR is invalid" lines from Mesa's Vulkan layer on headless Linux
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return undefined;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const isFallback = Boolean(info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  // Deno's wgpu fills `description`; Chromium leaves it empty and names vendor and architecture ("google", "swiftshader").
  const description = info.description
    ? [info.description, info.vendor && `vendor ${info.vendor}`].filter(Boolean).join(", ")
    : [info.vendor, info.architecture].filter(Boolean).join(" ");
  return { description: description || "unnamed adapter", isFallback, shaderF16: adapter.features.has("shader-f16") };
}

/** What {@link chooseWebgpuOrWasm} decided, and why, in words a user reads. */
export interface AdapterDecision {
  /** The backend to activate. */
  backend: "webgpu" | "wasm";
  /** Why, naming the adapter (`no WebGPU adapter`, `WebGPU adapter "…" is a fallback (software) adapter…`). */
  reason: string;
}

/**
 * The rule `auto` follows, one place for the CLI and the page: a hardware WebGPU adapter is taken; a fallback
 * (software) adapter (`isFallbackAdapter`: Mesa llvmpipe, Chromium's SwiftShader) is not, because training on it is
 * many times slower than on wasm; without an adapter, wasm. `webgpu` takes any adapter, a fallback one too, and
 * falls back to wasm only when there is none. Pure: {@link webgpuAdapter} gives `adapter`.
 *
 * @example
 * ```ts
 * import { chooseWebgpuOrWasm } from "./backend.ts";
 * const soft = { description: "SwiftShader Device (Subzero)", isFallback: true };
 * if (chooseWebgpuOrWasm("auto", soft).backend !== "wasm") throw new Error("auto skips a fallback adapter");
 * if (chooseWebgpuOrWasm("webgpu", soft).backend !== "webgpu") throw new Error("webgpu takes it");
 * if (chooseWebgpuOrWasm("auto", { description: "NVIDIA H100", isFallback: false }).backend !== "webgpu") throw new Error();
 * if (chooseWebgpuOrWasm("auto", undefined).reason !== "no WebGPU adapter") throw new Error();
 * ```
 */
export function chooseWebgpuOrWasm(
  name: "auto" | "webgpu",
  adapter: { description: string; isFallback: boolean } | undefined,
): AdapterDecision {
  if (!adapter) return { backend: "wasm", reason: "no WebGPU adapter" };
  const named = `WebGPU adapter "${adapter.description}"`;
  if (!adapter.isFallback) return { backend: "webgpu", reason: `${named} is a hardware adapter` };
  if (name === "webgpu") {
    return {
      backend: "webgpu",
      reason: `${named} is a fallback (software) adapter, taken because webgpu was asked for`,
    };
  }
  return {
    backend: "wasm",
    reason: `${named} is a fallback (software) adapter, much slower than wasm for training`,
  };
}

/**
 * Make `name` the active tfjs backend and print the choice. `auto` takes WebGPU only on a non-fallback adapter,
 * else wasm; `webgpu` takes any adapter (a software one too) and fails when there is none.
 *
 * @example
 * ```ts
 * import { selectBackend } from "./backend.ts";
 * const { backend } = await selectBackend("cpu", { log: () => {} });
 * if (backend !== "cpu") throw new Error("cpu");
 * ```
 */
export async function selectBackend(name: BackendName, options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (!BACKEND_NAMES.includes(name)) {
    throw new Error(`backend: unknown ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  const matmulName = options.matmul ?? "auto";
  if (!MATMUL_NAMES.includes(matmulName)) {
    throw new Error(`matmul: unknown ${JSON.stringify(matmulName)}; expected one of ${MATMUL_NAMES.join(", ")}`);
  }
  let choice: BackendChoice;
  if (name === "auto" || name === "webgpu") {
    const adapter = await webgpuAdapter();
    const decision = chooseWebgpuOrWasm(name, adapter);
    if (options.fp16 && (adapter || name === "auto")) {
      const refusal = fp16Refusal({ ...decision, adapter: adapter?.description, shaderF16: adapter?.shaderF16 });
      if (refusal) throw new Error(refusal);
    }
    if (adapter && decision.backend === "webgpu") {
      const tfWebgpu = await importTfWebgpu();
      if (options.fp16) {
        const gpuAdapter = await (globalThis.navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
        await useF16WebgpuDevice(gpuAdapter!, tfWebgpu as unknown as Parameters<typeof useF16WebgpuDevice>[1]);
      }
      installWriteBufferUpload(tfWebgpu); // CPU-held tensors upload via queue.writeBuffer
      registerWebgpuSegmentSum(); // embedding gradients summed in a fixed order, without float atomics
      registerMatMulWithoutAtomics(); // no split-K (atomic) matmuls: small models' weight gradients repeat too
      const matmul = matmulName === "auto" ? "tiled" : matmulName;
      // --fp16: every product in half precision, the narrow ones too
      const minEdge = matmulName === "auto" && adapter.isFallback && !options.fp16 ? FALLBACK_TILED_MIN_EDGE : 0;
      unregisterTiledMatMul();
      // after the no-atomics override: its fallback uses it; --fp16: half-precision operands
      if (matmul === "tiled") registerTiledMatMul({ minEdge, half: Boolean(options.fp16) });
      setAttentionHalf(Boolean(options.fp16)); // attention's q·kᵀ and p·v too
      setHalfActivations(Boolean(options.fp16)); // what the forward keeps for the backward, in binary16
      await activate("webgpu");
      const description = adapter.description + (adapter.isFallback ? " (fallback adapter)" : "");
      choice = {
        backend: "webgpu",
        adapter: description,
        matmul,
        ...(minEdge ? { matmulMinEdge: minEdge } : {}),
        reason: decision.reason,
        ...(options.fp16 ? { fp16: true } : {}),
      };
    } else if (name === "webgpu") {
      throw new Error("backend webgpu: no WebGPU adapter (navigator.gpu.requestAdapter() returned none)");
    } else {
      log(`backend auto: ${decision.reason}${adapter ? " (--backend webgpu takes it anyway)" : ""}`);
      choice = { ...await useWasm(), reason: decision.reason };
    }
  } else if (options.fp16) {
    throw new Error(fp16Refusal({ backend: name })!);
  } else if (name === "wasm") {
    choice = await useWasm();
  } else {
    await activate("cpu");
    choice = { backend: "cpu" };
  }
  const edge = choice.matmulMinEdge ? ` from ${choice.matmulMinEdge} wide, else tfjs` : "";
  const matmulNote = choice.matmul ? `, matmul ${choice.matmul}${edge}` : "";
  const f16Note = choice.fp16 ? ", fp16: shader-f16 device, half-precision matmul operands" : "";
  log(`backend: ${choice.backend}${choice.adapter ? ` (adapter: ${choice.adapter}${matmulNote}${f16Note})` : ""}`);
  return choice;
}

async function useWasm(): Promise<BackendChoice> {
  await importTfWasm();
  await activate("wasm");
  return { backend: "wasm" };
}

async function activate(name: string): Promise<void> {
  prepareTf();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name}: tfjs could not initialise it`);
  await tf.ready();
  prepareTf();
}
