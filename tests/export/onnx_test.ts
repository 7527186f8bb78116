import { decodeOnnx } from "../../lib/export/onnx_graph.ts";
import { type ExportableModel, exportOnnx, ONNX_MODEL_PATH, onnxModelBytes } from "../../lib/export/onnx.ts";
import { type ModelConfig, parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import type { MaskedLM } from "../../lib/model/masked_lm.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { initSequenceClassifier, type SequenceClassifier } from "../../lib/model/sequence_classification.ts";
import { fillMask } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer, type Tokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { ourLogits } from "./logits.ts";
import { runTransformersJs } from "./transformers_js/client.ts";

const DEMO = `${ROOT}/fixtures/demo/model`;
const BERT_TOKENIZER = `${SHARED}/data/bert-base-uncased`;
const haveTokenizer = haveShared("data/bert-base-uncased/tokenizer.json", "ONNX export of bert-base-shaped models");
const TOLERANCE = 1e-5;

// The standard-domain ONNX ops the exporter may emit.
const STANDARD_OPS = new Set([
  "Add",
  "Cast",
  "Erf",
  "Gather",
  "LayerNormalization",
  "MatMul",
  "Mul",
  "Pow",
  "Relu",
  "Reshape",
  "Shape",
  "Sigmoid",
  "Slice",
  "Softmax",
  "Sub",
  "Tanh",
  "Transpose",
  "Unsqueeze",
]);

/** Right-padded rows of the texts' ids, as HF's padding does. */
function paddedBatch(tok: Tokenizer, texts: string[]): { input_ids: number[][]; attention_mask: number[][] } {
  const enc = texts.map((t) => tok.encode(t));
  const len = Math.max(...enc.map((e) => e.input_ids.length));
  const pad = (row: number[], value: number) => [...row, ...Array(len - row.length).fill(value)];
  return {
    input_ids: enc.map((e) => pad(e.input_ids, tok.padTokenId)),
    attention_mask: enc.map((e) => pad(e.attention_mask, 0)),
  };
}

const FILL_TEXTS = ["This is a great [MASK].", "I watched the [MASK] last night and loved it."];
const BATCH_TEXTS = ["A film.", "The plot was thin but the actors were wonderful to watch.", "Bad [MASK]!"];

/** Export a masked LM and hold transformers.js' fill-mask and onnxruntime's raw logits to ours. */
async function checkMaskedLM(name: string, model: MaskedLM, tok: Tokenizer, tokenizerDir: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `onnx-${name}-` });
  try {
    await exportOnnx(model, `${dir}/${name}`, { tokenizerDir });
    const batch = paddedBatch(tok, BATCH_TEXTS);
    const bert = model.config.model_type === "bert";
    const theirs = await runTransformersJs({
      modelDir: `${dir}/${name}`,
      fillMask: { texts: FILL_TEXTS, topK: 5 },
      logits: { ...batch, ...(bert ? { token_type_ids: batch.input_ids.map((r) => r.map(() => 0)) } : {}) },
    });
    for (const [i, text] of FILL_TEXTS.entries()) {
      const [ours] = await fillMask(model, tok, text, { topK: 5 });
      const js = theirs.fillMask![i];
      assertEquals(js.map((p) => p.token), ours.map((p) => p.token), `${name} "${text}": tokens`);
      assertEquals(js.map((p) => p.token_str), ours.map((p) => p.token_str), `${name} "${text}": token_str`);
      assertEquals(js.map((p) => p.sequence), ours.map((p) => p.sequence), `${name} "${text}": sequence`);
      for (const [k, p] of ours.entries()) {
        assertAlmostEquals(js[k].score, p.score, TOLERANCE, `${name} "${text}" #${k} (${p.token_str}) score`);
      }
    }
    const ours = await ourLogits(model, batch);
    assertEquals(theirs.logits!.dims, ours.dims, `${name}: logits shape`);
    const diff = maxAbsDiff(theirs.logits!.data, ours.data);
    assert(diff <= TOLERANCE, `${name}: onnxruntime logits on a padded batch differ from ours by ${diff}`);
    console.log(`${name}: fill-mask tokens equal; max |Δ logits| over a padded ${ours.dims} batch = ${diff}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Export a classifier and hold transformers.js' text-classification and onnxruntime's raw logits to ours. */
async function checkClassifier(name: string, model: SequenceClassifier, tok: Tokenizer, tokDir: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `onnx-${name}-` });
  try {
    await exportOnnx(model, `${dir}/${name}`, { tokenizerDir: tokDir });
    const batch = paddedBatch(tok, BATCH_TEXTS);
    const bert = model.config.model_type === "bert";
    const theirs = await runTransformersJs({
      modelDir: `${dir}/${name}`,
      textClassification: { texts: BATCH_TEXTS },
      logits: { ...batch, ...(bert ? { token_type_ids: batch.input_ids.map((r) => r.map(() => 0)) } : {}) },
    });
    const labels = Object.entries(model.config.id2label as Record<string, string>)
      .sort(([a], [b]) => Number(a) - Number(b)).map(([, l]) => l);
    for (const [i, text] of BATCH_TEXTS.entries()) {
      const enc = tok.encode(text);
      const probs = softmax(
        (await ourLogits(model, { input_ids: [enc.input_ids], attention_mask: [enc.attention_mask] }))
          .data,
      );
      const js = theirs.textClassification![i];
      assertEquals(js.length, labels.length, `${name} "${text}": one score per label`);
      for (const { label, score } of js) {
        const k = labels.indexOf(label);
        assert(k >= 0, `${name}: transformers.js label ${label} is not one of ${labels}`);
        assertAlmostEquals(score, probs[k], TOLERANCE, `${name} "${text}": ${label}`);
      }
    }
    const ours = await ourLogits(model, batch);
    assertEquals(theirs.logits!.dims, ours.dims, `${name}: logits shape`);
    const diff = maxAbsDiff(theirs.logits!.data, ours.data);
    assert(diff <= TOLERANCE, `${name}: onnxruntime logits on a padded batch differ from ours by ${diff}`);
    console.log(`${name}: text-classification equals our softmax; max |Δ logits| (padded ${ours.dims}) = ${diff}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Real hidden sizes and vocabulary, few layers (CI time), HF's initializer (normal, std 0.02).
const DISTILBERT_BASE = {
  model_type: "distilbert",
  vocab_size: 30522,
  dim: 768,
  n_heads: 12,
  hidden_dim: 3072,
  n_layers: 1,
};
const BERT_BASE = {
  model_type: "bert",
  vocab_size: 30522,
  hidden_size: 768,
  num_attention_heads: 12,
  intermediate_size: 3072,
  num_hidden_layers: 1,
};

Deno.test("exportOnnx: standard ops at opset 17, dynamic batch/sequence axes, HF-named initializers, tied once", async () => {
  const cases: [ModelConfig, string[], boolean][] = [
    [parseConfig({ ...DISTILBERT_BASE, vocab_size: 50, dim: 8, n_heads: 2, hidden_dim: 16 }), [
      "input_ids",
      "attention_mask",
    ], false],
    [
      parseConfig({ ...BERT_BASE, vocab_size: 50, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16 }),
      ["input_ids", "attention_mask", "token_type_ids"],
      false,
    ],
    [parseConfig({ ...BERT_BASE, vocab_size: 50, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16 }), [
      "input_ids",
      "attention_mask",
      "token_type_ids",
    ], true],
  ];
  for (const [config, inputs, classifier] of cases) {
    const model: ExportableModel = classifier
      ? initSequenceClassifier(config, { seed: 1, labels: ["a", "b", "c"] })
      : initMaskedLM(config, { seed: 1 });
    try {
      const out = await onnxModelBytes(model);
      const m = decodeOnnx(out.bytes);
      const what = `${config.model_type}${classifier ? " classifier" : ""}`;
      assertEquals(m.opsetImport.map((o) => [o.domain ?? "", Number(o.version)]), [["", 17]], `${what}: opset`);
      const g = m.graph!;
      for (const n of g.node ?? []) {
        assert(!n.domain, `${what}: node ${n.name} in domain ${n.domain}`);
        assert(STANDARD_OPS.has(n.opType!), `${what}: unexpected op ${n.opType}`);
      }
      assertEquals((g.input ?? []).map((i) => i.name), inputs, `${what}: inputs`);
      for (const i of g.input ?? []) {
        const dims = (i.type!.tensorType!.shape!.dim ?? []).map((d) => d.dimParam);
        assertEquals(dims, ["batch_size", "sequence_length"], `${what}: ${i.name} axes are dynamic`);
        assertEquals(i.type!.tensorType!.elemType, 7, `${what}: ${i.name} is int64`);
      }
      assertEquals((g.output ?? []).map((o) => o.name), ["logits"]);
      const outDims = (g.output![0].type!.tensorType!.shape!.dim ?? []).map((d) => d.dimParam || Number(d.dimValue));
      assertEquals(outDims, classifier ? ["batch_size", 3] : ["batch_size", "sequence_length", 50]);
      const params = new Set(model.params.keys());
      const named = (g.initializer ?? []).filter((t) => !t.name!.startsWith("/")).map((t) => t.name!);
      assertEquals(new Set(named), params, `${what}: every parameter is an initializer named by its HF key`);
      assertEquals(out.vocabMatrices, 1, `${what}: the [vocab, hidden] matrix is stored once`);
      assertEquals(named.length, params.size);
    } finally {
      model.dispose();
    }
  }
});

Deno.test("exportOnnx: writes onnx/model.onnx, config.json and the tokenizer files; fails naming a missing parameter", async () => {
  const dir = await Deno.makeTempDir();
  const model = await loadMaskedLM(DEMO);
  try {
    const r = await exportOnnx(model, `${dir}/out`, { tokenizerDir: DEMO });
    assertEquals(r.files.slice(0, 3), [ONNX_MODEL_PATH, "config.json", "tokenizer.json"]);
    assert(r.files.includes("tokenizer_config.json") && r.files.includes("vocab.txt"), r.files.join());
    assertEquals((await Deno.stat(`${dir}/out/${ONNX_MODEL_PATH}`)).size, r.bytes);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/out/config.json`));
    assertEquals([config.model_type, config.architectures], [model.config.model_type, ["DistilBertForMaskedLM"]]);
    model.params.delete("vocab_transform.bias");
    let message = "";
    await exportOnnx(model, `${dir}/bad`).catch((e) => message = (e as Error).message);
    assert(message.includes('no parameter "vocab_transform.bias"'), message);
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transformers.js runs the demo model's export with our fill-mask answers and logits", async () => {
  const model = await loadMaskedLM(DEMO);
  try {
    await checkMaskedLM("demo", model, await loadTokenizer(DEMO), DEMO);
  } finally {
    model.dispose();
  }
});

Deno.test({
  name: "transformers.js: distilbert-base- and bert-base-shaped masked LMs (1 layer) give our fill-mask and logits",
  ignore: !haveTokenizer,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} }); // our side of a 30522 × 768 head: seconds on wasm, not tens
    const tok = await loadTokenizer(BERT_TOKENIZER);
    for (const [name, json] of [["distilbert-base", DISTILBERT_BASE], ["bert-base", BERT_BASE]] as const) {
      const model = initMaskedLM(parseConfig(json), { seed: 7 });
      try {
        await checkMaskedLM(name, model, tok, BERT_TOKENIZER);
      } finally {
        model.dispose();
      }
    }
  },
});

Deno.test({
  name: "transformers.js: DistilBERT and BERT classifier exports give our logits' softmax",
  ignore: !haveTokenizer,
  fn: async () => {
    await selectBackend("wasm", { log: () => {} });
    const tok = await loadTokenizer(BERT_TOKENIZER);
    const cases = [
      ["distilbert-classifier", DISTILBERT_BASE, ["negative", "positive"]],
      ["bert-classifier", BERT_BASE, ["neg", "neutral", "pos"]],
    ] as const;
    for (const [name, json, labels] of cases) {
      const model = initSequenceClassifier(parseConfig(json), { seed: 11, labels: [...labels] });
      try {
        await checkClassifier(name, model, tok, BERT_TOKENIZER);
      } finally {
        model.dispose();
      }
    }
  },
});

Deno.test("onnxruntime: exports with gelu_new, gelu_pytorch_tanh, relu and silu give our logits on a padded batch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "onnx-act-" });
  const batch = {
    input_ids: [[2, 17, 33, 5, 3, 0, 0], [2, 9, 41, 12, 28, 6, 3]],
    attention_mask: [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]],
  };
  try {
    const cases: [string, Record<string, unknown>][] = [
      ["bert-gelu_new", { model_type: "bert", hidden_act: "gelu_new" }],
      ["bert-gelu_pytorch_tanh", { model_type: "bert", hidden_act: "gelu_pytorch_tanh" }],
      ["bert-silu", { model_type: "bert", hidden_act: "silu" }],
      ["distilbert-relu", { model_type: "distilbert", activation: "relu" }],
    ];
    for (const [name, json] of cases) {
      const sizes = json.model_type === "bert"
        ? { hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 64 }
        : { dim: 32, n_heads: 4, n_layers: 2, hidden_dim: 64 };
      const model = initMaskedLM(parseConfig({ ...json, ...sizes, vocab_size: 50, initializer_range: 0.2 }), {
        seed: 5,
      });
      try {
        await exportOnnx(model, `${dir}/${name}`);
        const bert = json.model_type === "bert";
        const theirs = await runTransformersJs({
          modelDir: `${dir}/${name}`,
          logits: { ...batch, ...(bert ? { token_type_ids: batch.input_ids.map((r) => r.map(() => 0)) } : {}) },
        });
        const ours = await ourLogits(model, batch);
        assertEquals(theirs.logits!.dims, ours.dims, `${name}: logits shape`);
        const diff = maxAbsDiff(theirs.logits!.data, ours.data);
        assert(diff <= TOLERANCE, `${name}: onnxruntime logits differ from ours by ${diff}`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
