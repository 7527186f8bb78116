/**
 * A corpus file's bytes as a stream, gunzipped on the fly when its name ends in `.gz` — what every line and record
 * reader starts from.
 *
 * @module
 */
import { createGunzip } from "node:zlib";

/**
 * Open `path` for streaming; a file that cannot be opened fails naming it.
 *
 * @example
 * ```ts
 * import { openBytes } from "./open_file.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hi");
 * const text = await new Response(await openBytes(path)).text();
 * if (text !== "hi") throw new Error(text);
 * ```
 */
export async function openBytes(path: string): Promise<ReadableStream<Uint8Array>> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new Error(`${path}: cannot open (${(e as Error).message})`);
  }
  if (!path.endsWith(".gz")) return file.readable;
  return file.readable.pipeThrough(gunzipStream());
}

/**
 * A gunzip transform that reads every member of a multi-member file (what `pigz`, `cat a.gz b.gz` and `gzip -c >>`
 * produce, and `zcat` reads whole): the web `DecompressionStream` stops after the first. Built on `node:zlib`.
 *
 * @example
 * ```ts
 * import { gunzipStream } from "./open_file.ts";
 * import { gzipSync } from "node:zlib";
 * const twoMembers = new Uint8Array([...gzipSync("a\n"), ...gzipSync("b\n")]);
 * const text = await new Response(new Response(twoMembers).body!.pipeThrough(gunzipStream())).text();
 * if (text !== "a\nb\n") throw new Error(JSON.stringify(text));
 * ```
 */
export function gunzipStream(): TransformStream<Uint8Array, Uint8Array> {
  const gunzip = createGunzip();
  let failure: Error | undefined;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      gunzip.on("data", (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk)));
      gunzip.on("error", (e: Error) => {
        failure = e;
        controller.error(e);
      });
    },
    transform(chunk) {
      return new Promise<void>((resolve, reject) => {
        gunzip.write(chunk, (e?: Error | null) => (e ?? failure) ? reject(e ?? failure) : resolve());
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        gunzip.once("end", () => resolve());
        gunzip.once("error", reject);
        gunzip.end();
        gunzip.resume();
      });
    },
  });
}
