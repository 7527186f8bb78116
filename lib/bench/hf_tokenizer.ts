/**
 * Hugging Face's own Rust tokenizer — the `tokenizers` node bindings, a prebuilt native addon — giving this project's
 * {@linkcode Encoding} shape, as the reference side of `deno task bench:data-hf` and
 * `tools/reference/hf_reference_counts.ts`. The library's own tokenizer is pure JS; this one needs `--allow-ffi`,
 * `--allow-read` and `--allow-env` for {@linkcode HF_RUST_ENV}.
 *
 * The Rust side encodes a batch on rayon's global thread pool, whose size `RAYON_NUM_THREADS` fixes when the pool
 * starts (first batch); {@linkcode loadHfRustTokenizer} sets it from `threads` before that, once per process.
 *
 * @module
 */
import { importHfRustTokenizers } from "../deps.ts";
import type { Encoding } from "../data/types.ts";

/**
 * Environment variables the addon reads when it loads, plus `RAYON_NUM_THREADS` (for `--allow-env=...`).
 *
 * @example
 * ```ts
 * import { HF_RUST_ENV } from "./hf_tokenizer.ts";
 * console.log(`--allow-env=${HF_RUST_ENV.join(",")}`);
 * ```
 */
export const HF_RUST_ENV: readonly string[] = [
  "RAYON_NUM_THREADS",
  "NAPI_RS_NATIVE_LIBRARY_PATH",
  "NAPI_RS_FORCE_WASI",
  "NAPI_RS_ENFORCE_VERSION_CHECK",
];

/** Options of {@linkcode loadHfRustTokenizer}. */
export interface LoadHfRustTokenizerOptions {
  /** Rust threads encoding a batch (`RAYON_NUM_THREADS`); default: what the environment says, else every core. */
  threads?: number;
}

/** HF's Rust tokenizer, loaded from a `tokenizer.json`. */
export interface HfRustTokenizer {
  /** The thread count the Rust pool was asked for (`RAYON_NUM_THREADS`), or undefined for rayon's default. */
  readonly threads: number | undefined;
  /** `tokenizer(texts)` of a fast tokenizer: ids, attention mask and `word_ids()` of every text, special tokens added. */
  encodeBatch(texts: string[]): Promise<Encoding[]>;
  /** Encode `texts` and return only their total token count (no arrays read out): the Rust side's time alone. */
  countTokens(texts: string[]): Promise<number>;
}

let poolThreads: string | undefined | null = null; // null: no tokenizer loaded in this process yet

/**
 * Load HF's Rust tokenizer from `tokenizerDir/tokenizer.json`, its thread pool sized to `options.threads`.
 *
 * Throws when a second call asks for another thread count: the pool's size is fixed for the life of the process.
 *
 * @example
 * ```ts
 * import { loadHfRustTokenizer } from "./hf_tokenizer.ts";
 * const dir = "../shared/data/bert-base-uncased";
 * const canLoad = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
 * if (canLoad && await Deno.stat(`${dir}/tokenizer.json`).catch(() => null)) {
 *   const tok = await loadHfRustTokenizer(dir, { threads: 1 });
 *   const [e] = await tok.encodeBatch(["Hello Café world"]);
 *   if (JSON.stringify(e.word_ids) !== "[null,0,1,2,null]") throw new Error(JSON.stringify(e.word_ids));
 *   if (await tok.countTokens(["Hello Café world", "a"]) !== 8) throw new Error("token count");
 * }
 * ```
 */
export async function loadHfRustTokenizer(
  tokenizerDir: string,
  options: LoadHfRustTokenizerOptions = {},
): Promise<HfRustTokenizer> {
  const { threads } = options;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new Error(`threads: expected an integer >= 1, got ${threads}`);
  }
  const wanted = threads === undefined ? Deno.env.get("RAYON_NUM_THREADS") : String(threads);
  if (poolThreads === null) {
    if (threads !== undefined) Deno.env.set("RAYON_NUM_THREADS", wanted!);
    poolThreads = wanted;
  } else if (poolThreads !== wanted) {
    throw new Error(
      `HF Rust tokenizer: its thread pool already has RAYON_NUM_THREADS=${poolThreads ?? "(unset)"} in this ` +
        `process; ${wanted ?? "(unset)"} needs a fresh process`,
    );
  }
  const path = `${tokenizerDir}/tokenizer.json`;
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(`HF Rust tokenizer: no tokenizer.json in ${tokenizerDir}`);
  }
  const { Tokenizer } = await importHfRustTokenizers();
  const tokenizer = Tokenizer.fromFile(path);
  return {
    threads: poolThreads === undefined ? undefined : Number(poolThreads),
    async encodeBatch(texts: string[]): Promise<Encoding[]> {
      const encodings = await tokenizer.encodeBatch(texts);
      return encodings.map((e) => ({
        input_ids: e.getIds(),
        attention_mask: e.getAttentionMask(),
        word_ids: e.getWordIds().map((w) => w ?? null),
      }));
    },
    async countTokens(texts: string[]): Promise<number> {
      let tokens = 0;
      for (const e of await tokenizer.encodeBatch(texts)) tokens += e.getLength();
      return tokens;
    },
  };
}
