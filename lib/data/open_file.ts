/**
 * A corpus file's bytes as a stream, gunzipped on the fly when its name ends in `.gz` — what every line and record
 * reader starts from.
 *
 * @module
 */

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
  return file.readable.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}
