/**
 * The Hub cache on disk, laid out exactly like Python `huggingface_hub`'s so both reuse each other's downloads:
 *
 * ```
 * $HF_HUB_CACHE (or $HF_HOME/hub, or ~/.cache/huggingface/hub)
 * └── models--org--name/            (datasets--org--name for datasets)
 *     ├── blobs/<etag>              file contents, named by git sha1 or LFS sha256
 *     ├── refs/<revision>           the commit a branch or tag pointed to, no newline
 *     ├── snapshots/<commit>/<file> relative symlink → ../../blobs/<etag>
 *     └── .no_exist/<commit>/<file> empty marker: the file is absent at that commit
 * ```
 *
 * Run as a script (`deno run --allow-env=HF_HUB_CACHE,HUGGINGFACE_HUB_CACHE,HF_HOME,XDG_CACHE_HOME,HOME,USERPROFILE
 * lib/hub/cache.ts`), it prints the cache root: the tasks that write only there scope `--allow-write` with it.
 *
 * @module
 */
import { dirname, join, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "../fs.ts";

/** A 40-hex-digit commit id. */
export const REGEX_COMMIT_HASH: RegExp = /^[0-9a-f]{40}$/;

/** Kinds of Hub repositories. */
export type RepoType = "model" | "dataset" | "space";

/**
 * The cache root: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
 * `~/.cache/huggingface/hub` (as `huggingface_hub.constants`).
 *
 * @example
 * ```ts
 * import { hubCacheDir } from "./cache.ts";
 * if (!hubCacheDir().endsWith("hub")) throw new Error("unexpected");
 * ```
 */
export function hubCacheDir(): string {
  const hubCache = Deno.env.get("HF_HUB_CACHE") ?? Deno.env.get("HUGGINGFACE_HUB_CACHE");
  if (hubCache) return expandHome(hubCache);
  const hfHome = Deno.env.get("HF_HOME");
  if (hfHome) return join(expandHome(hfHome), "hub");
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const base = xdg ? expandHome(xdg) : join(homeDir(), ".cache");
  return join(base, "huggingface", "hub");
}

/**
 * HF's token file (what `hf auth login` writes): `$HF_HOME/token`, else `$XDG_CACHE_HOME/huggingface/token`, else
 * `~/.cache/huggingface/token` (as `huggingface_hub.constants`; `HF_HUB_CACHE` does not move it).
 *
 * @example
 * ```ts
 * import { hubTokenPath } from "./cache.ts";
 * if (!hubTokenPath().endsWith("token")) throw new Error("unexpected");
 * ```
 */
export function hubTokenPath(): string {
  const hfHome = Deno.env.get("HF_HOME");
  if (hfHome) return join(expandHome(hfHome), "token");
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return join(xdg ? expandHome(xdg) : join(homeDir(), ".cache"), "huggingface", "token");
}

/** `~` at the start of a path → the home folder. */
function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? homeDir() + path.slice(1) : path;
}

/** The user's home folder. */
function homeDir(): string {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("cannot find the Hub cache: set HF_HUB_CACHE or HF_HOME (HOME is not set)");
  return home;
}

/**
 * True when `$HF_HUB_OFFLINE` is set to 1/ON/YES/TRUE (any case), as `huggingface_hub` reads it.
 *
 * @example
 * ```ts
 * import { hubOffline } from "./cache.ts";
 * if (typeof hubOffline() !== "boolean") throw new Error("unexpected");
 * ```
 */
export function hubOffline(): boolean {
  const value = (Deno.env.get("HF_HUB_OFFLINE") ?? "").trim().toUpperCase();
  return ["1", "ON", "YES", "TRUE"].includes(value);
}

/**
 * The folder name of a repo in the cache: `models--org--name`, `datasets--name`, ….
 *
 * @example
 * ```ts
 * import { repoFolderName } from "./cache.ts";
 * if (repoFolderName("distilbert/distilbert-base-uncased", "model") !== "models--distilbert--distilbert-base-uncased") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function repoFolderName(repoId: string, repoType: RepoType = "model"): string {
  return [`${repoType}s`, ...repoId.split("/")].join("--");
}

/**
 * Strip a weak-ETag prefix and quotes: `W/"abc"` → `abc` (as `huggingface_hub._normalize_etag`).
 *
 * @example
 * ```ts
 * import { normalizeEtag } from "./cache.ts";
 * if (normalizeEtag('W/"abc"') !== "abc") throw new Error("unexpected");
 * ```
 */
export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null || etag === "") return undefined;
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

/**
 * A commit id sent by a server, checked: exactly 40 lower-case hex digits, else an error naming where it came from.
 * Server-sent names become folder names in the cache, so nothing else is accepted.
 *
 * @example
 * ```ts
 * import { checkCommitHash } from "./cache.ts";
 * checkCommitHash("a".repeat(40), "X-Repo-Commit");
 * let refused = false;
 * try {
 *   checkCommitHash("../../../home/me/.bashrc", "X-Repo-Commit");
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("unexpected");
 * ```
 */
export function checkCommitHash(commit: unknown, source: string): string {
  if (typeof commit === "string" && REGEX_COMMIT_HASH.test(commit)) return commit;
  throw new Error(
    `${source}: expected a commit id (40 hex digits), got ${JSON.stringify(commit)?.slice(0, 120)}; refusing to use ` +
      "it as a cache folder name (nothing was written). Is HF_ENDPOINT a Hugging Face Hub?",
  );
}

/**
 * A blob name from an `ETag` / `X-Linked-Etag` header, checked: the forms the Hub sends (`"<hex>"`, `W/"<hex>"`, bare
 * `<hex>`) are normalized as `huggingface_hub._normalize_etag` does, and the result must be 32 to 128 hex digits (a
 * git sha1, an LFS or Xet sha256, an md5). Anything else fails naming where it came from.
 *
 * @example
 * ```ts
 * import { checkEtag } from "./cache.ts";
 * if (checkEtag(`W/"${"ab".repeat(20)}"`, "ETag") !== "ab".repeat(20)) throw new Error("normalized");
 * let refused = false;
 * try {
 *   checkEtag("..", "ETag");
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("unexpected");
 * ```
 */
export function checkEtag(etag: string | null, source: string): string {
  const normalized = normalizeEtag(etag);
  if (normalized !== undefined && /^[0-9a-fA-F]{32,128}$/.test(normalized)) return normalized;
  throw new Error(
    `${source}: expected an ETag of hex digits (a git sha1 or sha256, optionally quoted), got ` +
      `${JSON.stringify(etag)?.slice(0, 120)}; refusing to use it as a cache file name (nothing was written). ` +
      "Is HF_ENDPOINT a Hugging Face Hub?",
  );
}

/**
 * `path` if it lies inside `root` once both are resolved (`..` segments and all), else an error: every path the cache
 * writes goes through this, so no name from a server or a revision can lead a write outside the cache.
 *
 * @example
 * ```ts
 * import { insideFolder } from "./cache.ts";
 * if (insideFolder("/c/models--a", "/c/models--a/refs/main") !== "/c/models--a/refs/main") throw new Error();
 * let refused = false;
 * try {
 *   insideFolder("/c/models--a", "/c/models--a/refs/../../../etc/passwd");
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("unexpected");
 * ```
 */
export function insideFolder(root: string, path: string): string {
  const base = resolve(root);
  const full = resolve(path);
  if (full !== base && full.startsWith(base.endsWith(sep) ? base : base + sep)) return path;
  throw new Error(`refusing to write ${path}: it resolves to ${full}, outside the Hub cache folder ${base}`);
}

/**
 * Check a repo-relative file name before it is joined onto a cache folder (no absolute paths, no `..`).
 *
 * @example
 * ```ts
 * import { checkRelativeFilename } from "./cache.ts";
 * checkRelativeFilename("plain_text/train/0000.parquet");
 * let refused = false;
 * try {
 *   checkRelativeFilename("../../etc/passwd");
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("unexpected");
 * ```
 */
export function checkRelativeFilename(filename: string): void {
  const parts = filename.split("/");
  if (
    filename === "" || filename.startsWith("/") || parts.includes("..") || parts.includes(".") || parts.includes("") ||
    filename.includes("\\") || /^[a-zA-Z]:/.test(filename) || filename.includes("\0")
  ) {
    throw new Error(`invalid file name in repo: ${JSON.stringify(filename)} (expected a relative path without "..")`);
  }
}

/** Options locating a repo in the cache. */
export interface CacheLocation {
  /** Repo kind (default "model"). */
  repoType?: RepoType;
  /** Cache root (default {@link hubCacheDir}). */
  cacheDir?: string;
}

/**
 * The repo's folder in the cache (which need not exist).
 *
 * @example
 * ```ts
 * import { repoCacheFolder } from "./cache.ts";
 * const dir = repoCacheFolder("imdb", { repoType: "dataset", cacheDir: "/tmp/hub" });
 * if (dir !== "/tmp/hub/datasets--imdb") throw new Error(dir);
 * ```
 */
export function repoCacheFolder(repoId: string, options: CacheLocation = {}): string {
  return join(options.cacheDir ?? hubCacheDir(), repoFolderName(repoId, options.repoType ?? "model"));
}

/**
 * Read `refs/<revision>` → commit id, or `undefined` when absent.
 *
 * @example
 * ```ts
 * import { readRef } from "./cache.ts";
 * if (readRef(await Deno.makeTempDir(), "main") !== undefined) throw new Error("unexpected");
 * ```
 */
export function readRef(storage: string, revision: string): string | undefined {
  try {
    const commit = Deno.readTextFileSync(join(storage, "refs", revision)).trim();
    return REGEX_COMMIT_HASH.test(commit) ? commit : undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) return undefined;
    throw e;
  }
}

/**
 * The commit a revision means locally: a commit id is itself, a branch or tag is read from `refs/`.
 *
 * @example
 * ```ts
 * import { resolveCachedRevision } from "./cache.ts";
 * if (resolveCachedRevision("/nonexistent", "main") !== undefined) throw new Error("unexpected");
 * ```
 */
export function resolveCachedRevision(storage: string, revision: string): string | undefined {
  return REGEX_COMMIT_HASH.test(revision) ? revision : readRef(storage, revision);
}

/**
 * Record that `revision` (a branch or tag) points at `commit`: writes `refs/<revision>` (no newline) atomically when
 * it changed, as `huggingface_hub._cache_commit_hash_for_specific_revision`. A commit id revision writes nothing.
 *
 * @example
 * ```ts
 * import { readRef, writeRef } from "./cache.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRef(dir, "main", "a".repeat(40));
 * if (readRef(dir, "main") !== "a".repeat(40)) throw new Error("unexpected");
 * ```
 */
export async function writeRef(storage: string, revision: string, commit: string): Promise<void> {
  if (revision === commit || readRef(storage, revision) === commit) return;
  checkCommitHash(commit, `the commit for revision ${revision}`);
  const path = insideFolder(join(storage, "refs"), join(storage, "refs", revision));
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, commit);
}

/**
 * `snapshots/<commit>/<filename>` inside a repo's cache folder.
 *
 * @example
 * ```ts
 * import { snapshotPath } from "./cache.ts";
 * if (snapshotPath("/c/models--a", "abc", "x/y.json") !== "/c/models--a/snapshots/abc/x/y.json") throw new Error();
 * ```
 */
export function snapshotPath(storage: string, commit: string, filename: string): string {
  return insideFolder(join(storage, "snapshots"), join(storage, "snapshots", commit, ...filename.split("/")));
}

/**
 * `blobs/<etag>` inside a repo's cache folder.
 *
 * @example
 * ```ts
 * import { blobPath } from "./cache.ts";
 * if (blobPath("/c/models--a", "e1") !== "/c/models--a/blobs/e1") throw new Error("unexpected");
 * ```
 */
export function blobPath(storage: string, etag: string): string {
  return insideFolder(join(storage, "blobs"), join(storage, "blobs", etag));
}

/**
 * Point `snapshots/<commit>/<filename>` at `blobs/<etag>` with a relative symlink, created under a temporary name and
 * renamed into place (atomic). Where Deno's permissions refuse symlinks (a `--allow-write` scoped to folders), the
 * snapshot file is a hard link to the blob; where the system refuses them, a copy (as `huggingface_hub` does).
 *
 * @example
 * ```ts
 * import { blobPath, linkSnapshot } from "./cache.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/blobs`);
 * await Deno.writeTextFile(blobPath(dir, "e1"), "{}");
 * const p = await linkSnapshot(dir, { commit: "c".repeat(40), filename: "config.json", etag: "e1" });
 * if (Deno.readLinkSync(p) !== "../../blobs/e1") throw new Error("unexpected");
 * ```
 */
export async function linkSnapshot(storage: string, entry: SnapshotEntry): Promise<string> {
  checkCommitHash(entry.commit, `the snapshot commit of ${entry.filename}`);
  checkRelativeFilename(entry.filename);
  const pointer = snapshotPath(storage, entry.commit, entry.filename);
  const blob = blobPath(storage, entry.etag);
  await Deno.mkdir(dirname(pointer), { recursive: true });
  const tmp = `${pointer}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.symlink(relative(dirname(pointer), blob), tmp);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      // Deno grants symlinks only with unscoped --allow-read/--allow-write; under a grant scoped to the cache (the
      // fill-mask and evaluate tasks), the snapshot file is a hard link to the blob: same bytes, no extra disk.
      try {
        await Deno.link(blob, tmp);
      } catch {
        await Deno.copyFile(blob, tmp);
      }
    } else if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotSupported) {
      await Deno.copyFile(blob, tmp);
    } else {
      throw e;
    }
  }
  await Deno.rename(tmp, pointer);
  return pointer;
}

/** One file of a snapshot: which commit, which path in the repo, which blob. */
export interface SnapshotEntry {
  /** Commit id. */
  commit: string;
  /** Path inside the repo (forward slashes). */
  filename: string;
  /** Blob name (normalized ETag). */
  etag: string;
}

/**
 * Mark `filename` as absent at `commit` (`.no_exist/<commit>/<filename>`, an empty file), as `huggingface_hub` does
 * when the Hub answers EntryNotFound.
 *
 * @example
 * ```ts
 * import { markNoExist } from "./cache.ts";
 * const dir = await Deno.makeTempDir();
 * await markNoExist(dir, { commit: "c".repeat(40), filename: "vocab.txt" });
 * Deno.statSync(`${dir}/.no_exist/${"c".repeat(40)}/vocab.txt`);
 * ```
 */
export async function markNoExist(storage: string, entry: Omit<SnapshotEntry, "etag">): Promise<void> {
  checkCommitHash(entry.commit, `the commit of missing ${entry.filename}`);
  checkRelativeFilename(entry.filename);
  const path = insideFolder(
    join(storage, ".no_exist"),
    join(storage, ".no_exist", entry.commit, ...entry.filename.split("/")),
  );
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeFile(path, new Uint8Array(0));
}

/** Options of {@link cachedFile}. */
export interface CachedFileOptions extends CacheLocation {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
}

/** What the cache knows of a file: its path, that it is known absent, or nothing. */
export type CacheLookup = { state: "cached"; path: string; commit: string } | { state: "absent"; commit: string } | {
  state: "unknown";
};

/**
 * Look a file up in the cache without any network, as `huggingface_hub.try_to_load_from_cache`.
 *
 * @example
 * ```ts
 * import { cachedFile } from "./cache.ts";
 * const hit = cachedFile("org/never-downloaded", "config.json", { cacheDir: await Deno.makeTempDir() });
 * if (hit.state !== "unknown") throw new Error("unexpected");
 * ```
 */
export function cachedFile(repoId: string, filename: string, options: CachedFileOptions = {}): CacheLookup {
  checkRelativeFilename(filename);
  const storage = repoCacheFolder(repoId, options);
  const commit = resolveCachedRevision(storage, options.revision ?? "main");
  if (commit === undefined) return { state: "unknown" };
  if (existsSync(join(storage, ".no_exist", commit, ...filename.split("/")))) return { state: "absent", commit };
  const path = snapshotPath(storage, commit, filename);
  return existsSync(path) ? { state: "cached", path, commit } : { state: "unknown" };
}

/**
 * True when `path` exists (symlinks followed, so a dangling snapshot link is absent).
 *
 * @example
 * ```ts
 * import { existsSync } from "./cache.ts";
 * if (existsSync("/no/such/path") || !existsSync(await Deno.makeTempDir())) throw new Error("unexpected");
 * ```
 */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

if (import.meta.main) {
  try {
    console.log(hubCacheDir());
  } catch (e) {
    console.error(`hub cache: ${(e as Error).message}`);
    Deno.exitCode = 1;
  }
}
