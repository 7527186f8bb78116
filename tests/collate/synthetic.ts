/**
 * Test data for the collators: synthetic reviews made with a seeded {@link Rng} and cut into chunks the way the
 * course's `group_texts` does, and the HF tokenizer goldens (real ids, real special tokens) cut the same way.
 *
 * @module
 */
import type { Chunk } from "../../lib/data/types.ts";
import { Rng } from "../../lib/data/rng.ts";
import { readJsonl } from "../../lib/data/jsonl.ts";
import { SHARED } from "../support/shared.ts";

/** bert-base-uncased's special ids (tokenizer.json `added_tokens`, all `special: true`). */
export const BERT = { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103, vocabSize: 30522 } as const;
/** HF `tokenizer.all_special_ids` of bert-base-uncased. */
export const BERT_SPECIALS: readonly number[] = [0, 100, 101, 102, 103];

/** Where the HF tokenizer goldens are, relative to the shared folder. */
export const GOLDENS = "goldens/tokenizer_bert_base_uncased.jsonl.gz";

/** Concatenate encodings and cut `chunkSize` blocks (remainder dropped), labels a copy of the ids (`group_texts`). */
export function groupTexts(
  encodings: { input_ids: number[]; word_ids: (number | null)[] }[],
  chunkSize = 128,
): Chunk[] {
  const ids = encodings.flatMap((e) => e.input_ids);
  const words = encodings.flatMap((e) => e.word_ids);
  const chunks: Chunk[] = [];
  for (let start = 0; start + chunkSize <= ids.length; start += chunkSize) {
    const input_ids = ids.slice(start, start + chunkSize);
    chunks.push({
      input_ids,
      attention_mask: input_ids.map(() => 1),
      word_ids: words.slice(start, start + chunkSize),
      labels: [...input_ids],
    });
  }
  return chunks;
}

/**
 * `count` chunks of synthetic reviews: `[CLS]`, 5–60 words of 1–3 tokens (ids in `[firstId, vocabSize)`, now and
 * then a one-token `[UNK]` word), `[SEP]`; word ids restart per review and are null for `[CLS]`/`[SEP]`.
 */
export function syntheticChunks(
  count: number,
  seed: number,
  options: { vocabSize?: number; firstId?: number; chunkSize?: number } = {},
): Chunk[] {
  const { vocabSize = BERT.vocabSize, firstId = 1000, chunkSize = 128 } = options;
  const rng = new Rng(seed);
  const reviews: { input_ids: number[]; word_ids: (number | null)[] }[] = [];
  let tokens = 0;
  while (tokens < count * chunkSize) {
    const input_ids = [BERT.cls as number];
    const word_ids: (number | null)[] = [null];
    const words = 5 + rng.int(56);
    for (let w = 0; w < words; w++) {
      if (rng.random() < 0.02) {
        input_ids.push(BERT.unk);
        word_ids.push(w);
        continue;
      }
      const pieces = 1 + rng.int(3);
      for (let p = 0; p < pieces; p++) {
        input_ids.push(firstId + rng.int(vocabSize - firstId));
        word_ids.push(w);
      }
    }
    input_ids.push(BERT.sep);
    word_ids.push(null);
    reviews.push({ input_ids, word_ids });
    tokens += input_ids.length;
  }
  return groupTexts(reviews, chunkSize).slice(0, count);
}

/** The HF tokenizer goldens (2,103 encodings of IMDb reviews and hard cases), last first, cut into 128-token chunks. */
export async function goldenChunks(): Promise<Chunk[]> {
  const encodings: { input_ids: number[]; word_ids: (number | null)[] }[] = [];
  for await (const record of readJsonl(`${SHARED}/${GOLDENS}`)) {
    encodings.push(record as unknown as { input_ids: number[]; word_ids: (number | null)[] });
  }
  // The hard cases (among them "[MASK] is a [MASK].") come last in the file; put them first so that they are not in
  // the remainder group_texts drops.
  return groupTexts(encodings.reverse());
}
