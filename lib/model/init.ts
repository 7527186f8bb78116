/**
 * Fresh weights as HF's `_init_weights` makes them: Linear and Embedding weights from normal(0, initializer_range),
 * biases zero, LayerNorm weight one and bias zero, the `padding_idx` embedding row zero, sinusoidal position
 * embeddings when the config asks for them. Values come from a seeded {@link Rng}, so a seed gives the same weights
 * on every backend.
 *
 * @module
 */
import { Rng } from "../data/rng.ts";
import type { ModelConfig } from "./config.ts";
import { buildMaskedLM, paramSpecs } from "./architectures.ts";
import type { MaskedLM, ParamSpec } from "./masked_lm.ts";

/** Options of {@link initMaskedLM}. */
export interface InitMaskedLMOptions {
  /** Seed of the weights. */
  seed: number;
}

/**
 * A randomly initialised masked LM for `config`.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 50, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * if (m.numParameters() <= 0) throw new Error("parameters");
 * m.dispose();
 * ```
 */
export function initMaskedLM(config: ModelConfig, options: InitMaskedLMOptions): MaskedLM {
  const rng = new Rng(options.seed);
  const values = new Map<string, Float32Array>();
  for (const [name, spec] of paramSpecs(config)) {
    values.set(name, initValues(spec, config.initializer_range, rng.fork(name)));
  }
  return buildMaskedLM(config, values);
}

/**
 * Values for one parameter.
 *
 * @example
 * ```ts
 * import { initValues } from "./init.ts";
 * import { Rng } from "../data/rng.ts";
 * const w = initValues({ shape: [3, 2], init: "normal", zeroRow: 0 }, 0.02, new Rng(0));
 * if (w[0] !== 0 || w[1] !== 0 || w[2] === 0) throw new Error("padding row zero");
 * ```
 */
export function initValues(spec: ParamSpec, std: number, rng: Rng): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (spec.init) {
    case "ones":
      out.fill(1);
      break;
    case "zeros":
      break;
    case "normal": {
      for (let i = 0; i < n; i += 2) { // Box–Muller: two normals per pair of uniforms
        const u1 = 1 - rng.random(), u2 = rng.random();
        const r = Math.sqrt(-2 * Math.log(u1)) * std;
        out[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
      if (spec.zeroRow !== undefined && spec.zeroRow !== null) {
        const width = spec.shape[1];
        out.fill(0, spec.zeroRow * width, (spec.zeroRow + 1) * width);
      }
      break;
    }
    case "sinusoidal": { // HF create_sinusoidal_embeddings
      const [positions, dim] = spec.shape;
      for (let pos = 0; pos < positions; pos++) {
        for (let j = 0; j < dim; j++) {
          const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
          out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        }
      }
      break;
    }
  }
  return out;
}
