/**
 * Pre-tokenizers with the splits of `tokenizers` (Rust), where `@huggingface/tokenizers`' differ: whitespace is Rust's
 * `char::is_whitespace` / Oniguruma's `\s` (Unicode White_Space: U+0085 is whitespace, U+FEFF is not), `Metaspace`
 * splits before each `▁` (`split: true`), and `Sequence` applies its parts to every piece. Each returned piece is one
 * word of `word_ids()`.
 *
 * @module
 */

/** Unicode White_Space, as a regular-expression class body (what Rust and Oniguruma call whitespace). */
export const WHITE_SPACE = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const TRAILING_SPACE = new RegExp(`[${WHITE_SPACE}]+$`, "u");
const LEADING_SPACE = new RegExp(`^[${WHITE_SPACE}]+`, "u");

/**
 * `text` without trailing Unicode whitespace (an added token's `lstrip`).
 *
 * @example
 * ```ts
 * import { trimEndWhiteSpace } from "./pretokenize.ts";
 * if (trimEndWhiteSpace("a \u0085") !== "a" || trimEndWhiteSpace("a\ufeff") !== "a\ufeff") throw new Error("trim");
 * ```
 */
export function trimEndWhiteSpace(text: string): string {
  return text.replace(TRAILING_SPACE, "");
}

/**
 * `text` without leading Unicode whitespace (an added token's `rstrip`).
 *
 * @example
 * ```ts
 * import { trimStartWhiteSpace } from "./pretokenize.ts";
 * if (trimStartWhiteSpace("\u3000 a") !== "a") throw new Error("trim");
 * ```
 */
export function trimStartWhiteSpace(text: string): string {
  return text.replace(LEADING_SPACE, "");
}

/** A pre-tokenizer: one normalized section in (`first`: it starts the text), its words out. */
export type PreTokenizer = (text: string, first: boolean) => string[];

const S = `[${WHITE_SPACE}]`;
const NOT_S = `[^${WHITE_SPACE}]`;
// GPT-2's pattern (the ByteLevel pre-tokenizer's), with Unicode White_Space for \s.
const BYTE_LEVEL = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITE_SPACE}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})|${S}+`,
  "gu",
);
const WHITESPACE_RUN = new RegExp(`${S}+`, "u");

// GPT-2's byte → printable character table.
const BYTE_CHARS: string[] = (() => {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    chars[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return chars;
})();
const encoder = new TextEncoder();

function byteLevel(config: Record<string, unknown>): PreTokenizer {
  const prefix = config.add_prefix_space === true;
  const useRegex = config.use_regex !== false;
  return (text) => {
    if (prefix && !text.startsWith(" ")) text = " " + text;
    const pieces = useRegex ? text.match(BYTE_LEVEL) ?? [] : [text];
    return pieces.map((p) => {
      let out = "";
      for (const b of encoder.encode(p)) out += BYTE_CHARS[b];
      return out;
    });
  };
}

function metaspace(config: Record<string, unknown>): PreTokenizer {
  const replacement = typeof config.replacement === "string" ? config.replacement : "\u2581";
  const scheme = typeof config.prepend_scheme === "string"
    ? config.prepend_scheme
    : config.add_prefix_space === false
    ? "never"
    : "always";
  const split = config.split !== false;
  return (text, first) => {
    let s = text.replaceAll(" ", replacement);
    if ((scheme === "always" || (scheme === "first" && first)) && !s.startsWith(replacement)) s = replacement + s;
    if (!split) return [s];
    const out: string[] = [];
    let start = 0;
    for (let i = s.indexOf(replacement, 1); i !== -1; i = s.indexOf(replacement, i + replacement.length)) {
      out.push(s.slice(start, i));
      start = i;
    }
    out.push(s.slice(start));
    return out.filter((p) => p.length > 0);
  };
}

/**
 * A pre-tokenizer for a `tokenizer.json` `pre_tokenizer` object when its type is one whose splits this module owns
 * (`ByteLevel`, `WhitespaceSplit`, `Metaspace`, and `Sequence`s of them); `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { rustPreTokenizer } from "./pretokenize.ts";
 * const pre = rustPreTokenizer({ type: "ByteLevel", add_prefix_space: false })!;
 * if (JSON.stringify(pre("Hi  there\u0085)", true)) !== '["Hi","Ġ","Ġthere","Âħ",")"]') throw new Error("splits");
 * ```
 */
export function rustPreTokenizer(config: unknown): PreTokenizer | undefined {
  if (config === null || typeof config !== "object") return undefined;
  const c = config as Record<string, unknown>;
  switch (c.type) {
    case "ByteLevel":
      return byteLevel(c);
    case "WhitespaceSplit":
      return (text) => text.split(WHITESPACE_RUN).filter((p) => p.length > 0);
    case "Metaspace":
      return metaspace(c);
    case "Sequence": {
      if (!Array.isArray(c.pretokenizers)) return undefined;
      const parts = c.pretokenizers.map(rustPreTokenizer);
      if (parts.some((p) => p === undefined)) return undefined;
      return (text, first) =>
        parts.reduce<string[]>((pieces, p) => pieces.flatMap((x, i) => p!(x, first && i === 0)), [text]);
    }
    default:
      return undefined;
  }
}
