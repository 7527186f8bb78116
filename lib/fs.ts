/**
 * Small file-system helpers shared by every writer: whole-file writes that never leave a half-written file
 * (write a temporary sibling, then rename), a folder written the same way, and existence checks.
 *
 * @module
 */

/**
 * Write `data` to `path` atomically: a temporary sibling is written, then renamed over `path`; on failure the
 * temporary file is removed and `path` is untouched.
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
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Fill a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, which then replaces `dir` (an
 * existing `dir` is removed first). On failure the temporary folder is removed and `dir` is left as it was.
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
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
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
