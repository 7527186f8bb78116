/**
 * `group_texts` of the Hugging Face course: concatenate tokenized examples and cut the stream into fixed-size chunks,
 * dropping the remainder; `labels` is a copy of `input_ids`.
 *
 * HF applies it with `dataset.map(group_texts, batched=True)`, whose default `batch_size=1000` concatenates each
 * group of 1,000 examples on its own and drops each group's remainder: that is `groupBatch: 1000` (the default).
 * `groupBatch: "global"` (or `Infinity`) concatenates the whole corpus and drops one remainder at the end.
 *
 * @module
 */
import type { Chunk, Encoding } from "./types.ts";

/** Options of {@linkcode groupTexts} and {@linkcode groupTextsStream}. */
export interface GroupTextsOptions {
  /** Tokens per chunk (the course uses 128). */
  chunkSize: number;
  /** Examples concatenated together before cutting (HF `map` `batch_size`); default 1000. `"global"`: all of them. */
  groupBatch?: number | "global";
}

function groupSize(options: GroupTextsOptions): number {
  const { chunkSize } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new Error(`groupTexts: chunkSize must be an integer >= 1, got ${chunkSize}`);
  }
  const group = options.groupBatch ?? 1000;
  if (group === "global" || group === Infinity) return Infinity;
  if (!Number.isInteger(group) || group < 1) {
    throw new Error(`groupTexts: groupBatch must be an integer >= 1, Infinity or "global", got ${group}`);
  }
  return group;
}

/** Concatenation buffer: takes encodings, gives full chunks, forgets the remainder on `dropRemainder`. */
class Concatenator {
  #ids: number[] = [];
  #words: (number | null)[] = [];
  #mask: number[] = [];
  #start = 0;
  constructor(readonly chunkSize: number) {}

  push(e: Encoding, at: number): void {
    const n = e.input_ids.length;
    if (e.attention_mask.length !== n || e.word_ids.length !== n) {
      throw new Error(
        `groupTexts: example ${at} has ${n} input_ids, ${e.attention_mask.length} attention_mask and ` +
          `${e.word_ids.length} word_ids; expected equal lengths`,
      );
    }
    for (let i = 0; i < n; i++) {
      this.#ids.push(e.input_ids[i]);
      this.#mask.push(e.attention_mask[i]);
      this.#words.push(e.word_ids[i]);
    }
  }

  *chunks(): Generator<Chunk> {
    const size = this.chunkSize;
    while (this.#ids.length - this.#start >= size) {
      const end = this.#start + size;
      const input_ids = this.#ids.slice(this.#start, end);
      yield {
        input_ids,
        attention_mask: this.#mask.slice(this.#start, end),
        word_ids: this.#words.slice(this.#start, end),
        labels: input_ids.slice(),
      };
      this.#start = end;
    }
    if (this.#start > 1 << 16) this.#compact();
  }

  dropRemainder(): void {
    this.#ids = [];
    this.#mask = [];
    this.#words = [];
    this.#start = 0;
  }

  #compact(): void {
    this.#ids = this.#ids.slice(this.#start);
    this.#mask = this.#mask.slice(this.#start);
    this.#words = this.#words.slice(this.#start);
    this.#start = 0;
  }
}

/**
 * Group encodings into chunks (pure, in memory).
 *
 * @example
 * ```ts
 * import { groupTexts } from "./group_texts.ts";
 * const enc = (ids: number[]) => ({ input_ids: ids, attention_mask: ids.map(() => 1), word_ids: ids.map((_, i) => i) });
 * const chunks = groupTexts([enc([1, 2, 3]), enc([4, 5, 6, 7])], { chunkSize: 3 });
 * if (JSON.stringify(chunks.map((c) => c.labels)) !== "[[1,2,3],[4,5,6]]") throw new Error("chunks");
 * if (JSON.stringify(chunks[1].word_ids) !== "[0,1,2]") throw new Error("word ids");
 * ```
 */
export function groupTexts(encodings: Iterable<Encoding>, options: GroupTextsOptions): Chunk[] {
  const group = groupSize(options);
  const buffer = new Concatenator(options.chunkSize);
  const out: Chunk[] = [];
  let n = 0;
  for (const e of encodings) {
    buffer.push(e, n++);
    for (const c of buffer.chunks()) out.push(c);
    if (n % group === 0) buffer.dropRemainder();
  }
  return out;
}

/**
 * Group a stream of encodings into chunks, yielding each chunk as soon as it is full (same result as
 * {@linkcode groupTexts}).
 *
 * @example
 * ```ts
 * import { groupTextsStream } from "./group_texts.ts";
 * const enc = (n: number) => ({ input_ids: Array(n).fill(7), attention_mask: Array(n).fill(1), word_ids: Array(n).fill(0) });
 * async function* encodings() { yield enc(5); yield enc(5); yield enc(5); }
 * let chunks = 0;
 * for await (const _ of groupTextsStream(encodings(), { chunkSize: 4, groupBatch: 2 })) chunks++;
 * if (chunks !== 3) throw new Error(`expected 2 + 1 chunks, got ${chunks}`);
 * ```
 */
export async function* groupTextsStream(
  encodings: AsyncIterable<Encoding> | Iterable<Encoding>,
  options: GroupTextsOptions,
): AsyncGenerator<Chunk> {
  const group = groupSize(options);
  const buffer = new Concatenator(options.chunkSize);
  let n = 0;
  for await (const e of encodings) {
    buffer.push(e, n++);
    yield* buffer.chunks();
    if (n % group === 0) buffer.dropRemainder();
  }
}
