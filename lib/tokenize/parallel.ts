/**
 * Batch tokenization of a large corpus across Web Workers, results in input order.
 *
 * Each worker loads the tokenizer once (it needs read permission only) and encodes whole batches; batches go to the
 * least-busy worker, at most two per worker in flight, so memory stays bounded however long the input is.
 *
 * @module
 */
import type { Encoding } from "../data/types.ts";
import { type EncodeOptions, loadTokenizer } from "./tokenizer.ts";
import { unpackEncodings, type WorkerReply, type WorkerRequest } from "./packed.ts";
import { exists } from "../fs.ts";

/** Options of {@linkcode tokenizeStream}. */
export interface TokenizeStreamOptions extends EncodeOptions {
  /** Worker threads; `0` encodes in this thread. Default `min(navigator.hardwareConcurrency, 4)`. */
  workers?: number;
  /** Texts sent to a worker at a time; default 256. */
  batchSize?: number;
}

/** The tokenizer worker's module (loaded by URL, so a bundle that inlined this file has none beside it). */
const WORKER_URL = new URL("./worker.ts", import.meta.url);

/**
 * The default worker count: `min(navigator.hardwareConcurrency, 4)`, or 0 (tokenize in-process) when the worker
 * module is not beside this file, as in a `deno bundle` output.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "./parallel.ts";
 * const n = defaultWorkers();
 * if (n < 1 || n > 4) throw new Error(`${n}`);
 * ```
 */
export function defaultWorkers(): number {
  if (!workerModuleReachable()) return 0;
  return Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 4));
}

/** False when the worker module is a local file that is not there (a `deno bundle` output): tokenize in-process. */
function workerModuleReachable(): boolean {
  if (WORKER_URL.protocol !== "file:") return true;
  try {
    Deno.statSync(WORKER_URL);
    return true;
  } catch {
    return false;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // awaited later; this keeps an early failure from counting as unhandled
  return { promise, resolve, reject };
}

async function* batchesOf(texts: AsyncIterable<string> | Iterable<string>, size: number): AsyncGenerator<string[]> {
  let batch: string[] = [];
  let index = 0;
  for await (const text of texts) {
    if (typeof text !== "string") {
      throw new Error(`tokenizeStream: text #${index} is ${text === null ? "null" : typeof text}, expected a string`);
    }
    index++;
    batch.push(text);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Tokenize a stream of texts with the tokenizer in `tokenizerDir`, yielding one Encoding per text, in input order.
 *
 * @example
 * ```ts
 * import { tokenizeStream } from "./parallel.ts";
 * const dir = "../shared/data/bert-base-uncased";
 * if (await Deno.stat(dir).catch(() => null)) {
 *   const lengths = [];
 *   for await (const e of tokenizeStream(["a b", "c", "d e f"], dir, { workers: 2, batchSize: 1 })) {
 *     lengths.push(e.input_ids.length);
 *   }
 *   if (lengths.join() !== "4,3,5") throw new Error(lengths.join());
 * }
 * ```
 */
export async function* tokenizeStream(
  texts: AsyncIterable<string> | Iterable<string>,
  tokenizerDir: string,
  options: TokenizeStreamOptions = {},
): AsyncGenerator<Encoding> {
  const workers = options.workers ?? defaultWorkers();
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers: expected an integer >= 0, got ${workers}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize: expected an integer >= 1, got ${batchSize}`);
  }
  const encodeOptions: EncodeOptions = {
    addSpecialTokens: options.addSpecialTokens,
    maxLength: options.maxLength,
    wordBoundaries: options.wordBoundaries,
    locale: options.locale,
  };
  if (workers === 0) {
    const tokenizer = await loadTokenizer(tokenizerDir);
    for await (const batch of batchesOf(texts, batchSize)) yield* tokenizer.encodeBatch(batch, encodeOptions);
    return;
  }
  if (!(await exists(`${tokenizerDir}/tokenizer.json`))) {
    await loadTokenizer(tokenizerDir); // fails here, with the loader's message, before any thread starts
  }
  const pool: Worker[] = [];
  const load: number[] = [];
  const pending = new Map<number, Deferred<Encoding[]>>();
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    for (const d of pending.values()) d.reject(failure);
  };
  try {
    const ready: Promise<void>[] = [];
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(WORKER_URL, { type: "module" });
      const isReady = deferred<void>();
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const msg = event.data;
        if (msg.type === "ready") isReady.resolve();
        else if (msg.type === "error") {
          const error = new Error(`tokenizer worker: ${msg.message}`);
          isReady.reject(error);
          fail(error);
        } else {
          load[w]--;
          const d = pending.get(msg.seq);
          if (d !== undefined) d.resolve(unpackEncodings(msg));
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        const error = new Error(`tokenizer worker crashed: ${event.message}`);
        isReady.reject(error);
        fail(error);
      };
      pool.push(worker);
      load.push(0);
      worker.postMessage({ type: "init", dir: tokenizerDir } satisfies WorkerRequest);
      ready.push(isReady.promise);
    }
    await Promise.all(ready);
    const batches = batchesOf(texts, batchSize);
    let nextSeq = 0;
    let nextOut = 0;
    let inputDone = false;
    while (true) {
      while (!inputDone && nextSeq - nextOut < 2 * workers) {
        const next = await batches.next();
        if (next.done) {
          inputDone = true;
          break;
        }
        let w = 0;
        for (let i = 1; i < workers; i++) if (load[i] < load[w]) w = i;
        const d = deferred<Encoding[]>();
        if (failure !== undefined) d.reject(failure);
        pending.set(nextSeq, d);
        load[w]++;
        pool[w].postMessage(
          { type: "batch", seq: nextSeq, texts: next.value, options: encodeOptions } satisfies WorkerRequest,
        );
        nextSeq++;
      }
      if (nextOut === nextSeq) break;
      const d = pending.get(nextOut)!;
      const encodings = await d.promise;
      pending.delete(nextOut);
      nextOut++;
      yield* encodings;
    }
  } finally {
    for (const worker of pool) worker.terminate();
  }
}
