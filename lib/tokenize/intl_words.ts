/**
 * Word ids from `Intl.Segmenter` (ICU's word boundaries, dictionary-based for Japanese, Chinese, Thai, …) instead of
 * the pre-tokenizer's: each token is placed in the original text through its character offset, and tokens whose
 * first visible character falls in the same ICU word share a word id. Hugging Face's word ids make a whole Japanese
 * sentence one word; these make 映画 / を / 見 / た words of their own, so whole-word masking masks words there too.
 *
 * @module
 */

/** How a tokenizer's token strings spell the text (from its decoder). */
export type TokenSpelling = "byte-level" | "metaspace" | "wordpiece" | "plain";

// GPT-2's printable character → byte table (the inverse of the ByteLevel pre-tokenizer's).
const BYTE_OF: Map<string, number> = (() => {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCharCode(keep.includes(b) ? b : 256 + extra++), b);
  return map;
})();
const decoder = new TextDecoder();
const WHITE = /[\s\u2581]/u;

/** Text folded for matching: compatibility-decomposed, marks removed, lowercased, no whitespace or `▁`. */
function fold(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[\s\u2581]/gu, "");
}

/**
 * The character offset (UTF-16 index into `text`) where each token starts, `words` being the tokens of each
 * pre-tokenized word (or added token) in order. Byte-level words are found verbatim and split by their bytes; other
 * tokens are matched in a folded copy of the text (NFKD, no marks, lowercase, no spaces). A token that matches
 * nothing (an unknown token, a bare `▁`) starts where the previous token ended.
 *
 * @example
 * ```ts
 * import { tokenOffsets } from "./intl_words.ts";
 * // roberta-base's tokens of "Hi 映画":映 is split after its first byte, 画 after its second
 * const starts = tokenOffsets("Hi 映画", [["Hi"], ["Ġæ", "ĺ", "ł", "çĶ", "»"]], "byte-level");
 * if (starts.join() !== "0,2,3,3,4,4") throw new Error(starts.join());
 * ```
 */
export function tokenOffsets(text: string, words: string[][], spelling: TokenSpelling, prefix = "##"): number[] {
  // The folded text and, per folded character, its index in `text`.
  let folded = "";
  const origin: number[] = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const f = fold(ch);
    for (let k = 0; k < f.length; k++) origin.push(i);
    folded += f;
    i += ch.length;
  }
  const starts: number[] = [];
  let cursor = 0; // in `text`
  let fcursor = 0; // in `folded`
  const findFolded = (surface: string): number | undefined => {
    const f = fold(surface);
    if (f.length === 0) return undefined;
    const at = folded.indexOf(f, fcursor);
    if (at < 0) return undefined;
    fcursor = at + f.length;
    cursor = origin[at];
    return origin[at];
  };
  for (const tokens of words) {
    if (spelling === "byte-level" && tokens.every((t) => [...t].every((c) => BYTE_OF.has(c)))) {
      const bytes = tokens.map((t) => Uint8Array.from([...t], (c) => BYTE_OF.get(c)!));
      const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
      let o = 0;
      for (const b of bytes) all.set(b, o), o += b.length;
      const word = decoder.decode(all);
      const at = text.indexOf(word, cursor);
      if (at >= 0) {
        // the character each token's first byte falls in
        const charAtByte: number[] = [];
        let u = 0;
        for (const ch of word) {
          const n = new TextEncoder().encode(ch).length;
          for (let k = 0; k < n; k++) charAtByte.push(u);
          u += ch.length;
        }
        let b = 0;
        for (const t of bytes) {
          starts.push(at + (charAtByte[b] ?? u));
          b += t.length;
        }
        cursor = at + word.length;
        while (fcursor < origin.length && origin[fcursor] < cursor) fcursor++;
        continue;
      }
    }
    for (const t of tokens) {
      const surface = spelling === "wordpiece" && t.startsWith(prefix) ? t.slice(prefix.length) : t;
      // not found (an unknown token, a bare `▁`): where the previous token ended
      starts.push(findFolded(surface) ?? (fcursor < origin.length ? origin[fcursor] : text.length));
    }
  }
  return starts;
}

/**
 * Word ids from ICU word boundaries: token `i` gets the index of the `Intl.Segmenter` word segment holding the first
 * non-space character at or after `starts[i]`.
 *
 * @example
 * ```ts
 * import { intlWordIds } from "./intl_words.ts";
 * // "東京で映画を見た": tokens starting at 0 (東), 1 (京), 3 (映), 5 (を)
 * const ids = intlWordIds("東京で映画を見た", [0, 1, 3, 5], "ja");
 * if (ids[0] !== ids[1] || ids[1] === ids[2] || ids[2] === ids[3]) throw new Error(ids.join());
 * ```
 */
export function intlWordIds(text: string, starts: readonly number[], locale?: string): number[] {
  const segmentStarts: number[] = [];
  for (const s of new Intl.Segmenter(locale, { granularity: "word" }).segment(text)) segmentStarts.push(s.index);
  const ids = new Array<number>(starts.length);
  let seg = 0;
  for (let i = 0; i < starts.length; i++) {
    let s = starts[i];
    while (s < text.length && WHITE.test(text[s])) s++;
    while (seg + 1 < segmentStarts.length && segmentStarts[seg + 1] <= s) seg++;
    ids[i] = seg;
  }
  return ids;
}
