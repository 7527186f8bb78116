/**
 * `adamw_update` over a flat chunk (`webgpu_flat_buffers.ts`): one dispatch updates every parameter, first and second
 * moment of the chunk in place. The chunk's state is one buffer `[P | M | V]` (three runs of `n` floats: tfjs binds a
 * program's one writable buffer as `result`), the gradients another (`Grad`, read-only), and `Scal` (from
 * `grad_norm_finalize`, `webgpu_grad_norm.ts`) gives the clip coefficient and the apply flag.
 *
 * Per element, the f32 arithmetic of the per-parameter kernel (`webgpu_adamw_per_param.ts`) and of the tf-op path, in the same
 * order, after clipping the gradient (`gated`: `g·Scal[1]`, and nothing written unless `Scal[2]` is 1; ungated — an
 * unclipped `AdamW.step` — neither):
 *
 * ```
 * m' = m + (g - m)·(1 - β1)
 * v' = v·β2 + (g·g)·(1 - β2)
 * p' = p·decay - (m' / (sqrt(v') / sqrt(1 - β2^t) + eps))·(lr / (1 - β1^t))
 * ```
 *
 * with `decay = 1 - lr·wd` below the chunk's `decayEnd` and 1 from there on (the no-decay group is laid out last).
 * With a coefficient of 1 the values are bit for bit the per-parameter kernel's (`g·1 = g`, also inside an `fma`).
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import type { AdamWScalars } from "./webgpu_adamw_per_param.ts";
import type { WebGPUBackendInternals } from "./webgpu_flat_buffers.ts";
import { SCAL } from "./webgpu_grad_norm.ts";

/** Elements per workgroup along x (in `vec4`s). */
const WORKGROUP = 64;

/** Uniform declarations after tfjs's own (the order of the values passed per dispatch). */
const UNIFORMS = "n4 : i32, decayEnd4 : i32, decay : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, " +
  "bc2Sqrt : f32, eps : f32, stepSize : f32, gated : i32,";

/**
 * WGSL of `adamw_update` over `vec4`s (tfjs supplies `result` = the chunk's `[P | M | V]`, `Grad`, `Scal`,
 * `uniforms`, and calls `main(index)`).
 *
 * @example
 * ```ts
 * import { adamwFlatSource } from "./webgpu_adamw_flat_kernel.ts";
 * if (!adamwFlatSource().includes("sqrt(vNew) / uniforms.bc2Sqrt + uniforms.eps")) throw new Error("torch's denominator");
 * ```
 */
export function adamwFlatSource(): string {
  return `
fn main(index : i32) {
  if (index < uniforms.n4) {
    var g = Grad[index];
    if (uniforms.gated == 1) {
      if (Scal[${SCAL.apply}] != 1.0) {
        return;
      }
      g = g * Scal[${SCAL.coef}];
    }
    let n4 = uniforms.n4;
    let m = result[n4 + index];
    let mNew = m + (g - m) * uniforms.oneMinusBeta1;
    let vNew = result[2 * n4 + index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
    let denom = sqrt(vNew) / uniforms.bc2Sqrt + uniforms.eps;
    var decay = 1.0;
    if (index < uniforms.decayEnd4) {
      decay = uniforms.decay;
    }
    result[index] = result[index] * decay - (mNew / denom) * uniforms.stepSize;
    result[n4 + index] = mNew;
    result[2 * n4 + index] = vNew;
  }
}`;
}

/** One chunk's update: its state, gradients, where its decay group ends and the step's scalars. */
export interface AdamWFlatChunk {
  /** `[P | M | V]`: 3·n floats, updated in place. */
  state: tf.TensorInfo;
  /** n gradient values. */
  grad: tf.TensorInfo;
  /** Elements of the chunk (from its start) that get weight decay; the rest get none. */
  decayEnd: number;
}

/**
 * Encode `adamw_update` over one chunk. `scalars.decay` is the decayed group's (`1 - lr·wd`); `scal` is read when
 * `gated` (clip coefficient, apply flag).
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { webgpuInternals } from "./webgpu_flat_buffers.ts";
 * import { encodeAdamWFlat } from "./webgpu_adamw_flat_kernel.ts";
 * if (tf.getBackend() === "webgpu") {
 *   // p = [1, 2, 0, 0], m = v = 0; step 1, lr 0.1, no decay: Adam's first step moves each element by lr
 *   const state = tf.tensor([1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), grad = tf.tensor([1, -1, 0, 0]);
 *   const s = { decay: 1, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2Sqrt: Math.sqrt(0.001), eps: 1e-8, stepSize: 1 };
 *   encodeAdamWFlat(webgpuInternals("example"), { state, grad, decayEnd: 0 }, s, undefined);
 *   const [p0, p1] = state.dataSync();
 *   if (Math.abs(p0 - 0.9) > 1e-6 || Math.abs(p1 - 2.1) > 1e-6) throw new Error("moved by lr");
 *   tf.dispose([state, grad]);
 * }
 * ```
 */
export function encodeAdamWFlat(
  backend: WebGPUBackendInternals,
  chunk: AdamWFlatChunk,
  scalars: AdamWScalars,
  scal: tf.TensorInfo | undefined,
): void {
  const n = chunk.grad.shape[0];
  if (n % 4 !== 0 || chunk.state.shape[0] !== 3 * n) {
    throw new Error(`encodeAdamWFlat: state has shape [${chunk.state.shape}], expected [${3 * n}] (n a multiple of 4)`);
  }
  const gated = scal !== undefined;
  const program = {
    variableNames: ["Grad", "Scal"],
    outputShape: [n],
    outputComponent: 4,
    variableComponents: [4, 1],
    shaderKey: "mlmAdamWFlat",
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(n / 4 / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: UNIFORMS,
    getUserCode: adamwFlatSource,
  };
  const s = scalars;
  const f32 = [s.decay, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.bc2Sqrt, s.eps, s.stepSize];
  // ungated: Grad stands in for Scal (never read); a binding needs a buffer
  backend.runWebGPUProgram(program, [chunk.grad, scal ?? chunk.grad], "float32", [
    { type: "int32", data: [n / 4] },
    { type: "int32", data: [Math.max(0, Math.min(n, chunk.decayEnd)) / 4] },
    ...f32.map((x) => ({ type: "float32", data: [x] })),
    { type: "int32", data: [gated ? 1 : 0] },
  ], chunk.state);
}
