/**
 * The `Precompiled` normalizer of SentencePiece tokenizers (XLM-RoBERTa, CamemBERT, …) exactly as `tokenizers` (Rust)
 * runs it: the `precompiled_charsmap` is a double-array trie over UTF-8 bytes plus a blob of NUL-terminated
 * replacement strings. Each extended grapheme cluster shorter than 6 bytes is looked up whole (the shortest key that
 * is a prefix of it wins, as in `spm_precompiled`); otherwise, or when it has no key, its characters are looked up one
 * by one.
 *
 * @module
 */

/** A compiled charsmap: `normalize(text)` gives what the Rust normalizer gives. */
export interface PrecompiledNormalizer {
  (text: string): string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Build the normalizer from a `tokenizer.json` `Precompiled` normalizer's `precompiled_charsmap` (base64).
 *
 * @example
 * ```ts
 * import { precompiledNormalizer } from "./precompiled.ts";
 * const json = await Deno.readTextFile("../shared/data/xlm-roberta-base/tokenizer.json").catch(() => null);
 * if (json) {
 *   const normalize = precompiledNormalizer(JSON.parse(json).normalizer.precompiled_charsmap);
 *   if (normalize("ＦＵＬＬ ｘ\u0301") !== "FULL x") throw new Error("NFKC-like, grapheme prefix rule");
 * }
 * ```
 */
export function precompiledNormalizer(charsmap: string): PrecompiledNormalizer {
  const bytes = base64Bytes(charsmap);
  if (bytes.length < 4) throw new Error("precompiled_charsmap: too short for a trie");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const trieSize = view.getUint32(0, true);
  if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) throw new Error("precompiled_charsmap: bad trie size");
  const trie = new Uint32Array(trieSize / 4);
  for (let i = 0; i < trie.length; i++) trie[i] = view.getUint32(4 + 4 * i, true);
  const blob = bytes.subarray(4 + trieSize);

  const offset = (unit: number) => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
  const label = (unit: number) => (unit & ((1 << 31) | 0xff)) >>> 0;
  const hasLeaf = (unit: number) => ((unit >>> 8) & 1) === 1;
  const value = (unit: number) => unit & 0x7fffffff;

  // `spm_precompiled`'s transform: the first (shortest) key that is a prefix of `chunk`.
  const lookup = (chunk: string): string | undefined => {
    const key = encoder.encode(chunk);
    let pos = 0;
    let unit = trie[pos];
    pos ^= offset(unit);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      unit = trie[pos];
      if (unit === undefined || label(unit) !== c) return undefined;
      pos ^= offset(unit);
      if (hasLeaf(unit)) {
        const start = value(trie[pos]);
        let end = start;
        while (end < blob.length && blob[end] !== 0) end++;
        return decoder.decode(blob.subarray(start, end));
      }
    }
    return undefined;
  };
  const cache = new Map<string, string>();
  const transform = (chunk: string): string | undefined => {
    let hit = cache.get(chunk);
    if (hit === undefined) {
      hit = lookup(chunk) ?? "\u0000none";
      if (cache.size > 100_000) cache.clear();
      cache.set(chunk, hit);
    }
    return hit === "\u0000none" ? undefined : hit;
  };
  const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
  const one = (grapheme: string): string => {
    if (encoder.encode(grapheme).length < 6) {
      const whole = transform(grapheme);
      if (whole !== undefined) return whole;
    }
    let out = "";
    for (const ch of grapheme) out += transform(ch) ?? ch;
    return out;
  };
  return (text: string): string => {
    let out = "";
    // deno-lint-ignore no-control-regex -- printable ASCII with no CR: every character is a grapheme of its own
    if (/^[\x00-\x0c\x0e-\x7f]*$/.test(text)) {
      for (const ch of text) out += transform(ch) ?? ch;
      return out;
    }
    for (const { segment } of graphemes.segment(text)) out += one(segment);
    return out;
  };
}
