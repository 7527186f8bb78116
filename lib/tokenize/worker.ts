/**
 * Web Worker body for `tokenizeStream`: loads the tokenizer once, then encodes the batches it is sent and answers
 * with packed int32 arrays (ids, word ids with -1 for `null`, lengths), transferred rather than copied.
 *
 * Messages in: `{ type: "init", dir }`, then `{ type: "batch", seq, texts, options }`.
 * Messages out: `{ type: "ready" }`, `{ type: "batch", seq, ids, wordIds, lengths }` or `{ type: "error", message }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadTokenizer, type Tokenizer } from "./tokenizer.ts";
import { packEncodings, type WorkerRequest } from "./packed.ts";

let tokenizer: Tokenizer | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>): Promise<void> => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      tokenizer = await loadTokenizer(msg.dir);
      self.postMessage({ type: "ready" });
      return;
    }
    if (tokenizer === undefined) throw new Error("tokenizer worker: a batch came before init");
    const packed = packEncodings(tokenizer.encodeBatch(msg.texts, msg.options));
    self.postMessage({ type: "batch", seq: msg.seq, ...packed }, [
      packed.ids.buffer as ArrayBuffer,
      packed.wordIds.buffer as ArrayBuffer,
      packed.lengths.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    self.postMessage({ type: "error", message: (e as Error).message ?? String(e) });
  }
};
