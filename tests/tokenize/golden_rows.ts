/**
 * Reading the tokenizer goldens of `fixtures/reference/tokenizer_*.jsonl.gz` (made by
 * tools/reference/make_tokenizer_goldens.py): each row's text (inline, or a review of the shared IMDb files), the fast
 * tokenizer's `input_ids` and its `word_ids()` (stored delta-coded).
 *
 * @module
 */
import { readJsonl } from "../../lib/data/jsonl.ts";
import { ROOT, SHARED } from "../support/shared.ts";

/** One golden: the text, HF's ids and word ids, and whether it was held out while developing the tokenizer code. */
export interface GoldenRow {
  text: string;
  ids: number[];
  wordIds: (number | null)[];
  split: "dev" | "holdout";
  where: string;
}

const reviews = new Map<string, string[]>();

async function review(src: string, line: number): Promise<string> {
  let texts = reviews.get(src);
  if (texts === undefined) {
    texts = [];
    for await (const r of readJsonl(`${SHARED}/data/imdb/${src}.jsonl.gz`)) texts.push(r.text as string);
    reviews.set(src, texts);
  }
  return texts[line];
}

/** The rows of `fixtures/reference/<file>`; IMDb rows need the shared data. */
export async function* goldenRows(file: string): AsyncGenerator<GoldenRow> {
  let n = 0;
  for await (const r of readJsonl(`${ROOT}/fixtures/reference/${file}`)) {
    n++;
    let text: string;
    let where: string;
    if (typeof r.text === "string") {
      text = r.text;
      where = `${file} row ${n} ${JSON.stringify(text).slice(0, 60)}`;
    } else {
      text = await review(r.src as string, r.line as number);
      if (typeof r.from === "number") text = Array.from(text).slice(r.from, r.to as number).join("");
      where = `${file} row ${n} (imdb ${r.src} line ${r.line})`;
    }
    let last = -1;
    const wordIds = (r.words as (number | null)[]).map((d) => d === null ? null : (last += d));
    yield { text, ids: r.ids as number[], wordIds, split: r.split as "dev" | "holdout", where };
  }
}
