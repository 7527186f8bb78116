/**
 * Encodings packed into flat int32 arrays (word id `null` stored as -1), the form batches take between the
 * tokenizer workers and the main thread, and the messages they exchange.
 *
 * @module
 */
import type { Encoding } from "../data/types.ts";
import type { EncodeOptions } from "./tokenizer.ts";

/** A batch of encodings as flat arrays: `lengths[i]` tokens of example `i`, one after the other. */
export interface PackedEncodings {
  /** Token ids of every example, concatenated. */
  ids: Int32Array;
  /** Word ids, -1 where HF has `null`. */
  wordIds: Int32Array;
  /** Token count of each example. */
  lengths: Int32Array;
}

/** What the main thread sends a tokenizer worker. */
export type WorkerRequest =
  | { type: "init"; dir: string }
  | { type: "batch"; seq: number; texts: string[]; options: EncodeOptions };

/** What a tokenizer worker answers. */
export type WorkerReply =
  | { type: "ready" }
  | ({ type: "batch"; seq: number } & PackedEncodings)
  | { type: "error"; message: string };

/**
 * Pack encodings into flat int32 arrays.
 *
 * @example
 * ```ts
 * import { packEncodings } from "./packed.ts";
 * const p = packEncodings([{ input_ids: [101, 7, 102], attention_mask: [1, 1, 1], word_ids: [null, 0, null] }]);
 * if (p.wordIds.join() !== "-1,0,-1" || p.lengths[0] !== 3) throw new Error("pack");
 * ```
 */
export function packEncodings(encodings: Encoding[]): PackedEncodings {
  let total = 0;
  for (const e of encodings) total += e.input_ids.length;
  const ids = new Int32Array(total);
  const wordIds = new Int32Array(total);
  const lengths = new Int32Array(encodings.length);
  let at = 0;
  for (let i = 0; i < encodings.length; i++) {
    const e = encodings[i];
    lengths[i] = e.input_ids.length;
    for (let j = 0; j < e.input_ids.length; j++, at++) {
      ids[at] = e.input_ids[j];
      const w = e.word_ids[j];
      wordIds[at] = w === null ? -1 : w;
    }
  }
  return { ids, wordIds, lengths };
}

/**
 * Unpack flat arrays back into encodings (attention mask all ones).
 *
 * @example
 * ```ts
 * import { packEncodings, unpackEncodings } from "./packed.ts";
 * const enc = { input_ids: [101, 7, 102], attention_mask: [1, 1, 1], word_ids: [null, 0, null] };
 * const back = unpackEncodings(packEncodings([enc]));
 * if (JSON.stringify(back) !== JSON.stringify([enc])) throw new Error("round trip");
 * ```
 */
export function unpackEncodings(packed: PackedEncodings): Encoding[] {
  const out: Encoding[] = new Array(packed.lengths.length);
  let at = 0;
  for (let i = 0; i < packed.lengths.length; i++) {
    const n = packed.lengths[i];
    const input_ids = new Array<number>(n);
    const word_ids = new Array<number | null>(n);
    for (let j = 0; j < n; j++, at++) {
      input_ids[j] = packed.ids[at];
      const w = packed.wordIds[at];
      word_ids[j] = w < 0 ? null : w;
    }
    out[i] = { input_ids, attention_mask: new Array<number>(n).fill(1), word_ids };
  }
  return out;
}
