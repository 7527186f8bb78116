import { tf } from "../../lib/deps.ts";
import { assertTokenizerMatches, loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { encodeSafetensors, readSafetensors, type SafeTensor } from "../../lib/model/safetensors.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";

const ignore = !haveShared("goldens/tiny-bert/model.safetensors", "checkpoint load/save");

/** A copy of a golden checkpoint folder whose tensors went through `edit`. */
async function editedCopy(name: string, edit: (t: Map<string, SafeTensor>) => void): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(`${SHARED}/goldens/${name}/config.json`, `${dir}/config.json`);
  const file = await readSafetensors(`${SHARED}/goldens/${name}/model.safetensors`);
  edit(file.tensors);
  await Deno.writeFile(`${dir}/model.safetensors`, encodeSafetensors(file.tensors));
  return dir;
}

Deno.test({
  name: "savePretrained → loadMaskedLM: config and tensors round-trip, model.safetensors byte-identical to HF's",
  ignore,
  fn: async () => {
    const out = await Deno.makeTempDir();
    try {
      for (const name of ["tiny-distilbert", "tiny-bert"]) {
        const model = await loadMaskedLM(`${SHARED}/goldens/${name}`);
        await savePretrained(model, `${out}/${name}`, { tokenizerDir: `${SHARED}/data/bert-base-uncased` });
        const files = [...Deno.readDirSync(`${out}/${name}`)].map((e) => e.name).sort();
        assertEquals(files, [
          "config.json",
          "model.safetensors",
          "tokenizer.json",
          "tokenizer_config.json",
          "vocab.txt",
        ]);
        const ours = await Deno.readFile(`${out}/${name}/model.safetensors`);
        const theirs = await Deno.readFile(`${SHARED}/goldens/${name}/model.safetensors`);
        assert(ours.length === theirs.length && ours.every((b, i) => b === theirs[i]), `${name}: file bytes differ`);
        const back = await loadMaskedLM(`${out}/${name}`);
        assertEquals(back.config, model.config);
        for (const [p, v] of model.params) {
          assertEquals(await back.params.get(p)!.data(), await v.data(), p);
        }
        // saving again into the existing folder keeps other files and replaces ours
        await Deno.writeTextFile(`${out}/${name}/README.md`, "card");
        await savePretrained(back, `${out}/${name}`);
        assertEquals(await Deno.readTextFile(`${out}/${name}/README.md`), "card");
        model.dispose();
        back.dispose();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadMaskedLM: legacy gamma/beta names, a saved tied decoder and pooler weights are accepted",
  ignore,
  fn: async () => {
    const dir = await editedCopy("tiny-bert", (t) => {
      const ln = t.get("bert.embeddings.LayerNorm.weight")!;
      t.delete("bert.embeddings.LayerNorm.weight");
      t.set("bert.embeddings.LayerNorm.gamma", ln);
      const b = t.get("bert.embeddings.LayerNorm.bias")!;
      t.delete("bert.embeddings.LayerNorm.bias");
      t.set("bert.embeddings.LayerNorm.beta", b);
      t.set("cls.predictions.decoder.weight", t.get("bert.embeddings.word_embeddings.weight")!);
      t.set("bert.pooler.dense.bias", { shape: [32], data: new Float32Array(32) });
    });
    try {
      const model = await loadMaskedLM(dir);
      const ref = await readSafetensors(`${SHARED}/goldens/tiny-bert/model.safetensors`);
      assertEquals(
        await model.params.get("bert.embeddings.LayerNorm.weight")!.data(),
        ref.tensors.get("bert.embeddings.LayerNorm.weight")!.data,
      );
      assertEquals(model.params.has("cls.predictions.decoder.weight"), false, "tied decoder is not a second parameter");
      model.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadMaskedLM: missing, extra and mis-shaped tensors fail with name and shapes; nothing is loaded",
  ignore,
  fn: async () => {
    const variables = tf.memory().numTensors;
    const cases: [string, (t: Map<string, SafeTensor>) => void, string[]][] = [
      ["missing", (t) => t.delete("vocab_transform.weight"), ['missing tensor "vocab_transform.weight"', "[32,32]"]],
      ["extra", (t) => t.set("classifier.weight", { shape: [2, 32], data: new Float32Array(64) }), [
        'unexpected tensor "classifier.weight"',
        "[2,32]",
      ]],
      ["shape", (t) => t.set("vocab_projector.bias", { shape: [999], data: new Float32Array(999) }), [
        'tensor "vocab_projector.bias": expected shape [1000], found [999]',
      ]],
    ];
    for (const [what, edit, needles] of cases) {
      const dir = await editedCopy("tiny-distilbert", edit);
      try {
        const err = await assertRejects(() => loadMaskedLM(dir), "nothing was loaded");
        for (const n of needles) assertStringIncludes(err.message, n, what);
        assertStringIncludes(err.message, `${dir}/model.safetensors`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    assertEquals(tf.memory().numTensors, variables, "no variable was created");
  },
});

Deno.test({
  name: "loadMaskedLM: a config that does not match the weights, or a corrupt file, fails clearly",
  ignore,
  fn: async () => {
    const dir = await editedCopy("tiny-distilbert", () => {});
    try {
      const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, n_layers: 3 }));
      const err = await assertRejects(() => loadMaskedLM(dir), "does not match the config");
      assertStringIncludes(err.message, 'missing tensor "distilbert.transformer.layer.2.attention.k_lin.bias"');
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, dim: 64 }));
      await assertRejects(() => loadMaskedLM(dir), "expected shape [1000,64], found [1000,32]");
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, model_type: "gpt2" }));
      await assertRejects(() => loadMaskedLM(dir), 'supported: "distilbert", "bert"');
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
      await assertRejects(() => loadMaskedLM(dir, { tokenizer: { vocabSize: 30522 } }), "vocabulary has 30522 tokens");
      const bytes = await Deno.readFile(`${dir}/model.safetensors`);
      await Deno.writeFile(`${dir}/model.safetensors`, bytes.subarray(0, bytes.length - 100));
      await assertRejects(() => loadMaskedLM(dir), "truncated");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("assertTokenizerMatches: a tokenizer of another vocabulary size fails", () => {
  const config = { model_type: "bert", vocab_size: 1000 } as Parameters<typeof assertTokenizerMatches>[0];
  assertTokenizerMatches(config, { vocabSize: 1000 });
  assertThrows(
    () => assertTokenizerMatches(config, { vocabSize: 30522, dir: "tok/" }),
    "tok/: tokenizer vocabulary has 30522",
  );
});
