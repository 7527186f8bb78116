// A random RobertaForMaskedLM and XLMRobertaForMaskedLM, saved by transformers with the real roberta-base /
// xlm-roberta-base tokenizers (tools/reference/make_roberta_goldens.py; the folder is rebuilt by roberta_fixture.ts),
// load with loadMaskedLM / loadTokenizer and give transformers' logits, loss and every gradient on a padded batch:
// logits within 1e-5 and gradients within 1e-4, relative (max |ours - theirs| / max |theirs|), on cpu, wasm and
// webgpu. The vocabulary-sized tensors are compared at the golden's columns / rows, plus their sums (relative to the
// gradient's norm) and sums of squares over the whole vocabulary.
import { tf } from "../../lib/deps.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readSafetensors, type SafeTensor } from "../../lib/model/safetensors.ts";
import { type BackendName, selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT } from "../support/shared.ts";
import { goldenBatch } from "../support/goldens.ts";
import { maxBindingBytes } from "../../lib/model/masked_lm.ts";
import { hfKey, ROBERTA_BASE1, ROBERTA_FIXTURES, writeRobertaFixture } from "./roberta_fixture.ts";

const TEXTS = [
  "This movie was a <mask> film with a wonderful cast.",
  "Terrible.",
  "東京で映画を見た。 Café <mask>  déjà vu 🎬",
];

function rel(ours: ArrayLike<number>, theirs: ArrayLike<number>, floor = 1e-6): number {
  assertEquals(ours.length, theirs.length);
  let diff = 0, scale = floor;
  for (let i = 0; i < theirs.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  return diff / scale;
}

async function parity(name: string, tokenizer: string, backend: BackendName): Promise<void> {
  const dir = await writeRobertaFixture(name, tokenizer);
  const g = (await readSafetensors(`${ROOT}/fixtures/reference/${name}/goldens.safetensors`)).tensors;
  const golden = (key: string): SafeTensor | undefined => {
    // named_parameters() may call the tied word embeddings lm_head.decoder.weight
    const [kind, param] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
    for (const [n, t] of g) if (n.startsWith(`${kind}.`) && hfKey(n.slice(kind.length + 1)) === param) return t;
    return undefined;
  };
  const tok = await loadTokenizer(dir);
  const batch = goldenBatch(g);
  const [rows, seq] = batch.shape;
  for (let r = 0; r < rows; r++) {
    const ids = tok.encode(TEXTS[r]).input_ids;
    const padded = [...ids, ...new Array(seq - ids.length).fill(tok.padTokenId)];
    assertEquals(padded, [...batch.input_ids.slice(r * seq, (r + 1) * seq)], `${name}: row ${r} ids`);
  }
  const model = await loadMaskedLM(dir);
  try {
    const vocab = model.config.vocab_size;
    const t = tf.tidy(() =>
      model.logits(tf.tensor2d(batch.input_ids, batch.shape, "int32"), tf.tensor2d(batch.attention_mask, batch.shape))
    );
    const logits = (await t.data()) as Float32Array;
    t.dispose();
    const cols = g.get("cols")!.data;
    const atCols = new Float32Array(rows * seq * cols.length);
    const lse = new Float64Array(rows * seq);
    for (let p = 0; p < rows * seq; p++) {
      cols.forEach((c, j) => atCols[p * cols.length + j] = logits[p * vocab + c]);
      let max = -Infinity, sum = 0;
      for (let v = 0; v < vocab; v++) max = Math.max(max, logits[p * vocab + v]);
      for (let v = 0; v < vocab; v++) sum += Math.exp(logits[p * vocab + v] - max);
      lse[p] = max + Math.log(sum);
    }
    const logitsRel = Math.max(rel(atCols, g.get("logits_cols")!.data), rel(lse, g.get("logsumexp")!.data));

    const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
    const loss = (await value.data())[0];
    const lossRel = Math.abs(loss - g.get("loss")!.data[0]) / g.get("loss")!.data[0];
    let worst = 0, worstName = "";
    for (const [pname, v] of model.params) {
      const ours = (await grads[v.name].data()) as Float32Array;
      let r: number;
      const full = golden(`grad.${pname}`);
      if (full) {
        // The attention key's bias has a zero gradient in exact arithmetic (softmax ignores a per-query shift): both
        // sides hold rounding noise (~1e-9 at roberta-base's width), measured against 1e-4 instead of its own scale.
        r = rel(ours, full.data, /attention\.self\.key\.bias$/.test(pname) ? 1e-4 : 1e-6);
      } else {
        const rowsT = golden(`grad_rows.${pname}`),
          sumT = golden(`grad_sum.${pname}`),
          sqT = golden(`grad_sq.${pname}`);
        assert(rowsT && sumT && sqT, `${name}: the golden has no gradient for ${pname}`);
        const width = v.shape.length === 2 ? v.shape[1] : 1;
        const idx = golden(`grad_rows_idx.${pname}`)?.data ?? cols;
        const picked = new Float32Array(idx.length * width);
        idx.forEach((c, j) => picked.set(ours.subarray(c * width, (c + 1) * width), j * width));
        const sum = new Float64Array(width);
        let sq = 0;
        for (let i = 0; i < ours.length; i++) sum[i % width] += ours[i], sq += ours[i] * ours[i];
        // The sum over the vocabulary is analytically zero for lm_head.bias (softmax minus one-hot sums to 0): its
        // difference is measured against the gradient's norm.
        const sumScale = Math.max(...Array.from(sumT.data, Math.abs), Math.sqrt(sqT.data[0]));
        let sumDiff = 0;
        sum.forEach((x, i) => sumDiff = Math.max(sumDiff, Math.abs(x - sumT.data[i])));
        r = Math.max(rel(picked, rowsT.data), sumDiff / sumScale, Math.abs(sq - sqT.data[0]) / sqT.data[0]);
      }
      if (r >= worst) [worst, worstName] = [r, pname];
    }
    tf.dispose([value, ...Object.values(grads)]);
    console.log(
      `${backend} ${name}: logits rel ${logitsRel.toExponential(2)}, loss rel ${lossRel.toExponential(2)}, ` +
        `worst grad rel ${worst.toExponential(2)} (${worstName}), ${model.params.size} parameters`,
    );
    assert(logitsRel <= 1e-5, `${name} logits rel ${logitsRel}`);
    assert(lossRel <= 1e-5, `${name} loss rel ${lossRel}`);
    assert(worst <= 1e-4, `${name} gradient of ${worstName}: rel ${worst}`);
    const layers = model.config.num_hidden_layers as number;
    assertEquals(model.params.size, 10 + 16 * layers, "every tensor transformers saved (the tied decoder is not one)");
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

async function checkOn(backend: BackendName): Promise<void> {
  await selectBackend(backend, { log: () => {} });
  try {
    for (const { name, tokenizer } of ROBERTA_FIXTURES) await parity(name, tokenizer, backend);
  } finally {
    await selectBackend("cpu", { log: () => {} });
  }
}

const ignore = !haveShared("data/xlm-roberta-base/tokenizer.json", "roberta parity") ||
  !haveShared("data/roberta-base/tokenizer.json", "roberta parity");

Deno.test({ name: "roberta/xlm-roberta parity with transformers on cpu", ignore, fn: () => checkOn("cpu") });

Deno.test({ name: "roberta/xlm-roberta parity with transformers on wasm", ignore, fn: () => checkOn("wasm") });

const adapter = ignore ? undefined : await webgpuAdapter();
Deno.test({
  name: "roberta/xlm-roberta parity with transformers on webgpu",
  ignore: ignore || !adapter,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => checkOn("webgpu"),
});

Deno.test({
  name: "roberta parity with transformers, roberta-base shapes with one layer (cpu, wasm, webgpu)",
  ignore: !haveShared("data/roberta-base/tokenizer.json", "roberta base-shaped parity"),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    try {
      for (const backend of ["cpu", "wasm", ...(adapter ? ["webgpu"] : [])] as BackendName[]) {
        await selectBackend(backend, { log: () => {} });
        const binds = maxBindingBytes();
        if (backend === "webgpu" && binds < 50265 * 768 * 4) {
          // Mesa lavapipe binds 128 MiB; roberta-base's 154 MB embedding matrix must fail loudly, not read garbage.
          const err = await parity(ROBERTA_BASE1.name, ROBERTA_BASE1.tokenizer, backend).catch((e) => e as Error);
          assert(err instanceof Error && err.message.includes("maxStorageBufferBindingSize"), String(err));
          console.log(`webgpu ${ROBERTA_BASE1.name}: refused (${binds}-byte bindings): ${err.message.slice(0, 80)}…`);
          continue;
        }
        await parity(ROBERTA_BASE1.name, ROBERTA_BASE1.tokenizer, backend);
      }
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
