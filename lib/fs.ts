/**
 * Small file-system helpers shared by every writer: whole-file writes that never leave a half-written file
 * (write a temporary sibling, `fsync` it, rename it into place, `fsync` the folder), a folder written the same way,
 * and existence checks.
 *
 * @module
 */

/**
 * Write `data` to `path` atomically and durably: a temporary sibling is written and flushed to disk (`fsync`), then
 * renamed over `path`, and the folder is flushed; on failure the temporary file is removed and `path` is untouched.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello\n");
 * if (await Deno.readTextFile(`${dir}/a.txt`) !== "hello\n") throw new Error("written");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      await file.sync(); // on disk before the rename makes it visible: a power loss never leaves an empty file
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  await syncDir(parentDir(path));
}

/** The folder holding `path` (`.` for a bare name). */
function parentDir(path: string): string {
  const slash = path.replace(/\/+$/, "").lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
}

/**
 * Flush a file's contents to disk (`fsync`).
 *
 * @example
 * ```ts
 * import { syncFile } from "./fs.ts";
 * const path = await Deno.makeTempFile();
 * await syncFile(path);
 * ```
 */
export async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Flush a folder's entries (a rename into it) to disk, where the platform allows a folder to be opened (Linux and
 * macOS; elsewhere nothing is done).
 *
 * @example
 * ```ts
 * import { syncDir } from "./fs.ts";
 * await syncDir(await Deno.makeTempDir());
 * ```
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch {
    return; // Windows cannot open a folder this way; its renames are journaled
  }
  try {
    await handle.sync();
  } catch {
    // some file systems refuse fsync on a folder: nothing more can be done
  } finally {
    handle.close();
  }
}

/** `fsync` every file under `dir`, then every folder, deepest first. */
async function syncTree(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await syncTree(path);
    else if (entry.isFile) await syncFile(path);
  }
  await syncDir(dir);
}

/**
 * Fill a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, whose files are flushed to disk
 * (`fsync`) before it replaces `dir` (an existing `dir` is removed first). On failure the temporary folder is removed
 * and `dir` is left as it was.
 *
 * @example
 * ```ts
 * import { writeDirAtomic } from "./fs.ts";
 * const root = await Deno.makeTempDir();
 * await writeDirAtomic(`${root}/out`, async (tmp) => await Deno.writeTextFile(`${tmp}/x.txt`, "x"));
 * if (await Deno.readTextFile(`${root}/out/x.txt`) !== "x") throw new Error("filled");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const slash = dir.replace(/\/+$/, "").lastIndexOf("/");
  const parent = slash >= 0 ? dir.slice(0, slash) || "/" : ".";
  const base = slash >= 0 ? dir.slice(slash + 1) : dir;
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${parent}/.${base}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp);
  try {
    await fill(tmp);
    await syncTree(tmp); // every file on disk before the folder appears under its name
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  await syncDir(parent);
}

/**
 * Whether `path` exists (file or folder); other errors (e.g. permission denied) are thrown.
 *
 * @example
 * ```ts
 * import { exists } from "./fs.ts";
 * if (await exists("/definitely/not/here")) throw new Error("absent");
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Synchronous {@link exists}.
 *
 * @example
 * ```ts
 * import { existsSync } from "./fs.ts";
 * if (existsSync("/definitely/not/here")) throw new Error("absent");
 * ```
 */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Resolve after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { sleep } from "./fs.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
