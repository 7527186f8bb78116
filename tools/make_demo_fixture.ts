/**
 * Make `fixtures/demo/`: the demo corpus (text written for this project, see `demo_corpus.ts`), a WordPiece
 * tokenizer over its words (HF `tokenizer.json` + `vocab.txt`), and a tiny DistilBERT initialised from a seed and
 * pre-trained on the generic sentences only (16-token chunks, then the demo's 32), so the demo's movie-review
 * adaptation starts from a model that knows everyday English but not films. Writes `fixtures/demo/README.md` with the
 * command, its time and the pre-training tables. Deterministic: the same flags give the same files on one backend
 * (about 110 s on wasm, 2 cores).
 *
 *     deno run --allow-read --allow-write --allow-env --allow-sys tools/make_demo_fixture.ts
 *
 * @module
 */
import { BERT_SPECIAL_TOKENS, bertWordPieceTokenizerJson } from "../lib/tokenize/wordpiece.ts";
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
import { DEMO_CHUNK_SIZE, DEMO_PROMPTS, textsToChunks } from "../lib/app/demo.ts";
import { FileSink } from "../lib/app/file_sink.ts";
import { fillMask } from "../lib/pipelines/fill_mask.ts";
import { demoWords, makeDemoCorpus } from "./demo_corpus.ts";

const SPECIAL = BERT_SPECIAL_TOKENS;

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
  const tokenizer = bertWordPieceTokenizerJson(vocab);
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
  paragraphs: { type: "string", default: "3000", help: "generic paragraphs to write", multiple: false },
  reviews: { type: "string", default: "800", help: "movie reviews to write", multiple: false },
  dim: { type: "string", default: "64", help: "hidden size", multiple: false },
  layers: { type: "string", default: "2", help: "transformer layers", multiple: false },
  "short-epochs": { type: "string", default: "3", help: "pre-training epochs on 16-token chunks", multiple: false },
  epochs: { type: "string", default: "4", help: "then epochs on the demo's chunk length", multiple: false },
  batch: { type: "string", default: "16", help: "pre-training batch size", multiple: false },
  warmup: { type: "string", default: "100", help: "pre-training warm-up steps (each stage)", multiple: false },
  dropout: { type: "string", default: "0", help: "dropout and attention dropout of the config", multiple: false },
  init: { type: "string", default: "0.1", help: "initializer_range (std of the initial weights)", multiple: false },
  backend: { type: "string", default: "wasm", help: "tfjs backend", multiple: false },
  lr: { type: "string", default: "2e-3", help: "pre-training learning rate", multiple: false },
}, "deno run --allow-read --allow-write --allow-env --allow-sys tools/make_demo_fixture.ts [flags]").values;
const t0 = performance.now();
const out = flags.out as string;
const seed = Number(flags.seed);
const dim = Number(flags.dim);
await selectBackend(flags.backend as "cpu");

const corpus = makeDemoCorpus({ seed, reviews: Number(flags.reviews), paragraphs: Number(flags.paragraphs) });
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
  dim,
  n_layers: Number(flags.layers),
  n_heads: 4,
  hidden_dim: 4 * dim,
  max_position_embeddings: 128,
  dropout: Number(flags.dropout),
  attention_dropout: Number(flags.dropout),
  pad_token_id: 0,
  initializer_range: Number(flags.init),
});
const model = initMaskedLM(config, { seed });
console.log(`vocab ${vocab.length}, ${model.numParameters()} parameters`);

const ids = {
  maskTokenId: tokenizer.maskTokenId,
  vocabSize: tokenizer.vocabSize,
  specialIds: tokenizer.allSpecialIds,
  padTokenId: tokenizer.padTokenId,
};
const texts = corpus.generic.map((g) => g.text);
/** One pre-training stage on the generic text cut into `chunkSize`-token chunks; returns the epoch table. */
async function pretrain(chunkSize: number, epochs: number, stage: number): Promise<string> {
  const chunks = textsToChunks(texts, tokenizer, { chunkSize });
  const { train: trainChunks, test } = trainTestSplit(chunks, { testSize: 0.05, seed });
  console.log(`stage ${stage}: ${trainChunks.length} chunks of ${chunkSize} tokens, ${epochs} epochs`);
  const runDir = await Deno.makeTempDir({ prefix: "demo-pretrain-" });
  const result = await train(model, {
    outputDir: runDir,
    learningRate: Number(flags.lr),
    weightDecay: 0.01,
    perDeviceTrainBatchSize: Number(flags.batch),
    numTrainEpochs: epochs,
    warmupSteps: Number(flags.warmup),
    seed: seed + stage,
    saveStrategy: "no",
  }, {
    train: trainChunks,
    evalBatches: batchFixed(maskOnce(test, createMlmCollator({ ...ids, seed: seed + 1 })), 32),
    makeCollator: (rng: Rng) => createMlmCollator({ ...ids, rng }),
  }, new FileSink(runDir, { saveModel: async () => {} }));
  await Deno.remove(runDir, { recursive: true });
  return `Stage ${stage}, chunks of ${chunkSize} tokens:\n\n${result.table}`;
}
// Short chunks first: with few tokens in view, attention breaks out of the unigram plateau within a few hundred
// steps (with 64-token chunks it had not after 1,000); then the length the demo uses.
const tables = [
  await pretrain(16, Number(flags["short-epochs"]), 1),
  await pretrain(DEMO_CHUNK_SIZE, Number(flags.epochs), 2),
];
const fills: string[] = [];
for (const prompt of DEMO_PROMPTS) {
  const [guesses] = await fillMask(model, tokenizer, prompt, { topK: 5 });
  fills.push(`${prompt} → ${guesses.map((g) => `${g.token_str} ${(100 * g.score).toFixed(1)}%`).join(", ")}`);
}
console.log(fills.join("\n"));
await Deno.remove(`${out}/model`, { recursive: true }).catch(() => {});
await savePretrained(model, `${out}/model`, { tokenizerDir: tokDir });
await Deno.remove(tokDir, { recursive: true });
const seconds = (performance.now() - t0) / 1000;
const command = `deno run --allow-read --allow-write --allow-env --allow-sys tools/make_demo_fixture.ts ${
  Deno.args.join(" ")
}`.trim();
await Deno.writeTextFile(
  `${out}/README.md`,
  [
    "# Demo fixture (generated — do not edit)",
    "",
    "Made by `tools/make_demo_fixture.ts` for `deno task demo`. Every text here was generated from the templates and",
    "word lists in `tools/demo_corpus.ts`, written for this project.",
    "",
    "- `corpus/generic.jsonl`: everyday paragraphs (pre-training); `corpus/movie_reviews.jsonl`: movie reviews",
    "  (`{text, label}`, 1 positive), the demo's domain.",
    `- \`model/\`: a ${model.numParameters().toLocaleString("en-US")}-parameter DistilBERT (dim ${dim}, ` +
    `${config.n_layers} layers, WordPiece vocabulary of ${vocab.length}) pre-trained on the generic corpus only.`,
    "",
    "Command (seeded; the same flags give the same files on the same backend):",
    "",
    "```sh",
    command,
    "```",
    "",
    `It took ${seconds.toFixed(0)} s on the ${flags.backend} backend (2 shared CPU cores). Pre-training:`,
    "",
    ...tables.flatMap((t) => [t, ""]),
    "",
    "Fill-mask after pre-training (generic words, no films):",
    "",
    ...fills.map((f) => `- ${f}`),
    "",
  ].join("\n"),
);
console.log(`wrote ${out}/model, ${out}/corpus and ${out}/README.md in ${seconds.toFixed(0)} s`);
