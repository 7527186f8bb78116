/**
 * Make `fixtures/demo/`: the demo corpus (text written for this project, see `demo_corpus.ts`), a WordPiece
 * tokenizer over its words (HF `tokenizer.json` + `vocab.txt`), and a tiny DistilBERT initialised from a seed and
 * pre-trained briefly on the generic sentences, so the demo's movie-review adaptation starts from a model that knows
 * everyday English but not films. Deterministic: the same seed gives the same files.
 *
 *     deno run --allow-read --allow-write --allow-env --allow-sys tools/make_demo_fixture.ts [--epochs 6]
 *
 * @module
 */
import { parseFlags } from "../lib/cli.ts";
import { Rng } from "../lib/data/rng.ts";
import { parseConfig } from "../lib/model/config.ts";
import { initMaskedLM } from "../lib/model/init.ts";
import { savePretrained } from "../lib/model/pretrained.ts";
import { selectBackend } from "../lib/model/backend.ts";
import { createMlmCollator } from "../lib/collate/mlm.ts";
import { batchFixed, maskOnce } from "../lib/collate/mask_once.ts";
import { loadTokenizer } from "../lib/tokenize/tokenizer.ts";
import { trainTestSplit } from "../lib/data/split.ts";
import { train } from "../lib/train/trainer.ts";
import { textsToChunks } from "../lib/train/demo.ts";
import { demoWords, makeDemoCorpus } from "./demo_corpus.ts";

const SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/** Vocabulary: specials, punctuation, digits, letters and `##` letters (so any word tokenizes), suffixes, words. */
function vocabulary(): string[] {
  const letters = "abcdefghijklmnopqrstuvwxyz".split("");
  const vocab = [
    ...SPECIAL,
    ..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".split(""),
    ..."0123456789".split(""),
    ...letters,
    ...letters.map((c) => `##${c}`),
    "##s",
    "##ed",
    "##ing",
    "##ly",
    "##er",
  ];
  const seen = new Set(vocab);
  for (const w of demoWords()) if (!seen.has(w)) vocab.push(w), seen.add(w);
  return vocab;
}

async function writeTokenizer(dir: string, vocab: string[]): Promise<void> {
  const id = (t: string) => vocab.indexOf(t);
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(tokenizer, null, 1) + "\n");
  await Deno.writeTextFile(`${dir}/vocab.txt`, vocab.join("\n") + "\n");
  await Deno.writeTextFile(
    `${dir}/tokenizer_config.json`,
    JSON.stringify(
      {
        do_lower_case: true,
        model_max_length: 128,
        tokenizer_class: "BertTokenizer",
        unk_token: "[UNK]",
        sep_token: "[SEP]",
        pad_token: "[PAD]",
        cls_token: "[CLS]",
        mask_token: "[MASK]",
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(
    `${dir}/special_tokens_map.json`,
    JSON.stringify(
      { unk_token: "[UNK]", sep_token: "[SEP]", pad_token: "[PAD]", cls_token: "[CLS]", mask_token: "[MASK]" },
      null,
      2,
    ) + "\n",
  );
}

const flags = parseFlags(Deno.args, {
  out: {
    type: "string",
    default: new URL("../fixtures/demo", import.meta.url).pathname,
    help: "fixture folder",
    multiple: false,
  },
  seed: { type: "string", default: "2024", help: "seed of corpus, weights and pre-training", multiple: false },
  epochs: { type: "string", default: "12", help: "pre-training epochs on the generic sentences", multiple: false },
  backend: { type: "string", default: "wasm", help: "tfjs backend", multiple: false },
  lr: { type: "string", default: "2e-3", help: "pre-training learning rate", multiple: false },
}, "deno run --allow-read --allow-write --allow-env --allow-sys tools/make_demo_fixture.ts [flags]").values;
const out = flags.out as string;
const seed = Number(flags.seed);
await selectBackend(flags.backend as "cpu");

const corpus = makeDemoCorpus({ seed, reviews: 400, paragraphs: 1500 });
await Deno.mkdir(`${out}/corpus`, { recursive: true });
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
await Deno.writeTextFile(`${out}/corpus/movie_reviews.jsonl`, jsonl(corpus.reviews));
await Deno.writeTextFile(`${out}/corpus/generic.jsonl`, jsonl(corpus.generic));

const vocab = vocabulary();
const tokDir = await Deno.makeTempDir({ prefix: "demo-tokenizer-" });
await writeTokenizer(tokDir, vocab);
const tokenizer = await loadTokenizer(tokDir);
const config = parseConfig({
  model_type: "distilbert",
  architectures: ["DistilBertForMaskedLM"],
  vocab_size: vocab.length,
  dim: 64,
  n_layers: 2,
  n_heads: 4,
  hidden_dim: 256,
  max_position_embeddings: 128,
  dropout: 0.1,
  attention_dropout: 0.1,
  pad_token_id: 0,
});
const model = initMaskedLM(config, { seed });
console.log(`vocab ${vocab.length}, ${model.numParameters()} parameters`);

const chunks = textsToChunks(corpus.generic.map((g) => g.text), tokenizer, { chunkSize: 64 });
const { train: trainChunks, test } = trainTestSplit(chunks, { testSize: 0.05, seed });
const ids = {
  maskTokenId: tokenizer.maskTokenId,
  vocabSize: tokenizer.vocabSize,
  specialIds: tokenizer.allSpecialIds,
  padTokenId: tokenizer.padTokenId,
};
const runDir = await Deno.makeTempDir({ prefix: "demo-pretrain-" });
const result = await train(model, {
  outputDir: runDir,
  learningRate: Number(flags.lr),
  weightDecay: 0.01,
  perDeviceTrainBatchSize: 32,
  numTrainEpochs: Number(flags.epochs),
  warmupSteps: 30,
  seed,
  saveStrategy: "no",
}, {
  train: trainChunks,
  evalBatches: batchFixed(maskOnce(test, createMlmCollator({ ...ids, seed: seed + 1 })), 32),
  makeCollator: (rng: Rng) => createMlmCollator({ ...ids, rng }),
  saveModel: async () => {},
});
console.log(result.table);
await Deno.remove(`${out}/model`, { recursive: true }).catch(() => {});
await savePretrained(model, `${out}/model`, { tokenizerDir: tokDir });
await Deno.remove(tokDir, { recursive: true });
await Deno.remove(runDir, { recursive: true });
console.log(`wrote ${out}/model and ${out}/corpus`);
