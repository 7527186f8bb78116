/**
 * Peak tensor memory of one ModernBERT forward + backward (the loss of a batch of 1 with 15 % of the tokens labelled,
 * and every parameter's gradient) on ModernBERT-base shapes (hidden 768, 12 heads, MLP 1152, vocab 50,368; random
 * weights): the most bytes live tensors hold on the device at any moment (`watchPeak` of `lib/bench/gpu_memory.ts`: on
 * webgpu the GPU buffers, each once, however many tensors share one). `--fp16` keeps what the backward reads in
 * binary16, as training with `--fp16` does (an adapter with `shader-f16`). With `--layers` fewer
 * than base's 22 it measures a shallower stack of the same layers, to fit a machine that cannot hold the whole one;
 * with a smaller `--vocab`, an adapter that cannot bind base's 155 MB embedding matrix (Mesa's: 128 MiB).
 *
 *   deno run --allow-read --allow-env --allow-sys tools/modernbert_memory.ts --seq 1024 [--layers 22]
 *     [--vocab 50368] [--backend webgpu] [--seed 1] [--fp16]
 *
 * Prints one JSON line: backend, fp16, seq, layers, vocab, parameter bytes, peak bytes and seconds. Each layer keeps its packed
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
import { heldBytes, watchPeak } from "../lib/bench/gpu_memory.ts";

const { values } = parseFlags(Deno.args, {
  seq: { type: "string", default: "1024", help: "tokens in the one sequence" },
  vocab: { type: "string", default: "50368", help: "vocabulary size (ModernBERT-base: 50,368)" },
  layers: { type: "string", default: "22", help: "encoder layers (ModernBERT-base: 22)" },
  backend: { type: "string", default: "webgpu", help: "webgpu, wasm or cpu" },
  seed: { type: "string", default: "1", help: "seed of the weights, ids and labels" },
  fp16: { type: "boolean", help: "store what the backward reads in binary16 (webgpu with shader-f16)" },
}, "deno run --allow-read --allow-env --allow-sys tools/modernbert_memory.ts [flags]");
const [seq, layers, seed, vocab] = ["seq", "layers", "seed", "vocab"].map((k) => {
  const v = Number(values[k]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k}: expected a positive integer, got ${values[k]}`);
  return v;
});
const fp16 = Boolean(values.fp16);
await selectBackend(values.backend as BackendName, { log: (m) => console.error(m), fp16 });
const config = parseConfig({
  model_type: "modernbert",
  num_hidden_layers: layers,
  vocab_size: vocab,
  pad_token_id: vocab - 1,
  max_position_embeddings: 8192,
});
const model = initMaskedLM(config, { seed });
const rng = new Rng(seed + 1);
const ids = Int32Array.from({ length: seq }, () => Math.floor(rng.random() * (vocab - 1)));
const labels = Int32Array.from(ids, (id) => rng.random() < 0.15 ? id : -100);
const batch = {
  input_ids: ids,
  attention_mask: new Int32Array(seq).fill(1),
  labels,
  shape: [1, seq] as [number, number],
};
tf.tidy(() => [...model.params.values()].forEach((p) => tf.mul(p, 1))); // each weight on the device before the count
const paramBytes = heldBytes();
const start = performance.now();
const meter = watchPeak();
const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
await value.data();
const peakBytes = meter.peak;
meter.stop();
const seconds = (performance.now() - start) / 1000;
tf.dispose([value, ...Object.values(grads)]);
model.dispose();
console.log(
  JSON.stringify({ backend: values.backend, fp16, seq, layers, vocab, paramBytes, peakBytes, seconds }),
);
