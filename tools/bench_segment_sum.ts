/**
 * Time one `tf.unsortedSegmentSum` (the embedding gradient: `ids` rows summed into a `vocab × dim` table) on the WebGPU
 * backend, with this project's deterministic kernel and with tfjs-backend-webgpu's own (float atomics), and check
 * that the two agree. On these CPU machines WebGPU is Mesa llvmpipe: the figures are llvmpipe figures.
 *
 *   deno run --allow-read --allow-env --allow-sys tools/bench_segment_sum.ts [--ids 8192]
 *     [--vocab 30522] [--dim 768] [--reps 3] [--seed 1]
 *
 * For each kernel, after one warm-up call (shader compiles): "wall" is the mean time of a call followed by reading one
 * output element back (so it waits for the GPU); "GPU" is the programs' own time from WebGPU timestamp queries
 * (`tf.time`), listed per program. For this project's kernel the first three programs are the GPU sort of the ids
 * (the CSR build), the last the sum. "CPU counting sort" is what building the same order in JavaScript would cost if
 * the ids were on the CPU (in a gradient they are not: see `lib/model/kernels/webgpu_segment_sum.ts`).
 *
 * @module
 */
import { importTfWebgpu, tf } from "../lib/deps.ts";
import { parseFlags } from "../lib/cli.ts";
import { Rng } from "../lib/data/rng.ts";
import { selectBackend } from "../lib/model/backend.ts";
import { registerWebgpuSegmentSum, unregisterWebgpuSegmentSum } from "../lib/model/kernels/webgpu_segment_sum.ts";

const { values } = parseFlags(Deno.args, {
  ids: { type: "string", default: "8192", help: "number of ids (batch × sequence length)" },
  vocab: { type: "string", default: "30522", help: "number of segments (embedding rows)" },
  dim: { type: "string", default: "768", help: "row width" },
  reps: { type: "string", default: "3", help: "timed calls per kernel" },
  seed: { type: "string", default: "1", help: "seed of the ids and values" },
}, "deno run --allow-read --allow-env --allow-sys tools/bench_segment_sum.ts [flags]");
const [n, vocab, dim, reps, seed] = ["ids", "vocab", "dim", "reps", "seed"].map((k) => {
  const v = Number(values[k]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k}: expected a positive integer, got ${values[k]}`);
  return v;
});

/** Mean wall and GPU time of `reps` calls after a warm-up, the per-program GPU times, and the last output. */
async function measure(x: tf.Tensor, ids: tf.Tensor1D): Promise<{ wall: number; gpu: number; programs: string }> {
  const call = async () => {
    const y = tf.unsortedSegmentSum(x, ids, vocab);
    const probe = tf.slice(y, [vocab - 1, dim - 1], [1, 1]);
    await probe.data();
    tf.dispose([y, probe]);
  };
  await call(); // shader compiles
  let wall = 0, gpu = 0, programs = "";
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await call();
    wall += performance.now() - t0;
  }
  for (let r = 0; r < reps; r++) {
    const info = await tf.time(() => tf.unsortedSegmentSum(x, ids, vocab).dispose());
    gpu += info.kernelMs as number;
    programs = (info as { getExtraProfileInfo?: () => string }).getExtraProfileInfo?.() ?? "";
  }
  // this project's programs are plain objects (tfjs names them "Object"): name them in dispatch order
  const names = ["tile sort", "order", "starts", "sum"];
  programs = programs.replace(/Object:/g, () => `${names.shift() ?? "?"}:`).replace(/(\d+\.\d)\d*/g, "$1 ms");
  return { wall: wall / reps, gpu: gpu / reps, programs };
}

await importTfWebgpu();
const { adapter } = await selectBackend("webgpu", { log: () => {} });
const rng = new Rng(seed);
// ids shaped like token ids: half from the 1000 most frequent, half uniform over the vocabulary
const idsData = Int32Array.from(
  { length: n },
  () => rng.random() < 0.5 ? rng.int(Math.min(1000, vocab)) : rng.int(vocab),
);
const x = tf.tensor2d(Float32Array.from({ length: n * dim }, () => rng.random() * 2 - 1), [n, dim]);
const ids = tf.tensor1d(idsData, "int32");
await tf.tidy(() => tf.add(tf.sum(x), tf.cast(tf.sum(ids), "float32"))).data(); // upload both before timing

console.log(
  `adapter: ${adapter}${adapter?.includes("llvmpipe") ? " — llvmpipe figures (software WebGPU on the CPU)" : ""}`,
);
console.log(`unsortedSegmentSum: ${n} ids → ${vocab} × ${dim}, mean of ${reps} calls after a warm-up`);
const results: [string, Float32Array][] = [];
for (
  const [label, register] of [["deterministic (this project)", true], ["tfjs-backend-webgpu (atomics)", false]] as const
) {
  if (register) registerWebgpuSegmentSum();
  else unregisterWebgpuSegmentSum();
  const m = await measure(x, ids);
  console.log(`  ${label}: wall ${m.wall.toFixed(1)} ms, GPU ${m.gpu.toFixed(1)} ms; last call: ${m.programs}`);
  const y = tf.unsortedSegmentSum(x, ids, vocab);
  results.push([label, (await y.data()) as Float32Array]);
  y.dispose();
}
registerWebgpuSegmentSum();

const t0 = performance.now();
for (let r = 0; r < reps; r++) {
  const next = new Int32Array(vocab + 1);
  for (const id of idsData) next[id + 1]++;
  for (let s = 0; s < vocab; s++) next[s + 1] += next[s];
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[next[idsData[i]]++] = i;
}
console.log(`  CPU counting sort of the ids in JS (reference): ${((performance.now() - t0) / reps).toFixed(2)} ms`);

const [ours, theirs] = results.map(([, v]) => v);
let diff = 0, scale = 0;
for (let i = 0; i < ours.length; i++) {
  diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
  scale = Math.max(scale, Math.abs(theirs[i]));
}
console.log(`  max |difference| between the two: ${diff.toExponential(2)} (largest value ${scale.toFixed(2)})`);
tf.dispose([x, ids]);
