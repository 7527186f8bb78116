/**
 * AdamW with `torch.optim.AdamW` semantics on tfjs variables, and Hugging Face Trainer's parameter groups.
 *
 * One step, per parameter (torch's single-tensor path): `p *= 1 - lr·wd` (decoupled decay), `m = m + (1-β1)(g - m)`,
 * `v = β2·v + (1-β2)·g²`, `denom = sqrt(v) / sqrt(1 - β2^t) + eps`, `p -= lr / (1 - β1^t) · m / denom`. Biases and
 * LayerNorm weights get no decay (HF `get_decay_parameter_names`). The state (`m`, `v`, step) is saved and restored
 * bit for bit.
 *
 * {@link AdamW.update} is the training step's: global-norm clipping (`clip_grad_norm_`) and the update in one call
 * that reads nothing back, skipping the update on the device when the loss or a gradient is not finite.
 *
 * How a step runs is chosen once, when the optimizer is built ({@link AdamWStrategy}), and the optimizer then works
 * on that backend only (a step under another backend is an error, not a silent change of path):
 *
 * - `"flat"`, the default on webgpu: parameters, gradients and moments in a few flat device buffers
 *   (`lib/model/kernels/webgpu_adamw_flat_state.ts`); a step is one `adamw_update` dispatch per chunk (the same f32
 *   arithmetic in the same order as the tf ops), an update two more for the global norm (`webgpu_grad_norm.ts`),
 *   instead of ~14 tf ops per parameter and ~5 per parameter for clipping; everything else is copy commands.
 * - `"per-parameter"` (webgpu, on request): per-parameter moment tensors updated by the fused per-parameter kernel
 *   (`webgpu_adamw_per_param.ts`, three dispatches a parameter), the flat kernel's reference.
 * - `"ops"`, the default on cpu and wasm (and with `fused: false`): tf ops; {@link AdamW.update} gives bit for bit
 *   the weights of `clipGradNorm` + {@link AdamW.step}.
 *
 * The scalars are computed here, in float64 as torch does in Python, for every strategy.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type AdamWScalars, fusedAdamWUpdate } from "../model/kernels/webgpu_adamw_per_param.ts";
import { FlatAdamW } from "../model/kernels/webgpu_adamw_flat_state.ts";
import { clipCoefficient, globalGradNorm } from "./clip.ts";

/**
 * How {@link AdamW} runs a step: flat webgpu buffers and kernels, the per-parameter fused webgpu kernel, or tf ops
 * (any backend). See the module doc.
 */
export type AdamWStrategy = "flat" | "per-parameter" | "ops";

/** Options of {@link AdamW}; defaults are torch's (`lr` 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01). */
export interface AdamWOptions {
  /** Learning rate used when {@link AdamW.step} gets none. */
  lr?: number;
  /** `[beta1, beta2]`. */
  betas?: [number, number];
  /** Added to the bias-corrected `sqrt(v)`. */
  eps?: number;
  /** Decoupled weight decay for the decayed group. */
  weightDecay?: number;
  /** Which parameters get no decay; HF's rule by default ({@link isNoDecayParameter}). */
  noDecay?: (name: string) => boolean;
  /** Use the fused kernels when the active backend is webgpu (default true: `"flat"`); false: `"ops"` everywhere. */
  fused?: boolean;
  /** The strategy, explicitly (overrides `fused`); `"flat"` and `"per-parameter"` need the webgpu backend. */
  strategy?: AdamWStrategy;
  /**
   * Fused on webgpu: elements per flat chunk (a multiple of 4; default as many as one storage-buffer binding holds).
   * Smaller chunks cost one more dispatch each; tests use them to cut parameters across chunks.
   */
  chunkCapacity?: number;
}

/** Options of {@link AdamW.update}. */
export interface AdamWUpdateOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Global-norm clip (0: none). */
  maxGradNorm: number;
  /** The step's loss (device scalar): when it or any gradient is non-finite, nothing is updated. */
  loss: tf.Scalar;
  /**
   * Multiply the gradients by this before the norm and the clip (a loss scaler's `1 / scale`; default 1). The fused
   * webgpu path folds it into the norm and the clip coefficient (exact for a power of two) instead of a pass over
   * every gradient.
   */
  gradScale?: number;
}

/** What {@link AdamW.update} leaves on the device (caller reads them later and disposes them). */
export interface AdamWUpdateResult {
  /** Global gradient norm before clipping (NaN-able); a scalar. */
  gradNorm: tf.Scalar;
  /** 1 when the update was applied, 0 when skipped because the loss or a gradient was non-finite. Once a step is
   * skipped, the optimizer stays "poisoned" and skips every later update too (the run is stopping). */
  applied: tf.Scalar;
}

/** Optimizer state as plain tensors: `m.<name>`, `v.<name>` and the step count. */
export interface AdamWState {
  /** Optimizer steps taken (torch's `state["step"]`, the same for every parameter). */
  step: number;
  /** First moments by parameter name. */
  m: Map<string, tf.Tensor>;
  /** Second moments by parameter name. */
  v: Map<string, tf.Tensor>;
}

/**
 * HF Trainer's no-decay rule (`get_decay_parameter_names`): names with `bias`, and every LayerNorm parameter — by
 * transformers' name patterns on the lower-cased name: `layernorm`, `rmsnorm`, a `norm` path segment, a `*_norm`
 * one (`LayerNorm`, `sa_layer_norm`, ModernBERT's `embeddings.norm`, `attn_norm`, `mlp_norm`, `final_norm`).
 *
 * @example
 * ```ts
 * import { isNoDecayParameter } from "./adamw.ts";
 * if (!isNoDecayParameter("distilbert.transformer.layer.0.sa_layer_norm.weight")) throw new Error("LN");
 * if (!isNoDecayParameter("model.layers.1.mlp_norm.weight")) throw new Error("ModernBERT's LN");
 * if (isNoDecayParameter("distilbert.transformer.layer.0.attention.q_lin.weight")) throw new Error("weight");
 * ```
 */
export function isNoDecayParameter(name: string): boolean {
  return /bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)/.test(name.toLowerCase());
}

/**
 * AdamW over a map of named variables.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { AdamW } from "./adamw.ts";
 * const w = tf.variable(tf.tensor([1, 2]));
 * const opt = new AdamW(new Map([["w", w]]), { lr: 0.1, weightDecay: 0 });
 * opt.step(new Map([["w", tf.tensor([1, -1])]]));
 * const [a, b] = w.dataSync();
 * if (Math.abs(a - 0.9) > 1e-6 || Math.abs(b - 2.1) > 1e-6) throw new Error("one Adam step moves by lr");
 * opt.dispose();
 * ```
 */
export class AdamW {
  /** Parameters by name (HF names). */
  readonly params: Map<string, tf.Variable>;
  /** Default learning rate. */
  lr: number;
  /** `[beta1, beta2]`. */
  readonly betas: [number, number];
  /** Epsilon. */
  readonly eps: number;
  /** Weight decay of the decayed group. */
  readonly weightDecay: number;
  /** Names of parameters that get no decay. */
  readonly noDecayNames: Set<string>;
  /** How a step runs, chosen at construction. */
  readonly strategy: AdamWStrategy;
  /** The backend it was built on, the only one it runs on. */
  readonly backend: string;
  #step = 0;
  /** The flat device state and kernels (strategy `"flat"`); else `#m`, `#v`. */
  #flat: FlatAdamW | undefined;
  #m = new Map<string, tf.Variable>();
  #v = new Map<string, tf.Variable>();
  /** Device flag of {@link AdamW.update}: true until a step sees a non-finite loss or gradient (sticky). */
  #ok: tf.Variable<tf.Rank.R0> = tf.tidy(() => tf.variable(tf.scalar(true, "bool"), false));

  /** An optimizer for `params`; moments start at zero. */
  constructor(params: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.params = params;
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.backend = tf.getBackend();
    const onWebgpu = this.backend === "webgpu";
    this.strategy = options.strategy ?? (onWebgpu && (options.fused ?? true) ? "flat" : "ops");
    if (this.strategy !== "ops" && !onWebgpu) {
      throw new Error(`AdamW: strategy "${this.strategy}" needs the webgpu backend, the active one is ${this.backend}`);
    }
    const noDecay = options.noDecay ?? isNoDecayParameter;
    this.noDecayNames = new Set([...params.keys()].filter(noDecay));
    if (this.strategy === "flat") {
      const chunkCapacity = options.chunkCapacity;
      this.#flat = new FlatAdamW(params, (name) => !this.noDecayNames.has(name), { chunkCapacity });
      return;
    }
    for (const [name, p] of params) {
      // In a tidy: the zero tensors a variable starts from are freed, the variables kept.
      this.#m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.#v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#step;
  }

  /**
   * One update from `grads` (same names as the parameters; a missing gradient skips that parameter, as torch does
   * for `grad is None`). The gradients are not disposed.
   */
  step(grads: Map<string, tf.Tensor>, lr: number = this.lr): void {
    this.#checkBackend("step");
    this.#checkNames(grads, "step");
    const scalars = this.#nextScalars(lr);
    if (this.#flat) {
      this.#flat.update(grads, scalars(this.#decayedName()), undefined);
      return;
    }
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const next = this.#updated(name, g, scalars(name));
        this.#m.get(name)!.assign(next.m);
        this.#v.get(name)!.assign(next.v);
        this.params.get(name)!.assign(next.p);
      }
    });
  }

  /**
   * Clip by global norm and apply AdamW, deciding on the device whether to apply; reads nothing back. The global
   * norm is `clip_grad_norm_`'s (computed whether or not `maxGradNorm` clips: it is the gradients' finite check),
   * gradients are scaled by `min(1, maxGradNorm / (norm + 1e-6))` when `maxGradNorm > 0`, and every parameter and
   * moment becomes `where(applied, new, old)`: a NaN never reaches them, not even multiplied by 0. Once a step is
   * skipped the optimizer stays poisoned (every later update is skipped too) until {@link AdamW.loadState}. The step
   * counter advances either way (the CPU does not know; a poisoned run stops at its last good checkpoint). With
   * finite values the weights are bit for bit those of `clipGradNorm` + {@link AdamW.step} on the tf-op path; on the
   * flat webgpu path the norm is summed in another order (`webgpu_grad_norm.ts`), within 1e-6 relative. `grads` and
   * `loss` are not disposed; the result's scalars are the caller's to dispose.
   *
   * @example
   * ```ts
   * import { tf } from "../deps.ts";
   * import { AdamW } from "./adamw.ts";
   * const w = tf.variable(tf.tensor([1, 2]));
   * const opt = new AdamW(new Map([["w", w]]), { weightDecay: 0 });
   * const grads = new Map([["w", tf.tensor([3, 4])]]);
   * const r = opt.update(grads, { lr: 0.1, maxGradNorm: 1, loss: tf.scalar(NaN) });
   * if (r.applied.dataSync()[0] !== 0 || w.dataSync()[0] !== 1) throw new Error("a NaN loss changes nothing");
   * if (Math.abs(r.gradNorm.dataSync()[0] - 5) > 1e-6) throw new Error("the norm before clipping");
   * tf.dispose([r.gradNorm, r.applied, ...grads.values()]);
   * ```
   */
  update(grads: Map<string, tf.Tensor>, options: AdamWUpdateOptions): AdamWUpdateResult {
    const { lr, maxGradNorm, loss } = options;
    this.#checkBackend("update");
    const gradScale = options.gradScale ?? 1;
    this.#checkNames(grads, "update");
    if (!(maxGradNorm >= 0)) throw new Error(`AdamW.update: maxGradNorm must be >= 0 (0: none), got ${maxGradNorm}`);
    if (loss.rank !== 0) throw new Error(`AdamW.update: loss must be a scalar, got shape [${loss.shape}]`);
    if (grads.size === 0) throw new Error("AdamW.update: no gradients");
    const scalars = this.#nextScalars(lr);
    if (this.#flat) {
      return this.#flat.update(grads, scalars(this.#decayedName()), { maxNorm: maxGradNorm, loss, gradScale })!;
    }
    return tf.tidy(() => {
      if (gradScale !== 1) grads = new Map([...grads].map(([name, g]) => [name, tf.mul(g, gradScale)]));
      const gradNorm = globalGradNorm(grads);
      const finite = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
      const ok = tf.logicalAnd(this.#ok, finite) as tf.Scalar;
      this.#ok.assign(ok);
      const coef = maxGradNorm > 0 ? clipCoefficient(gradNorm, maxGradNorm) : undefined;
      for (const [name, g] of grads) {
        const p = this.params.get(name)!, m = this.#m.get(name)!, v = this.#v.get(name)!;
        const next = this.#updated(name, coef ? tf.mul(g, coef) : g, scalars(name));
        m.assign(tf.where(ok, next.m, m));
        v.assign(tf.where(ok, next.v, v));
        p.assign(tf.where(ok, next.p, p));
      }
      return { gradNorm, applied: tf.cast(ok, "float32") as tf.Scalar };
    });
  }

  /**
   * The last {@link AdamW.update} was skipped on a non-finite gradient under loss scaling (`--fp16`): as torch's
   * `GradScaler.step`, which does not call `optimizer.step()`, the step count is taken back, and the device flag is
   * re-armed so that the next update applies (without a loss scaler a skipped step stops the run instead).
   *
   * @example
   * ```ts
   * import { tf } from "../deps.ts";
   * import { AdamW } from "./adamw.ts";
   * const w = tf.variable(tf.tensor([1]));
   * const opt = new AdamW(new Map([["w", w]]), { weightDecay: 0 });
   * const g = new Map([["w", tf.tensor([Infinity])]]);
   * const r = opt.update(g, { lr: 0.1, maxGradNorm: 1, loss: tf.scalar(1) });
   * opt.stepSkipped();
   * const ok = opt.update(new Map([["w", tf.tensor([1])]]), { lr: 0.1, maxGradNorm: 0, loss: tf.scalar(1) });
   * if (opt.stepCount !== 1 || ok.applied.dataSync()[0] !== 1 || !(w.dataSync()[0] < 1)) throw new Error("re-armed");
   * tf.dispose([r.gradNorm, r.applied, ok.gradNorm, ok.applied]);
   * ```
   */
  stepSkipped(): void {
    if (this.#step < 1) throw new Error("AdamW.stepSkipped: no step was taken");
    this.#step -= 1;
    if (this.#flat) this.#flat.rearm();
    else tf.tidy(() => this.#ok.assign(tf.scalar(true, "bool")));
  }

  /** A parameter of the decayed group (its scalars are the flat kernel's), or any when none is decayed. */
  #decayedName(): string {
    for (const name of this.params.keys()) if (!this.noDecayNames.has(name)) return name;
    return this.params.keys().next().value ?? "";
  }

  /** The active backend must be the one the optimizer was built on (its strategy and state belong to it). */
  #checkBackend(method: string): void {
    const active = tf.getBackend();
    if (active !== this.backend) {
      throw new Error(
        `AdamW.${method}: this optimizer was built on the ${this.backend} backend (strategy "${this.strategy}"), ` +
          `the active backend is ${active}; build a new optimizer (and load its state) after switching backends`,
      );
    }
  }

  #checkNames(grads: Map<string, tf.Tensor>, method: string): void {
    for (const name of grads.keys()) {
      if (!this.params.has(name)) throw new Error(`AdamW.${method}: gradient for unknown parameter "${name}"`);
    }
  }

  /** Advance the step counter; the per-parameter scalars of this step at `lr`. */
  #nextScalars(lr: number): (name: string) => AdamWScalars {
    this.#step += 1;
    const [beta1, beta2] = this.betas;
    const t = this.#step;
    // Scalars in float64 as torch computes them in Python, applied as float32 (scalar tensors or f32 uniforms).
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    return (name) => {
      const wd = this.noDecayNames.has(name) ? 0 : this.weightDecay;
      return {
        decay: 1 - lr * wd,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        bc2Sqrt: Math.sqrt(biasCorrection2),
        eps: this.eps,
        stepSize: lr / biasCorrection1,
      };
    };
  }

  /** New `p`, `m`, `v` of parameter `name` from gradient `g` (inside the caller's tidy). */
  #updated(name: string, g: tf.Tensor, s: AdamWScalars): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
    const p = this.params.get(name)!;
    const m = this.#m.get(name)!;
    const v = this.#v.get(name)!;
    if (this.strategy === "per-parameter") return fusedAdamWUpdate({ p, g, m, v }, s);
    const decayed = s.decay === 1 ? p : tf.mul(p, s.decay);
    const mNew = tf.add(m, tf.mul(tf.sub(g, m), s.oneMinusBeta1));
    const vNew = tf.add(tf.mul(v, s.beta2), tf.mul(tf.mul(g, g), s.oneMinusBeta2));
    const denom = tf.add(tf.div(tf.sqrt(vNew), s.bc2Sqrt), s.eps);
    const pNew = tf.sub(decayed, tf.mul(tf.div(mNew, denom), s.stepSize));
    return { p: pNew, m: mNew, v: vNew };
  }

  /** Copies of the state (caller disposes the tensors). */
  state(): AdamWState {
    this.#checkBackend("state");
    if (this.#flat) {
      return { step: this.#step, ...this.#flat.moments() };
    }
    const copy = (src: Map<string, tf.Variable>) => new Map([...src].map(([k, t]) => [k, tf.clone(t) as tf.Tensor]));
    return { step: this.#step, m: copy(this.#m), v: copy(this.#v) };
  }

  /** Restore a saved state; every parameter must be present with its shape. */
  loadState(state: AdamWState): void {
    this.#checkBackend("loadState");
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`AdamW.loadState: step must be an integer >= 0, got ${state.step}`);
    }
    for (const [kind, src] of [["m", state.m], ["v", state.v]] as const) {
      for (const [name, target] of this.params) {
        const t = src.get(name);
        if (!t) throw new Error(`AdamW.loadState: no "${kind}.${name}" in the saved state`);
        if (t.shape.join() !== target.shape.join()) {
          throw new Error(
            `AdamW.loadState: "${kind}.${name}" has shape [${t.shape}], expected [${target.shape}]`,
          );
        }
      }
    }
    if (this.#flat) {
      this.#flat.loadMoments(state.m, state.v);
      this.#step = state.step;
      return;
    }
    for (const [name, target] of this.#m) target.assign(state.m.get(name)!);
    for (const [name, target] of this.#v) target.assign(state.v.get(name)!);
    this.#step = state.step;
    tf.tidy(() => this.#ok.assign(tf.scalar(true, "bool")));
  }

  /** Free the moment buffers (not the parameters). */
  dispose(): void {
    for (const t of this.#m.values()) t.dispose();
    for (const t of this.#v.values()) t.dispose();
    this.#m.clear();
    this.#v.clear();
    this.#ok.dispose();
    this.#flat?.dispose();
    this.#flat = undefined;
  }
}
