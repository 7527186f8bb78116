/**
 * The demo fixture's first movie reviews as chunks, with the ids a masking collator needs: the small real data the
 * loop tests train on.
 *
 * @module
 */
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import type { Chunk } from "../../lib/data/types.ts";
import { DEMO_FIXTURE_DIR, textsToChunks } from "../../lib/app/demo.ts";

/** The demo model's folder. */
export const DEMO_MODEL = `${DEMO_FIXTURE_DIR}/model`;

/** The collator ids of the demo tokenizer. */
export interface CollatorIds {
  maskTokenId: number;
  vocabSize: number;
  specialIds: number[];
  padTokenId: number;
}

/** The first `reviews` reviews of the demo corpus, tokenized and cut into chunks of `chunkSize` tokens. */
export async function demoChunks(reviews: number, chunkSize: number): Promise<{ chunks: Chunk[]; ids: CollatorIds }> {
  const tokenizer = await loadTokenizer(DEMO_MODEL);
  const texts: string[] = [];
  for await (const t of readTexts(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) texts.push(t);
  const chunks = textsToChunks(texts.slice(0, reviews), tokenizer, { chunkSize });
  const ids = {
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
  };
  return { chunks, ids };
}
