/**
 * A Hugging Face `tokenizer.json` tokenizer that also returns word ids, like the fast tokenizer's `word_ids()`.
 *
 * `@huggingface/tokenizers` gives ids but no word ids. This module runs its pipeline step by step — added-token
 * splitting → normalizer → pre-tokenizer → model → post-processor — with the library's own parts, numbering every
 * pre-tokenized word and every added token found in the text, as `tokenizers` (Rust) does. The model's output for a
 * word is memoised, which makes large corpora several times faster.
 *
 * @module
 */
import { HfTokenizer } from "../deps.ts";
import type { Encoding } from "../data/types.ts";
import { precompiledNormalizer } from "./precompiled.ts";
import { intlWordIds, tokenOffsets, type TokenSpelling } from "./intl_words.ts";
import { type PreTokenizer, rustPreTokenizer, trimEndWhiteSpace, trimStartWhiteSpace } from "./pretokenize.ts";
import { TOKENIZER_FILES } from "./files.ts";

export { TOKENIZER_FILES };

/** Options of {@linkcode Tokenizer.encode}. */
export interface EncodeOptions {
  /** Add the post-processor's special tokens (`[CLS]` … `[SEP]`); default `true`. */
  addSpecialTokens?: boolean;
  /** Truncate to this many tokens, special tokens included (HF `truncation=True, max_length`: keeps the final `[SEP]`). */
  maxLength?: number;
  /**
   * Where `word_ids` come from: `"hf"` (default) the pre-tokenizer's words, as the fast tokenizer's `word_ids()`;
   * `"intl"` the word boundaries of `Intl.Segmenter` (ICU, dictionary-based for scripts without spaces), each token
   * placed by its character offset (see `intl_words.ts`).
   */
  wordBoundaries?: WordBoundaries;
  /** Locale of `Intl.Segmenter` with `wordBoundaries: "intl"` (default: the runtime's). */
  locale?: string;
}

/** Where word ids come from: Hugging Face's pre-tokenizer (`"hf"`) or `Intl.Segmenter` (`"intl"`). */
export type WordBoundaries = "hf" | "intl";

/** Options of {@linkcode Tokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, …); default `false`. */
  skipSpecialTokens?: boolean;
}

// The parts of `@huggingface/tokenizers`' Tokenizer this module drives. They are public at runtime; the type
// declarations mark some private, so they are reached through this interface.
interface AddedTokenLike {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
  special: boolean;
}
interface ModelLike {
  (tokens: string[]): string[];
  tokens_to_ids: Map<string, number>;
  vocab: string[];
  unk_token_id?: number;
  unk_token?: string;
}
interface HfInternals {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options?: { section_index?: number }) => string[]) | null;
  model: ModelLike;
  post_processor:
    | ((tokens: unknown[], pair: unknown[] | null, addSpecialTokens: boolean) => { tokens: unknown[] })
    | null;
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  added_tokens_map: Map<string, AddedTokenLike>;
  special_tokens: string[];
  remove_space?: boolean;
  do_lowercase_and_remove_accent: boolean;
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
}

interface BertNormalizerConfig {
  type: "BertNormalizer";
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  lowercase?: boolean;
}
interface BertNormalizerLike {
  clean_text(text: string): string;
}

/** What a {@linkcode Tokenizer} is built from (what {@linkcode loadTokenizer} reads). */
export interface TokenizerParts {
  /** Folder the files came from. */
  dir: string;
  /** Tokenizer file names present in `dir`. */
  files: string[];
  /** Parsed `tokenizer.json`. */
  tokenizerJson: Record<string, unknown>;
  /** Parsed `tokenizer_config.json` merged with `special_tokens_map.json` (config wins). */
  config: Record<string, unknown>;
}

/** One word found in the text: an added token (its id) or a pre-tokenized word (its model tokens' ids). */
type Word = number[];

const CACHE_LIMIT = 500_000;

/**
 * A loaded tokenizer. Build one with {@linkcode loadTokenizer}.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "./tokenizer.ts";
 * const dir = await Deno.makeTempDir();
 * const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "!"];
 * await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify({
 *   added_tokens: vocab.slice(0, 5).map((content, id) => ({ id, content, special: true, normalized: false })),
 *   normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
 *   pre_tokenizer: { type: "BertPreTokenizer" },
 *   post_processor: { type: "BertProcessing", cls: ["[CLS]", 2], sep: ["[SEP]", 3] },
 *   decoder: { type: "WordPiece", prefix: "##", cleanup: true },
 *   model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100,
 *     vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
 * }));
 * const tok = await loadTokenizer(dir);
 * const enc = tok.encode("Hello worlds!");
 * if (enc.input_ids.join() !== "2,5,6,7,8,3") throw new Error("ids");
 * if (JSON.stringify(enc.word_ids) !== "[null,0,1,1,2,null]") throw new Error("word ids");
 * ```
 */
export class Tokenizer {
  /** Folder the tokenizer was loaded from. */
  readonly dir: string;
  /** Tokenizer files found in `dir` (file names, to copy when saving a checkpoint). */
  readonly files: string[];
  /** Number of ids (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  /** Id of the classifier token (`[CLS]`). */
  readonly clsTokenId: number;
  /** Id of the separator token (`[SEP]`). */
  readonly sepTokenId: number;
  /** Id of the padding token (`[PAD]`). */
  readonly padTokenId: number;
  /** Id of the mask token (`[MASK]`). */
  readonly maskTokenId: number;
  /** Id of the unknown token (`[UNK]`). */
  readonly unkTokenId: number;
  /** The mask token's text (`[MASK]`). */
  readonly maskToken: string;
  /** Ids of every special token (HF `all_special_ids`), sorted. */
  readonly allSpecialIds: number[];

  #hf: HfInternals;
  #preTokenize: PreTokenizer | undefined;
  #spelling: { kind: TokenSpelling; prefix: string };
  #cache = new Map<string, number[]>();
  #numAdded: number;

  /** Use {@linkcode loadTokenizer}; this takes the parsed files. */
  constructor(parts: TokenizerParts) {
    const { dir, files, tokenizerJson, config } = parts;
    this.dir = dir;
    this.files = files;
    // transformers 5 decodes without clean_up_tokenization_spaces unless tokenizer_config.json asks for it.
    const hfConfig = { clean_up_tokenization_spaces: false, ...config };
    this.#hf = new HfTokenizer(tokenizerJson, hfConfig) as unknown as HfInternals;
    const normalizer = tokenizerJson.normalizer as { type?: string } | null;
    if (normalizer?.type === "BertNormalizer" && this.#hf.normalizer !== null) {
      const parts = this.#hf.normalizer as unknown as BertNormalizerLike;
      const bert = normalizer as BertNormalizerConfig;
      this.#hf.normalizer = (text: string) => bertNormalize(text, bert, parts);
    }
    const precompiled = precompiledOf(normalizer);
    if (precompiled !== undefined) this.#hf.normalizer = precompiledNormalizer(precompiled);
    this.#preTokenize = rustPreTokenizer(tokenizerJson.pre_tokenizer);
    this.#spelling = spellingOf(tokenizerJson.decoder);
    const model = this.#hf.model;
    let size = 0;
    for (const id of model.tokens_to_ids.values()) size = Math.max(size, id + 1);
    this.vocabSize = size;
    const where = `${dir}/tokenizer.json`;
    // A token the config does not name: BERT's spelling, then RoBERTa/XLM-R's (what their tokenizer classes default to).
    const idOf = (field: string, fallbacks: (string | undefined)[]): number => {
      const named = tokenText(config[field]);
      const candidates = named !== undefined ? [named] : fallbacks.filter((t) => t !== undefined);
      for (const t of candidates) {
        const id = model.tokens_to_ids.get(t);
        if (id !== undefined) return id;
      }
      throw new Error(
        `${where}: the tokenizer has no ${field} (looked for ${candidates.map((t) => JSON.stringify(t)).join(" / ")} ` +
          `in tokenizer_config.json / special_tokens_map.json and the vocabulary)`,
      );
    };
    this.clsTokenId = idOf("cls_token", ["[CLS]", "<s>"]);
    this.sepTokenId = idOf("sep_token", ["[SEP]", "</s>"]);
    this.padTokenId = idOf("pad_token", ["[PAD]", "<pad>"]);
    this.unkTokenId = idOf("unk_token", [model.unk_token, "[UNK]", "<unk>"]);
    this.maskTokenId = idOf("mask_token", ["[MASK]", "<mask>"]);
    this.maskToken = model.vocab[this.maskTokenId];
    const special = new Set<number>([this.clsTokenId, this.sepTokenId, this.padTokenId, this.unkTokenId]);
    special.add(this.maskTokenId);
    for (const t of this.#hf.added_tokens_map.values()) if (t.special) special.add(t.id);
    this.allSpecialIds = [...special].sort((a, b) => a - b);
    this.#numAdded = this.#postProcess([], true).length;
  }

  /**
   * Encode one text: ids, attention mask and word ids (`null` for special tokens added by the post-processor).
   *
   * @example
   * ```ts
   * import { loadTokenizer } from "./tokenizer.ts";
   * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
   * if (tok) {
   *   const enc = tok.encode("Unbelievable movie", { maxLength: 3 });
   *   if (enc.input_ids.at(-1) !== tok.sepTokenId || enc.input_ids.length !== 3) throw new Error("truncation");
   * }
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const addSpecial = options.addSpecialTokens ?? true;
    const words = this.#words(text);
    const ids: number[] = [];
    let wordOf: number[] = [];
    for (let w = 0; w < words.length; w++) {
      for (const id of words[w]) {
        ids.push(id);
        wordOf.push(w);
      }
    }
    if (options.wordBoundaries === "intl") {
      const tokens = words.map((w) => w.map((id) => this.idToToken(id) ?? ""));
      const starts = tokenOffsets(text, tokens, this.#spelling.kind, this.#spelling.prefix);
      wordOf = intlWordIds(text, starts, options.locale);
    } else if (options.wordBoundaries !== undefined && options.wordBoundaries !== "hf") {
      throw new Error(`encode: wordBoundaries must be "hf" or "intl", got ${JSON.stringify(options.wordBoundaries)}`);
    }
    if (options.maxLength !== undefined) {
      const room = Math.max(0, options.maxLength - (addSpecial ? this.#numAdded : 0));
      if (ids.length > room) {
        ids.length = room;
        wordOf.length = room;
      }
    }
    // Post-process the positions: numbers are this sequence's tokens, strings the special tokens it adds.
    const positions = ids.map((_, i) => i);
    const processed = this.#postProcess(positions, addSpecial);
    const input_ids = new Array<number>(processed.length);
    const word_ids = new Array<number | null>(processed.length);
    for (let i = 0; i < processed.length; i++) {
      const p = processed[i];
      if (typeof p === "number") {
        input_ids[i] = ids[p];
        word_ids[i] = wordOf[p];
      } else {
        input_ids[i] = this.#idOfToken(String(p));
        word_ids[i] = null;
      }
    }
    return { input_ids, attention_mask: new Array<number>(processed.length).fill(1), word_ids };
  }

  /**
   * Encode several texts (in this thread; see `tokenizeStream` for worker threads).
   *
   * @example
   * ```ts
   * import { loadTokenizer } from "./tokenizer.ts";
   * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
   * if (tok && tok.encodeBatch(["a", "b c"]).map((e) => e.input_ids.length).join() !== "3,4") throw new Error("batch");
   * ```
   */
  encodeBatch(texts: string[], options: EncodeOptions = {}): Encoding[] {
    return texts.map((t) => this.encode(t, options));
  }

  /**
   * Ids back to text (HF `decode`).
   *
   * @example
   * ```ts
   * import { loadTokenizer } from "./tokenizer.ts";
   * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
   * if (tok) {
   *   const text = tok.decode(tok.encode("Hello, world!").input_ids, { skipSpecialTokens: true });
   *   if (text !== "hello, world!") throw new Error(text);
   * }
   * ```
   */
  decode(ids: number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    return this.#hf.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /**
   * The token text of an id, `undefined` when out of range.
   *
   * @example
   * ```ts
   * import { loadTokenizer } from "./tokenizer.ts";
   * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
   * if (tok && tok.idToToken(tok.maskTokenId) !== "[MASK]") throw new Error("mask");
   * ```
   */
  idToToken(id: number): string | undefined {
    return this.#hf.model.vocab[id];
  }

  /**
   * The id of a token text, `undefined` when it is not in the vocabulary.
   *
   * @example
   * ```ts
   * import { loadTokenizer } from "./tokenizer.ts";
   * const tok = await loadTokenizer("../shared/data/bert-base-uncased").catch(() => null);
   * if (tok && tok.tokenToId("[CLS]") !== tok.clsTokenId) throw new Error("cls");
   * ```
   */
  tokenToId(token: string): number | undefined {
    return this.#hf.added_tokens_map.get(token)?.id ?? this.#hf.model.tokens_to_ids.get(token);
  }

  #idOfToken(token: string): number {
    return this.tokenToId(token) ?? this.unkTokenId;
  }

  #postProcess(positions: number[], addSpecial: boolean): unknown[] {
    const pp = this.#hf.post_processor;
    return pp === null ? positions : pp(positions, null, addSpecial).tokens;
  }

  // `Tokenizer.encode_text` of @huggingface/tokenizers, keeping the word boundaries.
  #words(text: string): Word[] {
    const hf = this.#hf;
    const added = hf.added_tokens_map;
    const words: Word[] = [];
    const sections = hf.splitter_unnormalized.split(text);
    stripAround(sections, added);
    for (let s = 0; s < sections.length; s++) {
      let section = sections[s];
      if (section.length === 0) continue;
      const token = added.get(section);
      if (token !== undefined) {
        words.push([token.id]);
        continue;
      }
      if (hf.remove_space === true) section = section.trim().split(/\s+/).join(" ");
      if (hf.do_lowercase_and_remove_accent) section = section.toLowerCase().replace(/\p{M}/gu, "");
      if (hf.normalizer !== null) section = hf.normalizer(section);
      if (section.length === 0) continue;
      const subsections = hf.splitter_normalized.split(section);
      stripAround(subsections, added);
      for (const sub of subsections) {
        if (sub.length === 0) continue;
        const subToken = added.get(sub);
        if (subToken !== undefined) {
          words.push([subToken.id]);
          continue;
        }
        const pieces = this.#preTokenize !== undefined
          ? this.#preTokenize(sub, words.length === 0)
          : hf.pre_tokenizer !== null
          ? hf.pre_tokenizer(sub, { section_index: s })
          : [sub];
        for (const piece of pieces) words.push(this.#modelIds(piece));
      }
    }
    return words;
  }

  #modelIds(word: string): number[] {
    let ids = this.#cache.get(word);
    if (ids === undefined) {
      const model = this.#hf.model;
      ids = model([word]).map((t) => model.tokens_to_ids.get(t) ?? this.unkTokenId);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(word, ids);
    }
    return ids;
  }
}

// deno-lint-ignore no-control-regex -- matching ASCII control characters is the point
const ASCII = /^[\x00-\x7f]*$/;
// deno-lint-ignore no-control-regex -- the C0 controls and DEL that clean_text removes
const ASCII_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const ASCII_SPACE = /[\t\n\r]/g;
const CJK_MAYBE = /[\u3400-\u9fff\uf900-\ufaff\ud840-\ud87f]/;
const NONSPACING_MARK = /\p{Mn}/gu;

function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/**
 * `BertNormalizer` in the order and per-character semantics of `tokenizers` (Rust): clean text, space out CJK
 * characters (by code point, so supplementary-plane ones too), strip accents, then lowercase character by character
 * (no final-sigma rule). Character classes come from @huggingface/tokenizers' own `clean_text`; printable ASCII takes a
 * fast path with the same result.
 */
function bertNormalize(text: string, config: BertNormalizerConfig, parts: BertNormalizerLike): string {
  const lowercase = config.lowercase ?? true;
  const strip = config.strip_accents ?? lowercase;
  if (ASCII.test(text)) {
    if (config.clean_text ?? true) text = text.replace(ASCII_CONTROL, "").replace(ASCII_SPACE, " ");
    return lowercase ? text.toLowerCase() : text;
  }
  if (config.clean_text ?? true) text = parts.clean_text(text);
  if ((config.handle_chinese_chars ?? true) && CJK_MAYBE.test(text)) {
    let out = "";
    for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
    text = out;
  }
  if (strip) text = text.normalize("NFD").replace(NONSPACING_MARK, "");
  if (lowercase) {
    // String.toLowerCase turns a word-final capital sigma into "ς"; Rust lowercases each character alone ("σ").
    text = text.includes("\u03a3") ? Array.from(text, (ch) => ch.toLowerCase()).join("") : text.toLowerCase();
  }
  return text;
}

function stripAround(sections: string[], added: Map<string, AddedTokenLike>): void {
  for (let i = 0; i < sections.length; i++) {
    const token = added.get(sections[i]);
    if (token === undefined) continue;
    if (token.lstrip && i > 0) sections[i - 1] = trimEndWhiteSpace(sections[i - 1]);
    if (token.rstrip && i < sections.length - 1) sections[i + 1] = trimStartWhiteSpace(sections[i + 1]);
  }
}

// How the decoder spells tokens: what `tokenOffsets` needs to find them in the text.
function spellingOf(decoder: unknown): { kind: TokenSpelling; prefix: string } {
  const types: Record<string, unknown>[] = [];
  const walk = (d: unknown) => {
    if (d === null || typeof d !== "object") return;
    const o = d as Record<string, unknown>;
    types.push(o);
    if (Array.isArray(o.decoders)) o.decoders.forEach(walk);
  };
  walk(decoder);
  for (const d of types) {
    if (d.type === "ByteLevel") return { kind: "byte-level", prefix: "" };
    if (d.type === "Metaspace") return { kind: "metaspace", prefix: "" };
    if (d.type === "WordPiece") return { kind: "wordpiece", prefix: typeof d.prefix === "string" ? d.prefix : "##" };
  }
  return { kind: "plain", prefix: "" };
}

// The charsmap of a `Precompiled` normalizer, alone or as the only one in a `Sequence`.
function precompiledOf(normalizer: unknown): string | undefined {
  if (normalizer === null || typeof normalizer !== "object") return undefined;
  const n = normalizer as { type?: unknown; precompiled_charsmap?: unknown; normalizers?: unknown };
  if (n.type === "Precompiled" && typeof n.precompiled_charsmap === "string") return n.precompiled_charsmap;
  if (n.type === "Sequence" && Array.isArray(n.normalizers) && n.normalizers.length === 1) {
    return precompiledOf(n.normalizers[0]);
  }
  return undefined;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function readJsonFile(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: malformed JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${path}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Load the tokenizer in `dir`: `tokenizer.json` (required), plus `tokenizer_config.json` and
 * `special_tokens_map.json` when present (they name the special tokens).
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "./tokenizer.ts";
 * const missing = await Deno.makeTempDir();
 * const err = await loadTokenizer(missing).catch((e) => e);
 * if (!String(err.message).includes(missing)) throw new Error("error should name the folder");
 * ```
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const clean = dir.replace(/\/+$/, "") || "/";
  const json = await readJsonFile(`${clean}/tokenizer.json`);
  if (json === undefined) {
    throw new Error(`${clean}: no tokenizer.json in this folder (a Hugging Face fast-tokenizer file is required)`);
  }
  for (const key of ["model", "added_tokens"]) {
    if (!(key in json)) throw new Error(`${clean}/tokenizer.json: missing field "${key}"`);
  }
  for (const key of ["normalizer", "pre_tokenizer", "post_processor", "decoder"]) json[key] ??= null;
  checkTokenizerJson(json, `${clean}/tokenizer.json`);
  const config = (await readJsonFile(`${clean}/tokenizer_config.json`)) ?? {};
  const map = (await readJsonFile(`${clean}/special_tokens_map.json`)) ?? {};
  const merged: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(map)) merged[k] ??= v;
  const files: string[] = [];
  for (const name of TOKENIZER_FILES) {
    try {
      if ((await Deno.stat(`${clean}/${name}`)).isFile) files.push(name);
    } catch {
      // absent: not copied
    }
  }
  try {
    return new Tokenizer({ dir: clean, files, tokenizerJson: json, config: merged });
  } catch (e) {
    const message = (e as Error).message;
    if (message.startsWith(clean)) throw e;
    throw new Error(`${clean}/tokenizer.json: cannot build the tokenizer (${message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Check the shape of a parsed `tokenizer.json` before building from it, naming the field and what was expected.
 *
 * @example
 * ```ts
 * import { checkTokenizerJson } from "./tokenizer.ts";
 * let message = "";
 * try {
 *   checkTokenizerJson({ model: { type: "BPE", vocab: {} }, added_tokens: [] }, "t/tokenizer.json");
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * if (!message.includes('"model.merges"')) throw new Error(message);
 * ```
 */
export function checkTokenizerJson(json: Record<string, unknown>, where: string): void {
  const fail = (field: string, expected: string): never => {
    throw new Error(`${where}: field "${field}" must be ${expected}`);
  };
  if (!Array.isArray(json.added_tokens)) fail("added_tokens", "an array of {id, content, …} objects");
  (json.added_tokens as unknown[]).forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== "string" || !Number.isInteger(t.id)) {
      fail(`added_tokens[${i}]`, 'an object with a string "content" and an integer "id"');
    }
  });
  for (const key of ["normalizer", "pre_tokenizer", "post_processor", "decoder"]) {
    const part = json[key];
    if (part !== null && part !== undefined && (!isObject(part) || typeof part.type !== "string")) {
      fail(key, 'null or an object with a string "type"');
    }
  }
  const model = json.model;
  if (!isObject(model)) return fail("model", "an object (WordPiece, BPE or Unigram)");
  const type = model.type ?? (Array.isArray(model.vocab) ? "Unigram" : "merges" in model ? "BPE" : "WordPiece");
  if (type === "WordPiece" || type === "BPE") {
    if (!isObject(model.vocab)) fail("model.vocab", `an object of token → id (a ${type} vocabulary)`);
    for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id)) fail(`model.vocab[${JSON.stringify(token)}]`, "an integer id");
    }
    if (type === "BPE") {
      if (!Array.isArray(model.merges)) fail("model.merges", 'an array of merges ("a b" or ["a", "b"])');
      (model.merges as unknown[]).forEach((m, i) => {
        const ok = (typeof m === "string" && m.includes(" ")) ||
          (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === "string"));
        if (!ok) fail(`model.merges[${i}]`, '"a b" or ["a", "b"]');
      });
    }
  } else if (type === "Unigram") {
    if (!Array.isArray(model.vocab)) fail("model.vocab", "an array of [piece, score] pairs (a Unigram vocabulary)");
    (model.vocab as unknown[]).forEach((p, i) => {
      if (!Array.isArray(p) || typeof p[0] !== "string" || typeof p[1] !== "number") {
        fail(`model.vocab[${i}]`, "a [piece, score] pair");
      }
    });
    if (model.unk_id !== undefined && model.unk_id !== null && !Number.isInteger(model.unk_id)) {
      fail("model.unk_id", "an integer");
    }
  } else {
    fail("model.type", `"WordPiece", "BPE" or "Unigram" (got ${JSON.stringify(model.type)})`);
  }
}
