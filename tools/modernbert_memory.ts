/**
 * Peak tensor memory of one ModernBERT forward + backward (the loss of a batch of 1 with 15 % of the tokens labelled,
 * and every parameter's gradient) on ModernBERT-base shapes (hidden 768, 12 heads, MLP 1152, vocab 50,368; random
 * weights), as tfjs counts it (`tf.profile(...).peakBytes`, every live tensor on the backend). With `--layers` fewer
 * than base's 22 it measures a shallower stack of the same layers, to fit a machine that cannot hold the whole one.
 *
 *   deno run --allow-read --allow-env --allow-sys tools/modernbert_memory.ts --seq 1024 [--layers 22]
 *     [--backend webgpu] [--seed 1]
 *
 * Prints one JSON line: backend, seq, layers, parameter bytes, peak bytes and seconds. Each layer keeps its packed
 * q|k|v, its `[heads, seq, seq]` attention probabilities and a few `[seq, hidden]` / `[seq, 2·1152]` activations for
 * the backward pass, so the peak grows by a constant per layer: fit two depths and extrapolate (docs/modernbert.md).
 *
 * @module
 */
import { tf } from "../lib/deps.ts";
import { parseFlags } from "../lib/cli.ts";
import { Rng } from "../lib/data/rng.ts";
import { type BackendName, selectBackend } from "../lib/model/backend.ts";
import { parseConfig } from "../lib/model/config.ts";
import { initMaskedLM } from "../lib/model/init.ts";

const { values } = parseFlags(Deno.args, {
  seq: { type: "string", default: "1024", help: "tokens in the one sequence" },
  layers: { type: "string", default: "22", help: "encoder layers (ModernBERT-base: 22)" },
  backend: { type: "string", default: "webgpu", help: "webgpu, wasm or cpu" },
  seed: { type: "string", default: "1", help: "seed of the weights, ids and labels" },
}, "deno run --allow-read --allow-env --allow-sys tools/modernbert_memory.ts [flags]");
const [seq, layers, seed] = ["seq", "layers", "seed"].map((k) => {
  const v = Number(values[k]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k}: expected a positive integer, got ${values[k]}`);
  return v;
});
await selectBackend(values.backend as BackendName, { log: (m) => console.error(m) });
const config = parseConfig({ model_type: "modernbert", num_hidden_layers: layers, max_position_embeddings: 8192 });
const model = initMaskedLM(config, { seed });
const rng = new Rng(seed + 1);
const ids = Int32Array.from({ length: seq }, () => Math.floor(rng.random() * 50_000));
const labels = Int32Array.from(ids, (id) => rng.random() < 0.15 ? id : -100);
const batch = {
  input_ids: ids,
  attention_mask: new Int32Array(seq).fill(1),
  labels,
  shape: [1, seq] as [number, number],
};
const paramBytes = tf.memory().numBytes;
const start = performance.now();
let out: tf.Tensor[] = [];
const info = await tf.profile(async () => {
  const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
  out = [value, ...Object.values(grads)];
  await value.data();
  return out;
});
const seconds = (performance.now() - start) / 1000;
tf.dispose(out);
model.dispose();
console.log(JSON.stringify({ backend: values.backend, seq, layers, paramBytes, peakBytes: info.peakBytes, seconds }));
