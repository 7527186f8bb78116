/**
 * AdamW's state on tfjs-backend-webgpu in a few flat buffers, and one step as a handful of dispatches: the multi-tensor
 * kernels `grad_sum_squares` (one dispatch per seven chunks) + `grad_norm_finalize` (one) (`webgpu_grad_norm.ts`) and
 * `adamw_update` (`webgpu_adamw_flat_kernel.ts`, one per chunk), with every other move a copy command. A chunk holds as many
 * parameters as one storage-buffer binding of `[P | M | V]` allows: all of distilbert-base's on a GPU that binds
 * ≥ 0.8 GB (3 dispatches an update), six chunks where 128 MiB is the limit (llvmpipe: 8 dispatches).
 *
 * 1. parameters into the flat `P` (only those whose tensor changed since this optimizer last wrote it: the first
 *    step, or after a checkpoint was loaded into the model);
 * 2. gradients into the flat `G` (a missing gradient's run is cleared, and its parameter and moments are put back
 *    after the update: torch skips a parameter whose `grad is None`);
 * 3. (clipping) `grad_sum_squares` per seven chunks, `grad_norm_finalize` once: norm, coefficient, sticky apply
 *    flag;
 * 4. `adamw_update` per chunk, in place on `[P | M | V]`;
 * 5. each parameter copied out of `P` into a fresh tensor that its variable is assigned (tfjs tensors are never
 *    written in place: a clone or a saved state taken before still holds the old values).
 *
 * Nothing is read back. The moments (`M`, `V`) live only here; {@link FlatAdamW.moments} copies them out per
 * parameter for checkpoints and {@link FlatAdamW.loadMoments} copies them in, bit for bit.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { AdamWScalars } from "./webgpu_adamw_per_param.ts";
import { encodeAdamWFlat } from "./webgpu_adamw_flat_kernel.ts";
import {
  emptyTensor,
  encodeClear,
  encodeCopy,
  FlatLayout,
  tensorBuffer,
  type WebGPUBackendInternals,
  webgpuInternals,
} from "./webgpu_flat_buffers.ts";
import { CHUNKS_PER_SUM, encodeGradNormFinalize, encodeGradSumSquares, partialsFor, SCAL } from "./webgpu_grad_norm.ts";

/** Options of {@link FlatAdamW}. */
export interface FlatAdamWOptions {
  /** Elements per chunk (a multiple of 4); default: as many as one storage-buffer binding of `[P | M | V]` holds. */
  chunkCapacity?: number;
}

/** What {@link FlatAdamW.update} leaves on the device when clipping (fresh scalars, the caller's to dispose). */
export interface FlatUpdateResult {
  /** Global gradient norm before clipping. */
  gradNorm: tf.Scalar;
  /** 1 when applied, 0 when skipped. */
  applied: tf.Scalar;
}

/** Clipping and gating of {@link FlatAdamW.update}. */
export interface FlatClipOptions {
  /** Global-norm clip (0: none, but the norm and the finite check still run). */
  maxNorm: number;
  /** The step's loss: a non-finite one skips the update. */
  loss: tf.Scalar;
  /**
   * The gradients are taken as multiplied by this (a loss scaler's `1 / scale`, a power of two: exact) before the norm
   * and the clip; it is folded into both (default 1).
   */
  gradScale?: number;
}

/** Largest chunk by default: 2^28 elements (1 GiB per run of `[P | M | V]`). */
const MAX_CHUNK = 2 ** 28;

/**
 * AdamW's flat device state over named variables (see the module docs). The webgpu backend must be active.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { FlatAdamW } from "./webgpu_adamw_flat_state.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const w = tf.variable(tf.tensor([1, 2]));
 *   const flat = new FlatAdamW(new Map([["w", w]]), () => false);
 *   const s = { decay: 1, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2Sqrt: Math.sqrt(0.001), eps: 1e-8, stepSize: 1 };
 *   flat.update(new Map([["w", tf.tensor([1, -1])]]), s, undefined); // step 1, lr 0.1
 *   const [a, b] = w.dataSync();
 *   if (Math.abs(a - 0.9) > 1e-6 || Math.abs(b - 2.1) > 1e-6) throw new Error("one Adam step moves by lr");
 *   flat.dispose();
 * }
 * ```
 */
export class FlatAdamW {
  /** Where each parameter lies. */
  readonly layout: FlatLayout;
  #params: Map<string, tf.Variable>;
  /** Per chunk: `[P | M | V]`. */
  #state: tf.Tensor[];
  /** Per chunk: the gradients. */
  #grad: tf.Tensor[];
  /** `(sum, non-finite)` pairs of `grad_sum_squares`, all chunks. */
  #partials: tf.Tensor;
  /** First pair of each chunk in `#partials`. */
  #partialBase: number[];
  #partialCount: number;
  /** `[norm, coef, apply, 0]`. */
  #scal: tf.Tensor;
  /** Parameter name → the data id whose values `P` holds. */
  #synced = new Map<string, object>();

  /** Lay out `params` (those for which `decayed` is true first) in zeroed flat buffers. */
  constructor(params: Map<string, tf.Variable>, decayed: (name: string) => boolean, options: FlatAdamWOptions = {}) {
    const backend = webgpuInternals("FlatAdamW");
    const limits = backend.device.limits;
    const fit = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 12 / 4) * 4;
    const capacity = options.chunkCapacity ?? Math.min(fit, MAX_CHUNK);
    if (capacity > fit) throw new Error(`FlatAdamW: chunkCapacity ${capacity} exceeds the device's ${fit}`);
    this.#params = params;
    const specs = [...params].map(([name, p]) => {
      if (p.dtype !== "float32") {
        throw new Error(`FlatAdamW: parameter "${name}" has dtype ${p.dtype}, expected float32`);
      }
      return { name, size: p.size, decay: decayed(name) };
    });
    this.layout = new FlatLayout(specs, capacity);
    const chunks = this.layout.chunks;
    this.#partialBase = [];
    let base = 0;
    for (const c of chunks) {
      this.#partialBase.push(base);
      base += partialsFor(c.length);
    }
    this.#partialCount = base;
    // kept: an optimizer built inside a tidy outlives it
    this.#state = chunks.map((c) => tf.keep(tf.zeros([3 * c.length])));
    this.#grad = chunks.map((c) => tf.keep(tf.zeros([c.length])));
    this.#partials = tf.keep(tf.zeros([2 * Math.max(1, base)]));
    this.#scal = FlatAdamW.#freshScal();
  }

  static #freshScal(): tf.Tensor {
    const s = new Float32Array(4);
    s[SCAL.coef] = 1;
    s[SCAL.apply] = 1;
    return tf.keep(tf.tensor1d(s));
  }

  /**
   * Set the sticky apply flag back to 1 (a loss scaler skipped the step on purpose; the next update applies when
   * finite).
   */
  rearm(): void {
    this.#scal.dispose();
    this.#scal = FlatAdamW.#freshScal();
  }

  /**
   * Encode one update from `grads` (names of the parameters; a missing one leaves its parameter and moments as they
   * are). `scalars.decay` is the decayed group's. With `clip`, the norm, coefficient and apply flag come from the
   * gradients and `clip.loss`, and fresh device scalars are returned; without, the update is unclipped and ungated.
   * The gradients are not disposed.
   */
  update(
    grads: Map<string, tf.Tensor>,
    scalars: AdamWScalars,
    clip: FlatClipOptions | undefined,
  ): FlatUpdateResult | undefined {
    const b = webgpuInternals("FlatAdamW.update");
    for (const [name, g] of grads) {
      const p = this.#params.get(name);
      if (!p) throw new Error(`FlatAdamW.update: gradient for unknown parameter "${name}"`);
      if (g.shape.join() !== p.shape.join()) {
        throw new Error(`FlatAdamW.update: gradient "${name}" has shape [${g.shape}], expected [${p.shape}]`);
      }
    }
    if (clip && clip.loss.size !== 1) throw new Error(`FlatAdamW.update: loss has shape [${clip.loss.shape}]`);
    const stateBuf = this.#state.map((t, i) => tensorBuffer(b, t, `FlatAdamW state chunk ${i}`));
    const gradBuf = this.#grad.map((t, i) => tensorBuffer(b, t, `FlatAdamW gradient chunk ${i}`));
    this.#syncParams(b, stateBuf);
    const missing: string[] = [];
    for (const { name, length } of this.layout.segments) {
      if (length === 0) continue;
      const g = grads.get(name);
      if (!g) missing.push(name);
      const src = g ? tensorBuffer(b, g, `gradient "${name}"`) : undefined;
      for (const piece of this.layout.pieces(name)) {
        if (src) encodeCopy(b, src, piece.tensorOffset, gradBuf[piece.chunk], piece.chunkOffset, piece.length);
        else encodeClear(b, gradBuf[piece.chunk], piece.chunkOffset, piece.length);
      }
    }
    if (clip) {
      for (let i = 0; i < this.#grad.length; i += CHUNKS_PER_SUM) {
        const grads = this.#grad.slice(i, i + CHUNKS_PER_SUM);
        encodeGradSumSquares(b, grads, this.#partials, this.#partialBase[i]);
      }
      const { loss, maxNorm, gradScale } = clip;
      encodeGradNormFinalize(b, this.#partials, this.#partialCount, loss, maxNorm, this.#scal, gradScale);
    }
    // a missing gradient: its parameter and moments saved around the update (which runs over whole chunks)
    const saved = missing.map((name) => {
      const t = emptyTensor(b, [3 * this.layout.segment(name).length]);
      this.#copyRuns(b, name, stateBuf, tensorBuffer(b, t, `saved "${name}"`), "out");
      return { name, t };
    });
    this.layout.chunks.forEach((c, i) => {
      const chunk = { state: this.#state[i], grad: this.#grad[i], decayEnd: this.layout.decayEnd - c.start };
      encodeAdamWFlat(b, chunk, scalars, clip ? this.#scal : undefined);
    });
    for (const { name, t } of saved) {
      // fetched again: a dispatch above may have submitted the encoder, which clears the "in use" marks
      this.#copyRuns(b, name, stateBuf, tensorBuffer(b, t, `saved "${name}"`), "in");
      t.dispose();
    }
    for (const name of grads.keys()) {
      const p = this.#params.get(name)!;
      if (p.size === 0) continue;
      const fresh = emptyTensor(b, p.shape);
      const dst = tensorBuffer(b, fresh, `parameter "${name}"`);
      for (const piece of this.layout.pieces(name)) {
        encodeCopy(b, stateBuf[piece.chunk], piece.chunkOffset, dst, piece.tensorOffset, piece.length);
      }
      p.assign(fresh);
      fresh.dispose();
      this.#synced.set(name, p.dataId);
    }
    if (!clip) return undefined;
    const scalBuf = tensorBuffer(b, this.#scal, "FlatAdamW scalars");
    const scalar = (index: number, what: string): tf.Scalar => {
      const t = emptyTensor(b, []) as tf.Scalar;
      encodeCopy(b, scalBuf, index, tensorBuffer(b, t, what), 0, 1);
      return t;
    };
    return { gradNorm: scalar(SCAL.norm, "gradNorm"), applied: scalar(SCAL.apply, "applied") };
  }

  /**
   * Copy `name`'s runs of `P`, `M` and `V` out to `buf` (`[p | m | v]`, the tensor's length each) or back in.
   */
  #copyRuns(b: WebGPUBackendInternals, name: string, stateBuf: GPUBuffer[], buf: GPUBuffer, way: "out" | "in"): void {
    const n = this.layout.segment(name).length;
    for (const piece of this.layout.pieces(name)) {
      const chunkLength = this.layout.chunks[piece.chunk].length;
      for (let run = 0; run < 3; run++) {
        const inChunk = run * chunkLength + piece.chunkOffset, inBuf = run * n + piece.tensorOffset;
        if (way === "out") encodeCopy(b, stateBuf[piece.chunk], inChunk, buf, inBuf, piece.length);
        else encodeCopy(b, buf, inBuf, stateBuf[piece.chunk], inChunk, piece.length);
      }
    }
  }

  /** Copy into `P` every parameter whose tensor is not the one this optimizer last wrote. */
  #syncParams(b: WebGPUBackendInternals, stateBuf: GPUBuffer[]): void {
    for (const { name, length } of this.layout.segments) {
      const p = this.#params.get(name)!;
      if (length === 0 || this.#synced.get(name) === p.dataId) continue;
      const src = tensorBuffer(b, p, `parameter "${name}"`);
      for (const piece of this.layout.pieces(name)) {
        encodeCopy(b, src, piece.tensorOffset, stateBuf[piece.chunk], piece.chunkOffset, piece.length);
      }
      this.#synced.set(name, p.dataId);
    }
  }

  /** Copies of the moments by parameter name (`m` = run 1, `v` = run 2 of each chunk; caller disposes). */
  moments(): { m: Map<string, tf.Tensor>; v: Map<string, tf.Tensor> } {
    const b = webgpuInternals("FlatAdamW.moments");
    const stateBuf = this.#state.map((t, i) => tensorBuffer(b, t, `FlatAdamW state chunk ${i}`));
    const out = { m: new Map<string, tf.Tensor>(), v: new Map<string, tf.Tensor>() };
    for (const [name, p] of this.#params) {
      for (const [run, map] of [[1, out.m], [2, out.v]] as const) {
        const t = emptyTensor(b, p.shape);
        if (p.size > 0) {
          const dst = tensorBuffer(b, t, `moment "${name}"`);
          for (const piece of this.layout.pieces(name)) {
            const from = run * this.layout.chunks[piece.chunk].length + piece.chunkOffset;
            encodeCopy(b, stateBuf[piece.chunk], from, dst, piece.tensorOffset, piece.length);
          }
        }
        map.set(name, t);
      }
    }
    return out;
  }

  /** Copy moments in (every parameter's, shapes checked by the caller) and clear the sticky skip flag. */
  loadMoments(m: Map<string, tf.Tensor>, v: Map<string, tf.Tensor>): void {
    const b = webgpuInternals("FlatAdamW.loadMoments");
    const stateBuf = this.#state.map((t, i) => tensorBuffer(b, t, `FlatAdamW state chunk ${i}`));
    for (const [name, p] of this.#params) {
      if (p.size === 0) continue;
      for (const [run, map] of [[1, m], [2, v]] as const) {
        const src = tensorBuffer(b, map.get(name)!, `moment "${name}"`);
        for (const piece of this.layout.pieces(name)) {
          const to = run * this.layout.chunks[piece.chunk].length + piece.chunkOffset;
          encodeCopy(b, src, piece.tensorOffset, stateBuf[piece.chunk], to, piece.length);
        }
      }
    }
    this.#scal.dispose();
    this.#scal = FlatAdamW.#freshScal();
  }

  /** Free the flat buffers (not the parameters). */
  dispose(): void {
    tf.dispose([...this.#state, ...this.#grad, this.#partials, this.#scal]);
    this.#state = [];
    this.#grad = [];
  }
}
