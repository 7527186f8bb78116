/**
 * One typed wrapper over `tf.customGrad`, the pattern every fused layer and hand-written gradient uses: a forward
 * that may save tensors for the backward, and a backward that returns one gradient per input.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** What a {@link customOp} forward returns: the value and the backward of `dy` and the saved tensors. */
export interface CustomOpResult {
  /** The op's output. */
  value: tf.Tensor;
  /** One gradient per input (a single tensor for a one-input op), from the output's gradient and `save`d tensors. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * `forward(inputs, save)` as one op with the gradient it defines (`tf.customGrad`): `inputs` are the tensors that
 * get gradients; `save(tensors)` keeps tensors (inputs or not) alive until the backward pass reads them.
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
  forward: (inputs: T, save: tf.GradSaveFunc) => CustomOpResult,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = forward(args.slice(0, -1) as T, save);
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => gradFunc(dy as tf.Tensor, saved) };
  });
  return op(...inputs);
}
