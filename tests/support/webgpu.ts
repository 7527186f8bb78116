/**
 * WebGPU tests in one way: run on any adapter (Mesa llvmpipe on the CPU machines), skip with a printed reason where
 * there is none, and leave tfjs's long-lived GPU resources alone (the sanitizers would count them).
 *
 * @module
 */
import { selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";

/** `Deno.test` options of a WebGPU test. */
export interface WebgpuTestOptions {
  /** True where there is no WebGPU adapter. */
  ignore: boolean;
  /** tfjs keeps GPU work and buffers alive across tests. */
  sanitizeOps: false;
  /** As `sanitizeOps`. */
  sanitizeResources: false;
}

const adapter = await webgpuAdapter();

/** Options for WebGPU tests; prints `SKIP <what>: …` once when there is no adapter. */
export function webgpuTestOptions(what: string): WebgpuTestOptions {
  if (!adapter) console.log(`SKIP ${what}: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)`);
  return { ignore: !adapter, sanitizeOps: false, sanitizeResources: false };
}

/** Make WebGPU the active tfjs backend, quietly. */
export async function useWebgpu(): Promise<void> {
  await selectBackend("webgpu", { log: () => {} });
}

/** Run `fn` on the WebGPU backend, then make `after` (default `cpu`) the backend again. */
export async function onWebgpu<T>(fn: () => Promise<T>, after: "cpu" | "wasm" = "cpu"): Promise<T> {
  await useWebgpu();
  try {
    return await fn();
  } finally {
    await selectBackend(after, { log: () => {} });
  }
}
