/**
 * One typed wrapper over `tf.customGrad`, the pattern every fused layer and hand-written gradient uses: a forward
 * that may save tensors for the backward, and a backward that returns one gradient per input.
 *
 * Under half-precision activations ({@link setHalfActivations}, on with `--fp16`), what a forward saves for the
 * backward is stored as binary16 (`kernels/webgpu_half.ts`), half the bytes, and widened back to float32 when the
 * backward reads it: the forward computes in float32 as before, the backward sees its inputs rounded to f16 (as
 * PyTorch's autocast keeps f16 activations). Weights (variables) and tensors saved as `"exact"` stay as they are;
 * dropout draws saved as `{ keep }` become their 0/1 keep mask, which every dropout kernel reads in their place.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { halfKeepMask, halfPack, halfUnpack } from "./kernels/webgpu_half.ts";

/**
 * How {@link customOp}'s `save` keeps one tensor: `"exact"` as it is, `"half"` (default) packed in binary16 under
 * half-precision activations, `{ keep }` (dropout draws `u` with keep probability `keep`) as the mask
 * `floor(u + keep)` in halves.
 */
export type SaveKind = "exact" | "half" | { keep: number };

/** {@link customOp}'s `save`: keep `tensors` (inputs or not) for the backward, each as `kinds[i]` says. */
export type SaveFn = (tensors: tf.Tensor[], kinds?: readonly SaveKind[]) => void;

/** What a {@link customOp} forward returns: the value and the backward of `dy` and the saved tensors. */
export interface CustomOpResult {
  /** The op's output. */
  value: tf.Tensor;
  /**
   * One gradient per input (a single tensor for a one-input op), from the output's gradient and the `save`d tensors
   * (float32, in the order saved). Runs in a `tf.tidy`: what it makes and does not return is freed at once.
   */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

let halfActivations = false;

/**
 * Store what {@link customOp} forwards save in binary16 (`on`), or in float32 (default). Only on the webgpu backend
 * and while gradients are recorded; `selectBackend` turns it on with `fp16`.
 *
 * @example
 * ```ts
 * import { halfActivationsOn, setHalfActivations } from "./custom_grad.ts";
 * setHalfActivations(false);
 * if (halfActivationsOn()) throw new Error("off");
 * ```
 */
export function setHalfActivations(on: boolean): void {
  halfActivations = on;
}

/**
 * Whether {@link setHalfActivations} is on.
 *
 * @example
 * ```ts
 * import { halfActivationsOn } from "./custom_grad.ts";
 * console.log(halfActivationsOn());
 * ```
 */
export function halfActivationsOn(): boolean {
  return halfActivations;
}

/** Whether a save right now should pack: the switch, the webgpu backend, and a gradient being recorded. */
function packing(): boolean {
  if (!halfActivations || tf.getBackend() !== "webgpu") return false;
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  return state.gradientDepth > 0;
}

/** How one saved tensor comes back: as saved, or widened from halves to `shape`. */
type Restore = { shape: number[] } | undefined;

/**
 * `forward(inputs, save)` as one op with the gradient it defines (`tf.customGrad`): `inputs` are the tensors that
 * get gradients; `save(tensors, kinds)` keeps tensors (inputs or not) alive until the backward pass reads them (in
 * binary16 under half-precision activations, see the module doc).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { customOp } from "./custom_grad.ts";
 * // y = 2x with a gradient of 3 per unit (a made-up one, to see it used)
 * const f = (x: tf.Tensor) => customOp([x], ([x]) => ({ value: tf.mul(x, 2), gradFunc: (dy) => tf.mul(dy, 3) }));
 * const g = tf.grad(f)(tf.scalar(1)).dataSync()[0];
 * if (g !== 3) throw new Error(`custom gradient ${g}`);
 * ```
 */
export function customOp<T extends tf.Tensor[]>(
  inputs: [...T],
  forward: (inputs: T, save: SaveFn) => CustomOpResult,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tfSave = args[args.length - 1] as tf.GradSaveFunc;
    let restores: Restore[] = [];
    const save: SaveFn = (tensors, kinds = []) => {
      if (!packing()) return tfSave(tensors);
      const stored = tensors.map((t, i) => {
        const kind = kinds[i] ?? "half";
        if (kind === "exact" || t instanceof tf.Variable || t.dtype !== "float32") return { t, restore: undefined };
        return { t: typeof kind === "object" ? halfKeepMask(t, kind.keep) : halfPack(t), restore: { shape: t.shape } };
      });
      restores = stored.map((s) => s.restore);
      tfSave(stored.map((s) => s.t));
    };
    const { value, gradFunc } = forward(args.slice(0, -1) as T, save);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const widened = saved.map((t, i) => restores[i] ? halfUnpack(t, restores[i]!.shape) : t);
          return gradFunc(dy as tf.Tensor, widened);
        }),
    };
  });
  return op(...inputs);
}
