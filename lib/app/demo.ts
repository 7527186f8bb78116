/**
 * The offline demo (`deno task demo`): a tiny DistilBERT from `fixtures/demo/model` (pre-trained on generic everyday
 * sentences only by `tools/make_demo_fixture.ts`, so "This is a great [MASK]." gives day, book, friend…) is
 * domain-adapted on a small corpus of movie reviews written for this project
 * (`fixtures/demo/corpus/movie_reviews.jsonl`), exactly as the course adapts distilbert-base-uncased to IMDb: chunks,
 * a random-token masking collator, AdamW + linear schedule, perplexity on an eval set masked once, and fill-mask
 * predictions before and after. It runs the browser page's `adaptInMemory` (`lib/web/adapt.ts`) with a file sink:
 * the same split, eval masks, loop and before/after evaluation, plus a run folder.
 *
 * @module
 */
import type { Chunk } from "../data/types.ts";
import { groupTexts } from "../data/group_texts.ts";
import { readTexts } from "../data/records.ts";
import { loadTokenizer, type Tokenizer } from "../tokenize/tokenizer.ts";
import { type BackendName, selectBackend } from "../model/backend.ts";
import { loadMaskedLM, savePretrained } from "../model/pretrained.ts";
import type { FillMaskPrediction } from "../pipelines/fill_mask.ts";
import { adaptInMemory, type AdaptResult } from "../web/adapt.ts";
import { renderReport } from "../report/render.ts";
import { FileSink } from "./file_sink.ts";
import { prepareOutputDir } from "./run_dir.ts";

/**
 * The demo's fixture folder (model + tokenizer, corpus): the project's `fixtures/demo`, found from this module, or —
 * when this code runs from a `deno bundle` output, which has no project beside it — from the working directory.
 */
export const DEMO_FIXTURE_DIR: string = demoFixtureDir();

function demoFixtureDir(): string {
  const here = new URL("../../fixtures/demo", import.meta.url);
  if (here.protocol !== "file:") return here.pathname;
  try {
    Deno.statSync(here);
    return here.pathname;
  } catch {
    try {
      const fromCwd = `${Deno.cwd()}/fixtures/demo`;
      Deno.statSync(fromCwd);
      return fromCwd;
    } catch {
      return here.pathname; // reported by whoever reads it
    }
  }
}

/** Tokens per chunk in the demo (and in the fixture's second pre-training stage). */
export const DEMO_CHUNK_SIZE = 32;

/** Sentences the demo fills before and after adaptation (the course's "This is a great [MASK]." among them). */
export const DEMO_PROMPTS: readonly string[] = [
  "This is a great [MASK].",
  "The [MASK] was amazing.",
  "I watched the [MASK] last night.",
];

/**
 * Tokenize `texts` and cut them into chunks (the course's `tokenize_function` + `group_texts`).
 *
 * @example
 * ```ts ignore
 * const chunks = textsToChunks(["A review.", "Another one."], tokenizer, { chunkSize: DEMO_CHUNK_SIZE });
 * ```
 */
export function textsToChunks(
  texts: readonly string[],
  tokenizer: Tokenizer,
  options: { chunkSize: number; groupBatch?: number | "global" },
): Chunk[] {
  return groupTexts(tokenizer.encodeBatch([...texts]), {
    chunkSize: options.chunkSize,
    groupBatch: options.groupBatch,
  });
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Backend (default `wasm`: the fastest here for this tiny model on a CPU machine). */
  backend?: BackendName;
  /** Fixture folder (default {@link DEMO_FIXTURE_DIR}). */
  fixtureDir?: string;
  /** Epochs of adaptation (default 3). */
  epochs?: number;
  /** Learning rate (default 1e-3: a tiny model needs more than distilbert's 2e-5). */
  learningRate?: number;
  /** Seed (default 42). */
  seed?: number;
  /**
   * Where the run's metrics, trainer state and adapted model go, replacing an earlier demo run there (default: a
   * temporary folder, removed afterwards).
   */
  outputDir?: string;
  /** Progress bar: default on a TTY. */
  progress?: boolean;
  /** Output lines (default console.log). */
  log?: (line: string) => void;
}

/** What the demo measured: the page's {@link AdaptResult} (before, after, the run) and the sizes and time. */
export interface DemoResult extends AdaptResult {
  /** Chunks trained on / evaluated. */
  sizes: { train: number; eval: number };
  /** Wall seconds. */
  seconds: number;
}

/**
 * Run the demo end to end, offline.
 *
 * @example
 * ```ts ignore
 * const r = await runDemo({ backend: "cpu" });
 * console.log(r.before.perplexity, "→", r.after.perplexity);
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const fixture = options.fixtureDir ?? DEMO_FIXTURE_DIR;
  const seed = options.seed ?? 42;
  const chosen = await selectBackend(options.backend ?? "wasm"); // its note goes to stderr: stdout is for results
  const modelDir = `${fixture}/model`;
  const tokenizer = await loadTokenizer(modelDir);
  const model = await loadMaskedLM(modelDir);
  const texts: string[] = [];
  for await (const t of readTexts(`${fixture}/corpus/movie_reviews.jsonl`)) texts.push(t);
  if (options.outputDir) await prepareOutputDir(options.outputDir, { overwrite: true }); // the demo's own folder
  const tmp = options.outputDir ? undefined : await Deno.makeTempDir({ prefix: "mlm-demo-" });
  const outputDir = options.outputDir ?? tmp!;
  const epochs = options.epochs ?? 3, learningRate = options.learningRate ?? 1e-3;
  let sizes = { train: 0, eval: 0 };
  try {
    const r = await adaptInMemory(model, tokenizer, texts, {
      chunkSize: DEMO_CHUNK_SIZE,
      epochs,
      learningRate,
      batchSize: 16,
      testSize: 0.1,
      seed,
      prompts: DEMO_PROMPTS,
      loggingSteps: 10, // a loss curve in report.html (logging changes no number)
      sink: (data) => {
        sizes = { train: data.train, eval: data.eval };
        log(
          `demo: ${model.numParameters().toLocaleString("en-US")}-parameter ${model.config.model_type} on ` +
            `${chosen.backend}; ${data.texts} movie reviews → ${data.chunks} chunks of ${DEMO_CHUNK_SIZE} tokens ` +
            `(${data.train} train, ${data.eval} eval)`,
        );
        return new FileSink(outputDir, {
          saveModel: (dir) => savePretrained(model, dir, { tokenizerDir: modelDir }),
          progress: options.progress,
          log,
          runHeader: {
            task: "demo",
            model: modelDir,
            modelDir,
            dataset: "fixtures/demo/corpus/movie_reviews.jsonl",
            backend: chosen.backend,
            adapter: chosen.adapter ?? null,
            numParameters: model.numParameters(),
            trainSamples: data.train,
            evalSamples: data.eval,
            args: { seed, epochs, learning_rate: learningRate, chunk_size: DEMO_CHUNK_SIZE },
          },
        });
      },
    });
    if (options.outputDir) await renderReport(options.outputDir);
    return { ...r, sizes, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The demo's report: perplexity before → after, and each prompt's guesses before and after.
 *
 * @example
 * ```ts ignore
 * console.log(formatDemo(await runDemo()));
 * ```
 */
export function formatDemo(r: DemoResult): string {
  const guesses = (gs: FillMaskPrediction[]) =>
    gs.map((g) => `${g.token_str} ${(100 * g.score).toFixed(1)}%`).join(", ");
  const lines = [
    "",
    r.training.table,
    "",
    `perplexity on ${r.sizes.eval} held-out chunks (masked once): ${r.before.perplexity.toFixed(2)} before → ` +
    `${r.after.perplexity.toFixed(2)} after`,
    "",
  ];
  DEMO_PROMPTS.forEach((p, i) => {
    lines.push(`${p}`, `  before: ${guesses(r.fillBefore[i])}`, `  after:  ${guesses(r.fillAfter[i])}`);
  });
  lines.push("", `done in ${r.seconds.toFixed(1)} s`);
  return lines.join("\n");
}
