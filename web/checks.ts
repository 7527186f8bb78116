/// <reference lib="dom" />
/**
 * `checks.html`: the project's WebGPU checks run inside the browser's WebGPU (Chrome's Dawn), with the criteria of
 * the Deno tests they mirror — `tests/model/parity_test.ts` (tiny HF checkpoints vs PyTorch goldens: logits ≤ 1e-4
 * max abs, loss ≤ 1e-5 rel, every gradient ≤ 1e-3 rel), `tests/model/webgpu_fused_test.ts` (each fused layer vs the
 * tf-op path, value and gradients ≤ 1e-6 rel, bit-identical when repeated), `tests/model/webgpu_segment_sum_test.ts`
 * (the deterministic segment sum equals the cpu kernel bit for bit) and `tests/train/adamw_webgpu_test.ts` (fused
 * AdamW vs the tf-op path ≤ 1e-6 rel) and `tests/model/webgpu_matmul_test.ts` (the tiled matmul vs the cpu's ≤ 1e-5 of
 * the scale, repeatable). Goldens are fetched from `?goldens=URL` (default `goldens/`: copy
 * `../shared/goldens/tiny-distilbert` and `tiny-bert` there). Results: the page's text, `globalThis.mlmChecks`,
 * and `data-state` on the body (`done` or `error`).
 *
 * @module
 */
import { tf } from "../lib/deps.ts";
import { Rng } from "../lib/data/rng.ts";
import { selectBackend, webgpuAdapter } from "../lib/model/backend.ts";
import { parseSafetensors, type SafeTensor } from "../lib/model/safetensors.ts";
import { segmentSum } from "../lib/model/kernels/segment_sum.ts";
import { setFusedKernels } from "../lib/model/kernels/fused.ts";
import {
  attentionBias,
  attentionSoftmax,
  biasActivation,
  crossEntropySum,
  dropout,
  layerNorm,
  linear,
  multiHeadAttention,
  residualLayerNorm,
} from "../lib/model/layers.ts";
import { AdamW } from "../lib/train/adamw.ts";
import { maskedLMFromFiles } from "../lib/web/files.ts";

/** One check's outcome. */
interface Result {
  name: string;
  ok: boolean;
  detail: string;
}

const results: Result[] = [];
const out = document.getElementById("log")!;
(globalThis as Record<string, unknown>).mlmChecks = results;

function report(name: string, ok: boolean, detail: string): void {
  results.push({ name, ok, detail });
  out.textContent += `${ok ? "ok  " : "FAIL"} ${name}: ${detail}\n`;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function relDiff(ours: ArrayLike<number>, ref: ArrayLike<number>, floor: number): { diff: number; rel: number } {
  let diff = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return { diff, rel: diff / Math.max(scale, floor) };
}

/** parity_test.ts: logits, loss and every parameter's gradient of a tiny HF checkpoint vs PyTorch. */
async function parity(base: URL, name: string): Promise<void> {
  const dir = new URL(`${name}/`, base);
  const files = new Map<string, Uint8Array>();
  for (const f of ["config.json", "model.safetensors"]) files.set(f, await fetchBytes(new URL(f, dir)));
  const g: Map<string, SafeTensor> = parseSafetensors(await fetchBytes(new URL("goldens.safetensors", dir))).tensors;
  const model = maskedLMFromFiles(files, { source: name });
  try {
    const shape = g.get("input_ids")!.shape as [number, number];
    const batch = {
      input_ids: g.get("input_ids")!.data as Int32Array,
      attention_mask: g.get("attention_mask")!.data as Int32Array,
      labels: g.get("labels")!.data as Int32Array,
      shape,
    };
    const logitsT = tf.tidy(() =>
      model.logits(tf.tensor2d(batch.input_ids, shape, "int32"), tf.tensor2d(batch.attention_mask, shape, "int32"))
    );
    const logits = await logitsT.data();
    logitsT.dispose();
    const logitsMaxAbs = relDiff(logits, g.get("logits")!.data, 1).diff;
    const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
    const loss = (await value.data())[0], refLoss = g.get("loss")!.data[0];
    let worst = 0, worstName = "";
    for (const [pname, v] of model.params) {
      const { rel } = relDiff(await grads[v.name].data(), g.get(`grad.${pname}`)!.data, 1e-6);
      if (rel >= worst) [worst, worstName] = [rel, pname];
    }
    tf.dispose([value, ...Object.values(grads)]);
    const lossRel = Math.abs(loss - refLoss) / refLoss;
    report(
      `parity ${name}`,
      logitsMaxAbs <= 1e-4 && lossRel <= 1e-5 && worst <= 1e-3,
      `logits max abs ${logitsMaxAbs.toExponential(2)} (≤ 1e-4), loss rel ${lossRel.toExponential(2)} (≤ 1e-5), ` +
        `worst grad rel ${worst.toExponential(2)} (${worstName}, ≤ 1e-3)`,
    );
  } finally {
    model.dispose();
  }
}

function values(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed * 1.3) * scale), shape);
}

async function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<Float32Array[]> {
  const outs = tf.tidy(() => {
    const y = f(...inputs);
    const w = values(y.shape, 9);
    return [y, ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs)];
  });
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return data;
}

/** webgpu_fused_test.ts: a fused layer vs the tf-op path (value, gradients), and repeatable bit for bit. */
async function fused(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<void> {
  setFusedKernels(false);
  const ref = await valueAndGrads(f, inputs);
  setFusedKernels(true);
  const first = await valueAndGrads(f, inputs), again = await valueAndGrads(f, inputs);
  let worst = 0, repeats = true;
  ref.forEach((r, i) => {
    worst = Math.max(worst, relDiff(first[i], r, 1e-30).rel);
    repeats &&= first[i].every((x, j) => Object.is(x, again[i][j]));
  });
  report(`fused ${name}`, worst <= 1e-6 && repeats, `max rel ${worst.toExponential(2)} (≤ 1e-6), repeats: ${repeats}`);
}

async function fusedLayers(): Promise<void> {
  const [b, s, h] = [2, 5, 70];
  const x = values([b, s, h], 1), r = values([b, s, h], 2), pos = values([s, h], 3);
  const w = values([h], 4, 0.5), bias = values([h], 5, 0.1);
  await fused("layerNorm", (x, w, bb) => layerNorm(x, w, bb, 1e-12), [x, w, bias]);
  await fused("residualLayerNorm", (x, r, w, bb) => residualLayerNorm(x, r, w, bb, 1e-5), [x, r, w, bias]);
  await fused("residualLayerNorm, repeated rows", (x, p, w, bb) => residualLayerNorm(x, p, w, bb, 1e-12), [
    x,
    pos,
    w,
    bias,
  ]);
  for (const act of ["gelu", "gelu_new"]) {
    await fused(`biasActivation ${act}`, (x, bb) => biasActivation(act, x, bb), [values([b, s, h], 6, 3), bias]);
  }
  const weight = values([33, h], 7, 0.2), lb = values([33], 8);
  await fused("linear with bias", (x, wt, bb) => linear(x, wt, bb), [x, weight, lb]);
  const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, "int32");
  const maskBias = attentionBias(mask);
  await fused("attentionSoftmax", (sc) => attentionSoftmax(sc, maskBias, 0.125), [values([b, 3, s, s], 10, 4)]);
  const qkv = [values([b, s, 12], 12), values([b, s, 12], 13), values([b, s, 12], 14)];
  await fused(
    "multiHeadAttention",
    (q, k, v) => multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0 }),
    qkv,
  );
  await fused(
    "multiHeadAttention with dropout",
    (q, k, v) => multiHeadAttention(q, k, v, maskBias, { heads: 3, dropoutRate: 0.2, training: true, rng: new Rng(3) }),
    qkv,
  );
  const labels = tf.tensor1d([3, -100, 0, 32, 7, -100, 1], "int32");
  await fused("crossEntropySum", (l) => crossEntropySum(l as tf.Tensor2D, labels), [values([7, 33], 11, 3)]);
  await fused("dropout", (x) => dropout(x, 0.3, { training: true, rng: new Rng(5) }), [x]);
  tf.dispose([x, r, pos, w, bias, weight, lb, mask, maskBias, labels, ...qkv]);
}

/** webgpu_segment_sum_test.ts: the WebGPU UnsortedSegmentSum equals the cpu kernel bit for bit. */
async function segmentSums(): Promise<void> {
  const cases: [string, number[], number, "float32" | "int32"][] = [
    ["repeats across ragged tiles, vec4 rows", [700, 8], 40, "float32"],
    ["odd row size", [300, 5], 9, "float32"],
    ["int32 values", [260, 4], 17, "int32"],
    ["more segments than one dispatch row", [90, 1], 33000, "float32"],
  ];
  for (const [name, xShape, numSegments, dtype] of cases) {
    const rng = new Rng(7), size = xShape[0] * xShape[1];
    const x = dtype === "int32"
      ? Int32Array.from({ length: size }, () => rng.int(2001) - 1000)
      : Float32Array.from({ length: size }, () => rng.random() * 8 - 4);
    const ids = Int32Array.from({ length: xShape[0] }, () => rng.int(Math.min(numSegments, 60) + 6) - 3);
    const want = segmentSum(x, ids, { numSegments, rowSize: xShape[1] });
    const t = tf.unsortedSegmentSum(tf.tensor(x, xShape, dtype), tf.tensor1d(ids, "int32"), numSegments);
    const got = await t.data();
    t.dispose();
    const same = got.length === want.length && want.every((v, i) => Object.is(v, got[i]));
    report(`segment sum ${name}`, same, same ? "bit-identical to the cpu kernel" : "differs from the cpu kernel");
  }
}

/**
 * A matmul case of webgpu_matmul_test.ts: shapes, transposes, an optional fused bias. Three of its eight cases (each
 * transpose variant costs SwiftShader about 20 s to compile).
 */
interface MatMulCase {
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
  bias?: number;
}

const [M, K, N] = [130, 21, 135];
/** The three products of a Linear layer (forward with its bias, input gradient, weight gradient), ragged sizes. */
const MATMUL_CASES: MatMulCase[] = [
  { a: [M, K], b: [N, K], tA: false, tB: true, bias: N },
  { a: [M, K], b: [K, N], tA: false, tB: false },
  { a: [K, M], b: [K, N], tA: true, tB: false },
];

async function product(c: MatMulCase): Promise<Float32Array> {
  const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);
  const a = tf.tensor(fill(c.a.reduce((x, y) => x * y), 1), c.a);
  const b = tf.tensor(fill(c.b.reduce((x, y) => x * y), 2), c.b);
  const bias = c.bias ? tf.tensor1d(fill(c.bias, 3)) : undefined;
  const y = bias
    ? tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: c.tA, transposeB: c.tB, bias })
    : tf.matMul(a, b, c.tA, c.tB);
  const data = await y.data() as Float32Array;
  tf.dispose([a, b, y, ...(bias ? [bias] : [])]);
  return data;
}

/** webgpu_matmul_test.ts: the tiled matmul (the default on hardware adapters) vs the cpu's, and repeatable. */
async function tiledMatMuls(want: Float32Array[]): Promise<void> {
  for (const [i, c] of MATMUL_CASES.entries()) {
    const got = await product(c), again = await product(c);
    const { diff } = relDiff(got, want[i], 1);
    const scale = Math.max(1, ...want[i].map(Math.abs));
    const repeats = got.every((x, j) => Object.is(x, again[j]));
    report(
      `tiled matmul ${JSON.stringify(c)}`,
      diff <= 1e-5 * scale && repeats,
      `max diff ${diff.toExponential(2)} (≤ 1e-5 × ${scale.toFixed(1)}), repeats: ${repeats}`,
    );
  }
}

/** adamw_webgpu_test.ts: four AdamW steps with the fused kernel vs the tf-op path. */
async function adamw(): Promise<void> {
  const shapes: [string, number[]][] = [["lin.weight", [12, 8]], ["lin.bias", [7]], ["odd.weight", [5, 3]]];
  const lrs = [0, 1e-3, 5e-2, 2e-3];
  const runOnce = async (useFused: boolean): Promise<Float32Array[]> => {
    const params = new Map(shapes.map(([k, s], i) => [k, tf.variable(values(s, i))]));
    const opt = new AdamW(params, { weightDecay: 0.1, fused: useFused });
    lrs.forEach((lr, t) => {
      const grads = new Map(shapes.map(([k, s], i) => [k, values(s, 10 * t + i, 10 ** (i - 4 + t))]));
      opt.step(grads, lr);
      tf.dispose([...grads.values()]);
    });
    const data = await Promise.all([...params.values()].map((p) => p.data() as Promise<Float32Array>));
    tf.dispose([...params.values()]);
    opt.dispose();
    return data;
  };
  const f = await runOnce(true), ops = await runOnce(false);
  const worst = Math.max(...f.map((a, i) => relDiff(a, ops[i], 1e-2).rel));
  report("fused AdamW", worst <= 1e-6, `4 steps, max rel vs tf ops ${worst.toExponential(2)} (≤ 1e-6)`);
}

async function main(): Promise<void> {
  const adapter = await webgpuAdapter();
  if (!adapter) throw new Error("no WebGPU adapter in this browser (navigator.gpu.requestAdapter() gave none)");
  const log = (line: string) => (out.textContent += `${line}\n`);
  const base = new URL(new URLSearchParams(location.search).get("goldens") ?? "goldens/", location.href);
  const run = async (name: string, check: () => Promise<void>) => {
    try {
      await check();
    } catch (e) {
      report(name, false, `threw: ${(e as Error).message}`);
    }
  };
  await selectBackend("cpu", { log });
  const want: Float32Array[] = [];
  for (const c of MATMUL_CASES) want.push(await product(c));
  // tfjs's matmul (the default on software adapters such as SwiftShader and llvmpipe), then the tiled one (the
  // default on hardware adapters).
  await selectBackend("webgpu", { log, matmul: "tfjs" });
  await run("parity tiny-distilbert", () => parity(base, "tiny-distilbert"));
  await run("parity tiny-bert", () => parity(base, "tiny-bert"));
  await run("fused layers", fusedLayers);
  await run("segment sums", segmentSums);
  await run("fused AdamW", adamw);
  await selectBackend("webgpu", { log, matmul: "tiled" });
  await run("tiled matmul", () => tiledMatMuls(want));
  document.body.dataset.state = "done";
}

main().catch((e) => {
  out.textContent += `error: ${(e as Error).message}\n`;
  document.body.dataset.state = "error";
});
