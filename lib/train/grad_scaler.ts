/**
 * Dynamic loss scaling with the semantics and defaults of PyTorch's `torch.amp.GradScaler`, for `--fp16` training.
 *
 * A step multiplies the loss by {@link GradScaler.scale} before the backward (so that small float16 gradients do not
 * flush to zero), multiplies the gradients by {@link GradScaler.invScale} before clipping, and applies the optimizer
 * only when every gradient is finite. After the step {@link GradScaler.update} is told whether an inf/NaN was found,
 * and moves the scale as torch's `_amp_update_scale_` does:
 *
 * - inf/NaN found: `scale ·= backoff_factor` (0.5), the growth tracker back to 0, and the step is skipped;
 * - else the tracker counts the step; at `growth_interval` (2,000) finite steps in a row `scale ·= growth_factor`
 *   (2) when that stays finite, and the tracker is back to 0.
 *
 * The scale is a float32, as torch's scale tensor (products rounded to f32; the inverse is `1 / scale` in float64,
 * then rounded, as `scale.double().reciprocal().float()`). The initial scale is 2^16. The state saved with a
 * checkpoint is torch's `state_dict()` ({@link GradScalerState}).
 *
 * @module
 */

/** Options of {@link GradScaler}; the defaults are torch's. */
export interface GradScalerOptions {
  /** Initial scale (default 2^16). */
  initScale?: number;
  /** Factor of a growth (default 2). */
  growthFactor?: number;
  /** Factor of a backoff on inf/NaN (default 0.5). */
  backoffFactor?: number;
  /** Finite steps in a row before a growth (default 2000). */
  growthInterval?: number;
}

/** `torch.amp.GradScaler.state_dict()`: what a checkpoint keeps. */
export interface GradScalerState {
  /** The current scale. */
  scale: number;
  /** Factor of a growth. */
  growth_factor: number;
  /** Factor of a backoff. */
  backoff_factor: number;
  /** Finite steps in a row before a growth. */
  growth_interval: number;
  /** Finite steps in a row since the last growth or backoff. */
  _growth_tracker: number;
}

/**
 * PyTorch's dynamic loss scaler (see the module doc).
 *
 * @example
 * ```ts
 * import { GradScaler } from "./grad_scaler.ts";
 * const scaler = new GradScaler({ growthInterval: 2 });
 * scaler.update(true); // an overflow: halve, skip
 * const halved = scaler.scale;
 * scaler.update(false);
 * scaler.update(false); // two finite steps: double
 * if (halved !== 32768 || scaler.scale !== 65536 || scaler.growthTracker !== 0) throw new Error("2^16 · 0.5 · 2");
 * ```
 */
export class GradScaler {
  /** Factor of a growth. */
  readonly growthFactor: number;
  /** Factor of a backoff. */
  readonly backoffFactor: number;
  /** Finite steps in a row before a growth. */
  readonly growthInterval: number;
  #scale: number;
  #tracker = 0;

  /** A scaler at `initScale` with its tracker at 0. */
  constructor(options: GradScalerOptions = {}) {
    const init = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(init > 0) || !Number.isFinite(init)) throw new Error(`GradScaler: initScale must be > 0, got ${init}`);
    if (!(this.growthFactor > 1)) throw new Error(`GradScaler: growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) {
      throw new Error(`GradScaler: backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    }
    if (!Number.isInteger(this.growthInterval) || this.growthInterval < 1) {
      throw new Error(`GradScaler: growthInterval must be an integer >= 1, got ${this.growthInterval}`);
    }
    this.#scale = Math.fround(init);
  }

  /** The current scale (a float32 value). */
  get scale(): number {
    return this.#scale;
  }

  /** `1 / scale` in float64, rounded to float32 (torch's `inv_scale`, which the gradients are multiplied by). */
  get invScale(): number {
    return Math.fround(1 / this.#scale);
  }

  /** Finite steps in a row since the last growth or backoff. */
  get growthTracker(): number {
    return this.#tracker;
  }

  /**
   * After a step: `foundInf` when a gradient was inf/NaN (the step was skipped). Moves the scale and the tracker as
   * `torch._amp_update_scale_`.
   *
   * @example
   * ```ts
   * import { GradScaler } from "./grad_scaler.ts";
   * const scaler = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
   * scaler.update(false); // 2^128 overflows float32: the scale stays
   * if (scaler.scale !== 2 ** 127 || scaler.growthTracker !== 0) throw new Error("no growth to inf");
   * ```
   */
  update(foundInf: boolean): void {
    if (foundInf) {
      this.#scale = Math.fround(this.#scale * this.backoffFactor);
      this.#tracker = 0;
      return;
    }
    const successful = this.#tracker + 1;
    if (successful === this.growthInterval) {
      const grown = Math.fround(this.#scale * this.growthFactor);
      if (Number.isFinite(grown)) this.#scale = grown;
      this.#tracker = 0;
    } else {
      this.#tracker = successful;
    }
  }

  /**
   * torch's `state_dict()`.
   *
   * @example
   * ```ts
   * import { GradScaler } from "./grad_scaler.ts";
   * const s = new GradScaler().state();
   * if (s.scale !== 65536 || s.growth_interval !== 2000 || s._growth_tracker !== 0) throw new Error("defaults");
   * ```
   */
  state(): GradScalerState {
    return {
      scale: this.#scale,
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.#tracker,
    };
  }

  /**
   * A scaler from a saved {@link GradScalerState} (`where` names it in errors).
   *
   * @example
   * ```ts
   * import { GradScaler } from "./grad_scaler.ts";
   * const a = new GradScaler({ growthInterval: 3 });
   * a.update(true);
   * a.update(false);
   * const b = GradScaler.fromState(JSON.parse(JSON.stringify(a.state())), "training_state.json");
   * if (b.scale !== 32768 || b.growthTracker !== 1 || b.growthInterval !== 3) throw new Error("restored");
   * ```
   */
  static fromState(state: GradScalerState, where: string): GradScaler {
    const need = (key: keyof GradScalerState, ok: (x: number) => boolean, what: string): number => {
      const x = state?.[key];
      if (typeof x !== "number" || !ok(x)) {
        throw new Error(`${where}: grad_scaler.${key} must be ${what}, got ${JSON.stringify(x)}`);
      }
      return x;
    };
    const scaler = new GradScaler({
      initScale: need("scale", (x) => x > 0 && Number.isFinite(x), "a finite number > 0"),
      growthFactor: need("growth_factor", (x) => x > 1, "a number > 1"),
      backoffFactor: need("backoff_factor", (x) => x > 0 && x < 1, "a number in (0, 1)"),
      growthInterval: need("growth_interval", (x) => Number.isInteger(x) && x >= 1, "an integer >= 1"),
    });
    const tracker = need(
      "_growth_tracker",
      (x) => Number.isInteger(x) && x >= 0 && x < scaler.growthInterval,
      `an integer in [0, growth_interval)`,
    );
    scaler.#tracker = tracker;
    return scaler;
  }
}
