/**
 * A fused AdamW update for tfjs-backend-webgpu: one WGSL shader that does, per element, exactly the f32 arithmetic of
 * `lib/train/adamw.ts`'s tf-op path, in the same order:
 *
 * ```
 * m' = m + (g - m)·(1 - β1)
 * v' = v·β2 + (g·g)·(1 - β2)
 * p' = p·(1 - lr·wd) - (m' / (sqrt(v') / sqrt(1 - β2^t) + eps))·(lr / (1 - β1^t))
 * ```
 *
 * The tf-op path runs ~14 element-wise kernels per parameter (one GPU dispatch each, with a temporary buffer each);
 * this one runs 3. A tfjs WebGPU program has exactly one writable output (`result`; inputs are bound read-only, and
 * one buffer cannot be bound both ways), so the shader is dispatched three times with a `mode` uniform choosing
 * which of `m'`, `v'`, `p'` it writes; every dispatch reads the old `p`, `g`, `m`, `v`, and all three share one
 * compiled pipeline. The outputs are fresh tensors that the caller assigns to its variables (no copy: a variable's
 * `assign` takes the tensor's buffer).
 *
 * The scalars ({@link AdamWScalars}) are computed by the caller in float64 and applied as f32 uniforms, as the
 * tf-op path applies them as f32 scalar tensors. f32 throughout; element counts divisible by 4 use `vec4<f32>`.
 * Results can differ from the tf-op path's in the last bit where the shader compiler contracts a multiply and an add
 * into one `fma` (WGSL permits it; separate dispatches cannot fuse).
 *
 * An `AdamW` built on webgpu updates every parameter at once from flat buffers (`webgpu_adamw_flat_state.ts` with
 * `webgpu_adamw_flat_kernel.ts`: the same per-element arithmetic, held bit for bit to this kernel by the tests); this
 * per-parameter kernel serves an `AdamW` built with `strategy: "per-parameter"` (state in per-parameter tensors) and
 * is that reference.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { WebGPUBackendLike } from "./webgpu_kernel.ts";

/** The kernel's name in tfjs's registry (webgpu backend only). */
const KERNEL_NAME = "MlmFusedAdamW";

/** Elements per workgroup along x. */
const WORKGROUP = 64;

/**
 * The per-step, per-group scalars of one AdamW update, in float64 (applied as f32). With `lr`, weight decay `wd`,
 * betas `β1`, `β2` and step `t` (torch's single-tensor AdamW): `decay = 1 - lr·wd`, `oneMinusBeta1 = 1 - β1`,
 * `beta2 = β2`, `oneMinusBeta2 = 1 - β2`, `bc2Sqrt = sqrt(1 - β2^t)`, `eps`, `stepSize = lr / (1 - β1^t)`.
 */
export interface AdamWScalars {
  /** `1 - lr·wd` (exactly 1 for the no-decay group). */
  decay: number;
  /** `1 - β1`. */
  oneMinusBeta1: number;
  /** `β2`. */
  beta2: number;
  /** `1 - β2`. */
  oneMinusBeta2: number;
  /** `sqrt(1 - β2^t)`. */
  bc2Sqrt: number;
  /** Added to the bias-corrected `sqrt(v)`. */
  eps: number;
  /** `lr / (1 - β1^t)`. */
  stepSize: number;
}

/** The tensors of one parameter's update: all float32 and of one shape. */
export interface FusedAdamWInputs {
  /** The parameter. */
  p: tf.Tensor;
  /** Its gradient. */
  g: tf.Tensor;
  /** First moment (`exp_avg`). */
  m: tf.Tensor;
  /** Second moment (`exp_avg_sq`). */
  v: tf.Tensor;
}

/** What {@link fusedAdamWUpdate} returns: new tensors of the parameter's shape. */
export interface FusedAdamWOutputs {
  /** Updated parameter. */
  p: tf.Tensor;
  /** Updated first moment. */
  m: tf.Tensor;
  /** Updated second moment. */
  v: tf.Tensor;
}

/** Which of the three results a dispatch writes (the `mode` uniform). */
const MODES = { m: 0, v: 1, p: 2 } as const;

/** Uniform declarations after tfjs's own (the order of the values passed per dispatch). */
const UNIFORMS =
  "decay : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, bc2Sqrt : f32, eps : f32, stepSize : f32, " +
  "mode : i32,";

/**
 * The WGSL body: tfjs supplies the bindings `Param`, `Grad`, `ExpAvg`, `ExpAvgSq` (read-only) and `result`, the
 * `uniforms` struct (with `size`, in `vec4`s when `component` is 4) and the entry point calling `main(index)`.
 *
 * @example
 * ```ts
 * import { fusedAdamWSource } from "./webgpu_adamw_per_param.ts";
 * const src = fusedAdamWSource(4);
 * if (!src.includes("sqrt(vNew) / uniforms.bc2Sqrt + uniforms.eps")) throw new Error("torch's denominator");
 * ```
 */
export function fusedAdamWSource(component: 1 | 4): string {
  if (component !== 1 && component !== 4) {
    throw new Error(`fusedAdamWSource: component must be 1 or 4, got ${component}`);
  }
  // Each line is one tf op of the tf-op path, in its order; the compiler may still contract a*b+c into fma.
  return `
fn main(index : i32) {
  if (index < uniforms.size) {
    let g = Grad[index];
    let m = ExpAvg[index];
    let mNew = m + (g - m) * uniforms.oneMinusBeta1;
    if (uniforms.mode == ${MODES.m}) {
      result[index] = mNew;
      return;
    }
    let vNew = ExpAvgSq[index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
    if (uniforms.mode == ${MODES.v}) {
      result[index] = vNew;
      return;
    }
    let denom = sqrt(vNew) / uniforms.bc2Sqrt + uniforms.eps;
    result[index] = Param[index] * uniforms.decay - (mNew / denom) * uniforms.stepSize;
  }
}`;
}

/** A tfjs WebGPU program over `n` elements (a fresh object per dispatch: tfjs writes into it). */
function program(n: number, component: 1 | 4): object {
  return {
    variableNames: ["Param", "Grad", "ExpAvg", "ExpAvgSq"],
    outputShape: [n],
    outputComponent: component,
    shaderKey: `mlmFusedAdamW_${component}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(n / component / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: UNIFORMS,
    getUserCode: () => fusedAdamWSource(component),
  };
}

function fusedAdamWKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const { p, g, m, v } = args.inputs as Record<"p" | "g" | "m" | "v", tf.TensorInfo>;
  const s = args.attrs as unknown as AdamWScalars;
  const n = p.shape.reduce((a, b) => a * b, 1);
  const component = n % 4 === 0 ? 4 : 1;
  // 1-D views of the same buffers (what the Reshape kernel returns, minus the reference count it adds)
  const flat = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, shape: [n], dtype: "float32" });
  const inputs = [p, g, m, v].map(flat);
  const scalars = [s.decay, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.bc2Sqrt, s.eps, s.stepSize];
  const uniforms = scalars.map((x) => ({ type: "float32", data: [x] }));
  const backend = args.backend as WebGPUBackendLike;
  return [MODES.p, MODES.m, MODES.v].map((mode) => {
    const out = backend.runWebGPUProgram(program(n, component), inputs, "float32", [
      ...uniforms,
      { type: "int32", data: [mode] },
    ]);
    return { dataId: out.dataId, shape: p.shape, dtype: "float32" } as tf.TensorInfo;
  });
}

function ensureRegistered(): void {
  if (tf.getKernel(KERNEL_NAME, "webgpu")) return;
  tf.registerKernel({ kernelName: KERNEL_NAME, backendName: "webgpu", kernelFunc: fusedAdamWKernel as tf.KernelFunc });
}

/**
 * One AdamW update of one parameter on the WebGPU backend (which must be active): new `p`, `m`, `v` from three
 * dispatches of the fused shader. The inputs are not disposed; the outputs are tracked like any op's (`tf.tidy`).
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { fusedAdamWUpdate } from "./webgpu_adamw_per_param.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const [p, g, m, v] = [tf.tensor([1, 2]), tf.tensor([1, -1]), tf.zeros([2]), tf.zeros([2])];
 *   const bc2Sqrt = Math.sqrt(1 - 0.999); // step 1, lr 0.1, no decay
 *   const s = { decay: 1, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2Sqrt, eps: 1e-8, stepSize: 0.1 / 0.1 };
 *   const out = fusedAdamWUpdate({ p, g, m, v }, s); // p ≈ [0.9, 2.1]: one Adam step moves by lr
 *   tf.dispose([p, g, m, v, out.p, out.m, out.v]);
 * }
 * ```
 */
export function fusedAdamWUpdate(inputs: FusedAdamWInputs, scalars: AdamWScalars): FusedAdamWOutputs {
  const backend = tf.getBackend();
  if (backend !== "webgpu") throw new Error(`fusedAdamWUpdate: needs the webgpu backend, the active one is ${backend}`);
  const { p, g, m, v } = inputs;
  for (const [name, t] of [["g", g], ["m", m], ["v", v]] as const) {
    if (t.shape.join() !== p.shape.join()) {
      throw new Error(`fusedAdamWUpdate: ${name} has shape [${t.shape}], expected the parameter's [${p.shape}]`);
    }
  }
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") throw new Error(`fusedAdamWUpdate: ${name} has dtype ${t.dtype}, expected float32`);
  }
  for (const [name, x] of Object.entries(scalars)) {
    if (!Number.isFinite(x)) throw new Error(`fusedAdamWUpdate: scalar ${name} is ${x}, expected a finite number`);
  }
  ensureRegistered();
  const attrs = { ...scalars } as unknown as tf.NamedAttrMap;
  const [pNew, mNew, vNew] = tf.engine().runKernel(KERNEL_NAME, { p, g, m, v }, attrs) as tf.Tensor[];
  return { p: pNew, m: mNew, v: vNew };
}
