import { tf } from "../../lib/deps.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import type { MaskedLM } from "../../lib/model/masked_lm.ts";
import { savePretrained } from "../../lib/model/pretrained.ts";
import { fillMask, type FillMaskPrediction, formatFillMask, pipelineOutput } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer, type Tokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";

const ignore = !haveShared("data/bert-base-uncased/tokenizer.json", "fill-mask");

async function setup(): Promise<{ tok: Tokenizer; model: MaskedLM }> {
  const tok = await loadTokenizer(`${SHARED}/data/bert-base-uncased`);
  const config = parseConfig({
    model_type: "bert",
    vocab_size: tok.vocabSize,
    hidden_size: 16,
    num_attention_heads: 2,
    num_hidden_layers: 1,
    intermediate_size: 32,
  });
  return { tok, model: initMaskedLM(config, { seed: 3 }) };
}

Deno.test({
  name: "fillMask: top-k softmax scores at the mask, HF's token_str and sequence",
  ignore,
  fn: async () => {
    const { tok, model } = await setup();
    try {
      const text = "This is a great [MASK].";
      const [out] = await fillMask(model, tok, text, { topK: 4 });
      assertEquals(out.length, 4);
      // the same numbers straight from the logits
      const enc = tok.encode(text);
      const pos = enc.input_ids.indexOf(tok.maskTokenId);
      const logits = model.logits(
        tf.tensor2d([enc.input_ids], undefined, "int32"),
        tf.tensor2d([enc.attention_mask], undefined, "int32"),
      );
      const probs = await tf.softmax(logits.slice([0, pos, 0], [1, 1, -1]).reshape([-1])).data();
      logits.dispose();
      const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 4);
      assertEquals(out.map((p) => p.token), order);
      for (const p of out) {
        assertAlmostEquals(p.score, probs[p.token], 1e-7);
        assertEquals(p.token_str, tok.decode([p.token]));
        const ids = enc.input_ids.slice();
        ids[pos] = p.token;
        assertEquals(p.sequence, tok.decode(ids, { skipSpecialTokens: true }));
        assert(!p.sequence.includes("[CLS]"));
      }
      assertStringIncludes(formatFillMask([out]), out[0].token_str);
    } finally {
      model.dispose();
    }
  },
});

Deno.test({
  name: "fillMask: several masks give one list per mask (special tokens kept, as HF); several texts one result each",
  ignore,
  fn: async () => {
    const { tok, model } = await setup();
    try {
      const out = await fillMask(model, tok, ["The [MASK] sat on the [MASK].", "Hello [MASK]!"], { topK: 2 });
      assertEquals(out.length, 2);
      const two = out[0];
      assertEquals(two.length, 2);
      assertEquals(two[0].length, 2);
      assert(two[0][0].sequence.startsWith("[CLS] the "), two[0][0].sequence);
      assertStringIncludes(two[0][0].sequence, "[MASK]");
      assertEquals(out[1][0].length, 2);
      assertStringIncludes(formatFillMask(two), "mask 2 of 2");
    } finally {
      model.dispose();
    }
  },
});

Deno.test({
  name: "fillMask: no mask token, or a tokenizer of another vocabulary size, fails clearly",
  ignore,
  fn: async () => {
    const { tok, model } = await setup();
    const other = initMaskedLM(
      parseConfig({ model_type: "distilbert", vocab_size: 1000, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 8 }),
      { seed: 0 },
    );
    try {
      await assertRejects(() => fillMask(model, tok, "No mask here."), "no mask token [MASK]");
      await assertRejects(() => fillMask(other, tok, "a [MASK]"), "tokenizer vocabulary has 30522 tokens");
    } finally {
      model.dispose();
      other.dispose();
    }
  },
});

Deno.test({
  name: "deno task fill-mask: table and --json from a saved checkpoint",
  ignore,
  fn: async () => {
    const { model } = await setup();
    const dir = await Deno.makeTempDir();
    try {
      await savePretrained(model, dir, { tokenizerDir: `${SHARED}/data/bert-base-uncased` });
      const run = async (...args: string[]) => {
        const cmd = new Deno.Command("deno", {
          args: ["run", "--allow-read", `${ROOT}/tasks/fill_mask.ts`, "--model", dir, "--backend", "cpu", ...args],
          stdout: "piped",
          stderr: "piped",
        });
        const r = await cmd.output();
        return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
      };
      const table = await run("This is a great [MASK].", "--top-k", "3");
      assertEquals(table.code, 0, table.err);
      assertStringIncludes(table.out, "score");
      assertStringIncludes(table.out, "token_str");
      assertStringIncludes(table.err, "backend: cpu");
      const json = await run("This is a great [MASK].", "--json", "--top-k", "2");
      const parsed = JSON.parse(json.out) as FillMaskPrediction[];
      assertEquals(parsed.length, 2);
      assertEquals(Object.keys(parsed[0]), ["score", "token", "token_str", "sequence"]);
      const bad = await run("no mask");
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.err, "no mask token");
    } finally {
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// HF's pipeline output for the tiny reference models, when tools/reference/make_model_goldens.py has been run.
for (const name of ["tiny-distilbert", "tiny-bert"]) {
  const dir = `${ROOT}/fixtures/reference/${name}`;
  let present = true;
  try {
    Deno.statSync(`${dir}/fill_mask.json`);
  } catch {
    present = false;
    console.log(`SKIP fill-mask vs HF pipeline on ${name}: ${dir}/fill_mask.json is absent (make_model_goldens.py)`);
  }
  Deno.test({
    name: `fillMask equals HF pipeline("fill-mask") on ${name}`,
    ignore: !present,
    fn: async () => {
      const { loadMaskedLM } = await import("../../lib/model/pretrained.ts");
      const ref = JSON.parse(await Deno.readTextFile(`${dir}/fill_mask.json`));
      const tok = await loadTokenizer(dir);
      const model = await loadMaskedLM(dir);
      try {
        for (let i = 0; i < ref.texts.length; i++) {
          const ours = pipelineOutput(await fillMask(model, tok, ref.texts[i], { topK: ref.top_k }));
          const theirs = ref.outputs[i];
          const flat = (x: unknown) => (x as FillMaskPrediction[] | FillMaskPrediction[][]).flat();
          assertEquals(
            JSON.stringify(ours.map((x) => Array.isArray(x))),
            JSON.stringify(theirs.map((x: unknown) => Array.isArray(x))),
          );
          flat(ours).forEach((p, k) => {
            const q = flat(theirs)[k];
            assertEquals([p.token, p.token_str, p.sequence], [q.token, q.token_str, q.sequence]);
            assertAlmostEquals(p.score, q.score, 1e-5);
          });
        }
      } finally {
        model.dispose();
      }
    },
  });
}
