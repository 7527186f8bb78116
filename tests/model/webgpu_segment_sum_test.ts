// The deterministic WebGPU UnsortedSegmentSum must equal the cpu/wasm kernel bit for bit (same order of additions):
// repeated and out-of-range ids, int32 values, several trailing dims, 2-D ids, ragged tiles, more segments than one
// dispatch row; give the same bytes on every run; and make a tiny MaskedLM's gradients and training on webgpu
// repeatable to the bit. WebGPU here is Mesa llvmpipe (slow, shaders compile slowly when cold): tiny shapes only.
import { tf } from "../../lib/deps.ts";
import { segmentSum } from "../../lib/model/kernels/segment_sum.ts";
import { webgpuSegmentSumRegistered } from "../../lib/model/kernels/webgpu_segment_sum.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { parseConfig } from "../../lib/model/config.ts";
import type { MlmBatch } from "../../lib/data/types.ts";
import { Rng } from "../../lib/data/rng.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { onWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu segment sum tests");

interface Case {
  name: string;
  xShape: number[];
  idsShape: number[];
  numSegments: number;
  dtype: "float32" | "int32";
}

const CASES: Case[] = [
  {
    name: "repeats across ragged tiles, vec4 rows",
    xShape: [700, 8],
    idsShape: [700],
    numSegments: 40,
    dtype: "float32",
  },
  { name: "odd row size", xShape: [300, 5], idsShape: [300], numSegments: 9, dtype: "float32" },
  { name: "int32 values", xShape: [260, 4], idsShape: [260], numSegments: 17, dtype: "int32" },
  { name: "trailing dims [3, 2]", xShape: [50, 3, 2], idsShape: [50], numSegments: 12, dtype: "float32" },
  { name: "2-D ids", xShape: [4, 30, 4], idsShape: [4, 30], numSegments: 25, dtype: "float32" },
  { name: "one row", xShape: [1, 3], idsShape: [1], numSegments: 4, dtype: "float32" },
  {
    name: "more segments than one dispatch row",
    xShape: [90, 1],
    idsShape: [90],
    numSegments: 33000,
    dtype: "float32",
  },
  { name: "no ids", xShape: [0, 4], idsShape: [0], numSegments: 3, dtype: "float32" },
];

/** Values and ids of a case: ids in [-3, numSegments + 3), so some are out of range on both sides. */
function caseData(c: Case, seed: number): { x: Float32Array | Int32Array; ids: Int32Array } {
  const rng = new Rng(seed);
  const size = c.xShape.reduce((a, b) => a * b, 1);
  const n = c.idsShape.reduce((a, b) => a * b, 1);
  const x = c.dtype === "int32"
    ? Int32Array.from({ length: size }, () => rng.int(2001) - 1000)
    : Float32Array.from({ length: size }, () => rng.random() * 8 - 4);
  const range = Math.min(c.numSegments, 60) + 6; // many repeats even with many segments
  const ids = Int32Array.from({ length: n }, () => rng.int(range) - 3);
  return { x, ids };
}

Deno.test({
  ...gpu,
  name: "webgpu segment sum equals the cpu kernel bit for bit (repeats, out-of-range ids, int32, dims, 2-D ids)",
  fn: async () => {
    const results = await onWebgpu(async () => {
      assert(webgpuSegmentSumRegistered(), "selectBackend('webgpu') registers the kernel");
      const out: (Float32Array | Int32Array)[] = [];
      for (const [i, c] of CASES.entries()) {
        const { x, ids } = caseData(c, i);
        const idsT: tf.Tensor = tf.tensor(ids, c.idsShape, "int32");
        // tfjs's types say 1-D ids; the kernel takes any prefix of x's shape, as TensorFlow does
        const y = tf.unsortedSegmentSum(tf.tensor(x, c.xShape, c.dtype), idsT as tf.Tensor1D, c.numSegments);
        assertEquals(y.shape, [c.numSegments, ...c.xShape.slice(c.idsShape.length)], c.name);
        assertEquals(y.dtype, c.dtype, c.name);
        out.push((await y.data()) as Float32Array | Int32Array);
      }
      return out;
    });
    for (const [i, c] of CASES.entries()) {
      const { x, ids } = caseData(c, i);
      const rowSize = c.xShape.slice(c.idsShape.length).reduce((a, b) => a * b, 1);
      const ref = segmentSum(x, ids, {
        numSegments: c.numSegments,
        rowSize,
        out: c.dtype === "int32" ? new Int32Array(c.numSegments * rowSize) : undefined,
      });
      const got = results[i];
      assertEquals(got.length, ref.length, c.name);
      const bad = ref.findIndex((v, k) => v !== got[k]);
      assert(bad < 0, `${c.name}: element ${bad} is ${got[bad]}, expected ${ref[bad]}`);
      assert(ref.some((v) => v !== 0) || c.xShape[0] === 0, `${c.name}: the case sums something`);
    }
  },
});

Deno.test({
  ...gpu,
  name:
    "webgpu segment sum gives the same bytes on every run, frees its temporaries; bad shapes and dtypes fail clearly",
  fn: async () => {
    await onWebgpu(async () => {
      // 3000 rows into 5 segments: chains of 600 float additions whose order shows in the last bits (tfjs's own
      // kernel gives differing bytes here in about half of such runs on llvmpipe)
      const rng = new Rng(7);
      const xs = Float32Array.from({ length: 3000 * 4 }, () => rng.random() * 2 - 1);
      const idsData = Int32Array.from({ length: 3000 }, () => rng.int(5));
      const x = tf.tensor2d(xs, [3000, 4]);
      const ids = tf.tensor1d(idsData, "int32");
      const runs: Uint8Array[] = [];
      const dataIds = tf.engine().backend.numDataIds();
      for (let r = 0; r < 5; r++) {
        const y = tf.unsortedSegmentSum(x, ids, 5);
        runs.push(new Uint8Array(((await y.data()) as Float32Array).buffer));
        y.dispose();
      }
      assertEquals(tf.engine().backend.numDataIds(), dataIds, "the kernel's temporary buffers are released");
      const ref = segmentSum(xs, idsData, { numSegments: 5, rowSize: 4 }); // rows added in increasing order
      for (const run of runs) assertEquals(run, new Uint8Array(ref.buffer));
      assertThrows(
        () => tf.unsortedSegmentSum(tf.ones([3, 2]), tf.tensor1d([0, 1], "int32"), 2),
        "segmentIds shape [2] must be a prefix of x shape [3,2]",
      );
      assertThrows(
        () => tf.unsortedSegmentSum(tf.ones([2, 2], "bool"), tf.tensor1d([0, 1], "int32"), 2),
        "x must be float32 or int32, got bool",
      );
      tf.dispose([x, ids]);
    });
  },
});

const TINY = {
  model_type: "distilbert",
  vocab_size: 50,
  dim: 8,
  n_heads: 2,
  n_layers: 1,
  hidden_dim: 16,
  max_position_embeddings: 32,
};

/**
 * 8 × 32 tokens from a vocabulary of 50: every token repeats, many times and far apart, so that its gradient is a
 * long sum (with float atomics its last bits change between runs once the rows fall in different workgroups).
 */
function tinyBatch(seed: number): MlmBatch {
  const rng = new Rng(seed);
  const input_ids = Int32Array.from({ length: 8 * 32 }, () => 1 + rng.int(49));
  const labels = Int32Array.from(input_ids, (id, i) => (i % 3 === 0 ? id : -100));
  return { input_ids, attention_mask: new Int32Array(8 * 32).fill(1), labels, shape: [8, 32] };
}

/** Gradients of the tiny model's loss (eval mode) for every parameter, by HF name (read asynchronously: WebGPU). */
async function tinyGrads(): Promise<Map<string, Float32Array>> {
  const model = initMaskedLM(parseConfig(TINY), { seed: 3 });
  try {
    const params = trainableParams(model);
    const names = new Map([...params].map(([name, v]) => [v.name, name]));
    const { value, grads } = tf.variableGrads(() => model.loss(tinyBatch(1), { training: false }), [
      ...params.values(),
    ]);
    const out = new Map<string, Float32Array>();
    for (const [vname, g] of Object.entries(grads)) out.set(names.get(vname)!, (await g.data()) as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    model.dispose();
  }
}

Deno.test({
  ...gpu,
  name: "webgpu: a tiny MaskedLM's embedding gradients are the same bits on every run and match cpu within 1e-5",
  fn: async () => {
    const [a, b] = await onWebgpu(async () => [await tinyGrads(), await tinyGrads()]);
    const cpu = await tinyGrads();
    for (
      const name of ["distilbert.embeddings.word_embeddings.weight", "distilbert.embeddings.position_embeddings.weight"]
    ) {
      const ga = a.get(name), gb = b.get(name), gc = cpu.get(name);
      assert(ga && gb && gc, `gradient of ${name}`);
      assertEquals(new Uint8Array(gb.buffer), new Uint8Array(ga.buffer), `${name}: run 2 differs from run 1`);
      let diff = 0;
      for (let i = 0; i < gc.length; i++) diff = Math.max(diff, Math.abs(ga[i] - gc[i]));
      assert(diff <= 1e-5, `${name}: webgpu vs cpu max diff ${diff}`);
      assert(gc.some((v) => v !== 0), `${name}: a non-zero gradient`);
    }
  },
});

Deno.test({
  ...gpu,
  name: "webgpu: three AdamW steps of a tiny MaskedLM, run twice, give byte-identical weights",
  fn: async () => {
    const run = async (): Promise<Map<string, Uint8Array>> => {
      const model = initMaskedLM(parseConfig(TINY), { seed: 5 });
      try {
        const optimizer = new AdamW(trainableParams(model), { lr: 1e-2 });
        for (let step = 0; step < 3; step++) {
          const r = await trainStep(model, [tinyBatch(10 + step)], {
            optimizer,
            lr: 1e-2,
            maxGradNorm: 1,
            training: true,
            rngFor: (k) => new Rng(100 * step + k),
          });
          assert(r.applied, `step ${step} applied`);
        }
        const out = new Map<string, Uint8Array>();
        for (const [name, v] of model.params) {
          out.set(name, new Uint8Array(((await v.data()) as Float32Array).slice().buffer));
        }
        optimizer.dispose();
        return out;
      } finally {
        model.dispose();
      }
    };
    const [first, second] = await onWebgpu(async () => [await run(), await run()]);
    assertEquals([...second.keys()], [...first.keys()]);
    for (const [name, bytes] of first) assertEquals(second.get(name), bytes, `${name} differs between the two runs`);
  },
});
