/**
 * What this project's tfjs-backend-webgpu kernels share: the slice of the backend they call, and swapping one of
 * tfjs's kernels for ours and back ({@link KernelOverride}).
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** The parts of tfjs-backend-webgpu's backend the project's kernels call. */
export interface WebGPUBackendLike {
  /** Compile (cached by `shaderKey`) and dispatch a program; returns its output. */
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: string,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  /** Release a kernel-internal tensor's buffer. */
  disposeData(dataId: object): void;
}

/** A kernel function as tfjs calls it. */
export type KernelFn = (
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
) => tf.TensorInfo | tf.TensorInfo[];

/**
 * One of tfjs's WebGPU kernels replaced by ours: {@link KernelOverride.register} swaps it in (idempotent, keeping
 * tfjs's as {@link KernelOverride.original} for the cases ours hands back), {@link KernelOverride.unregister} puts
 * tfjs's back.
 *
 * @example
 * ```ts
 * import { KernelOverride } from "./webgpu_kernel.ts";
 * // a pass-through: hands every call back to tfjs's own kernel
 * const square: KernelOverride = new KernelOverride("Square", (args) => square.original!.kernelFunc(args as never) as never);
 * if (square.registered()) throw new Error("not registered until register() runs");
 * ```
 */
export class KernelOverride {
  /** The kernel ours replaced (tfjs's, or another override), once {@link KernelOverride.register} has run. */
  original: tf.KernelConfig | undefined;
  private active = false;

  /** Override `kernelName` on `webgpu` with `kernelFunc`. */
  constructor(readonly kernelName: string, readonly kernelFunc: KernelFn) {}

  /** Swap ours in; `caller` names the function in the error when the WebGPU backend is not loaded. */
  register(caller: string): void {
    const current = tf.getKernel(this.kernelName, "webgpu");
    if (!current) throw new Error(`${caller}: the WebGPU backend is not loaded (no ${this.kernelName} kernel)`);
    // Registered, or under another override that hands calls down to ours: taking tfjs's place again would loop.
    if (this.active || current.kernelFunc === (this.kernelFunc as unknown as tf.KernelFunc)) return;
    this.active = true;
    this.original = current;
    tf.unregisterKernel(this.kernelName, "webgpu");
    tf.registerKernel({
      kernelName: this.kernelName,
      backendName: "webgpu",
      kernelFunc: this.kernelFunc as unknown as tf.KernelFunc,
    });
  }

  /** Put tfjs's kernel back; a no-op when ours is not registered. */
  unregister(): void {
    if (!this.original || !this.registered()) return;
    tf.unregisterKernel(this.kernelName, "webgpu");
    tf.registerKernel(this.original);
    this.active = false;
  }

  /** Whether ours is the registered kernel. */
  registered(): boolean {
    return tf.getKernel(this.kernelName, "webgpu")?.kernelFunc === (this.kernelFunc as unknown as tf.KernelFunc);
  }
}

/** One of this project's WGSL programs, as {@link runProgram} dispatches it. */
export interface ProgramSpec {
  /** The kernel's name (what it computes, e.g. `layernorm_forward`): tfjs caches the compiled shader under it. */
  name: string;
  /** Binding names of the inputs, in the order of the tensors passed to {@link runProgram}. */
  inputs: string[];
  /** Shape of the one output (`result`). */
  outputShape: number[];
  /** Threads per workgroup along x (y and z are 1). */
  workgroupSize: number;
  /** Workgroups to dispatch (see {@link flatDispatch}, {@link rowDispatch}). */
  dispatch: [number, number, number];
  /** Uniform declarations after tfjs's own, e.g. `"rows : i32, cols : i32,"`. */
  uniforms: string;
  /** WGSL with `fn main(index : i32)`; tfjs adds the bindings, `uniforms`, `localId`, `workgroupId`, `numWorkgroups`. */
  source: string;
  /** The output's dtype, `result`'s element type `f32` or `i32` (default `float32`). */
  dtype?: "float32" | "int32";
}

/** A uniform value as tfjs-backend-webgpu takes it. */
export interface ProgramUniform {
  /** `int32` or `float32`. */
  type: "int32" | "float32";
  /** One value. */
  data: number[];
}

/** Workgroups along x before a dispatch spills into y (WebGPU's default per-dimension limit is 65535). */
const MAX_DISPATCH_X = 32768;

/**
 * Workgroups for one workgroup per row: `[x, y, 1]` with `x·y ≥ rows`; a program finds its row as
 * `workgroupId.y · numWorkgroups.x + workgroupId.x` and skips rows past the end.
 *
 * @example
 * ```ts
 * import { rowDispatch } from "./webgpu_kernel.ts";
 * const [x, y] = rowDispatch(100_000);
 * if (x * y < 100_000 || x > 65535) throw new Error("fits the per-dimension limit");
 * ```
 */
export function rowDispatch(rows: number): [number, number, number] {
  const x = Math.max(1, Math.min(rows, MAX_DISPATCH_X));
  return [x, Math.ceil(rows / x), 1];
}

/**
 * Workgroups for one thread per element of `n` with `workgroupSize` threads each (tfjs's `getGlobalIndex()` numbers
 * the threads across x and y).
 *
 * @example
 * ```ts
 * import { flatDispatch } from "./webgpu_kernel.ts";
 * if (flatDispatch(1000, 64)[0] !== 16) throw new Error("16 workgroups of 64");
 * ```
 */
export function flatDispatch(n: number, workgroupSize: number): [number, number, number] {
  return rowDispatch(Math.ceil(n / workgroupSize));
}

/** The generic kernel every {@link ProgramSpec} runs through (webgpu only). */
const PROGRAM_KERNEL = "MlmWebGPUProgram";

function programKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const { spec, uniforms } = args.attrs as unknown as { spec: ProgramSpec; uniforms: ProgramUniform[] };
  const inputs = spec.inputs.map((_, i) => args.inputs[i] as tf.TensorInfo);
  const program = {
    variableNames: spec.inputs,
    outputShape: spec.outputShape,
    shaderKey: spec.name,
    dispatchLayout: { x: spec.outputShape.map((_, i) => i) },
    dispatch: spec.dispatch,
    workgroupSize: [spec.workgroupSize, 1, 1],
    uniforms: spec.uniforms,
    getUserCode: () => spec.source,
  };
  return (args.backend as WebGPUBackendLike).runWebGPUProgram(program, inputs, spec.dtype ?? "float32", uniforms);
}

/**
 * Dispatch one {@link ProgramSpec} on the WebGPU backend (which must be active) over `inputs`; the output (float32
 * unless the spec says int32) is tracked like any op's (`tf.tidy`). The program runs once: one GPU dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { flatDispatch, runProgram } from "./webgpu_kernel.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const x = tf.tensor1d([1, 2, 3]);
 *   const spec = {
 *     name: "double", inputs: ["X"], outputShape: [3], workgroupSize: 64, dispatch: flatDispatch(3, 64),
 *     uniforms: "n : i32,", source: "fn main(index : i32) { if (index < uniforms.n) { result[index] = 2.0 * X[index]; } }",
 *   };
 *   const y = runProgram(spec, [x], [{ type: "int32", data: [3] }]);
 *   tf.dispose([x, y]);
 * }
 * ```
 */
export function runProgram(spec: ProgramSpec, inputs: tf.Tensor[], uniforms: ProgramUniform[]): tf.Tensor {
  const backend = tf.getBackend();
  if (backend !== "webgpu") throw new Error(`${spec.name}: needs the webgpu backend, the active one is ${backend}`);
  if (inputs.length !== spec.inputs.length) {
    throw new Error(`${spec.name}: expected ${spec.inputs.length} inputs (${spec.inputs}), got ${inputs.length}`);
  }
  if (!tf.getKernel(PROGRAM_KERNEL, "webgpu")) {
    tf.registerKernel({
      kernelName: PROGRAM_KERNEL,
      backendName: "webgpu",
      kernelFunc: programKernel as tf.KernelFunc,
    });
  }
  const named: tf.NamedTensorMap = {};
  inputs.forEach((t, i) => named[i] = t);
  const attrs = { spec, uniforms } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(PROGRAM_KERNEL, named, attrs) as tf.Tensor;
}

/**
 * WGSL helpers for programs that run a workgroup of `threads` per row: `rowIndex()` and `rowSum(v)` / `rowMax(v)`,
 * tree reductions over the workgroup in a fixed order (deterministic; every thread must call them).
 *
 * @example
 * ```ts
 * import { rowReductionSource } from "./webgpu_kernel.ts";
 * if (!rowReductionSource(64).includes("fn rowSum")) throw new Error("rowSum");
 * ```
 */
export function rowReductionSource(threads: number): string {
  if (threads & (threads - 1)) throw new Error(`rowReductionSource: threads must be a power of two, got ${threads}`);
  return `
var<workgroup> rowScratch : array<f32, ${threads}>;

fn rowIndex() -> i32 {
  return i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
}

fn rowSum(v : f32) -> f32 {
  let t = localId.x;
  rowScratch[t] = v;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { rowScratch[t] = rowScratch[t] + rowScratch[t + s]; }
    workgroupBarrier();
  }
  let r = rowScratch[0];
  workgroupBarrier();
  return r;
}

fn rowMax(v : f32) -> f32 {
  let t = localId.x;
  rowScratch[t] = v;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { rowScratch[t] = max(rowScratch[t], rowScratch[t + s]); }
    workgroupBarrier();
  }
  let r = rowScratch[0];
  workgroupBarrier();
  return r;
}
`;
}
