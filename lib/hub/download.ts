/**
 * Download one file of a Hub repo into the shared cache, as `huggingface_hub.hf_hub_download` does: a HEAD on
 * `resolve/<revision>/<file>` (relative redirects of renamed repos followed, the CDN redirect of LFS files not) gives
 * the commit (`X-Repo-Commit`), the blob name (`X-Linked-Etag` or `ETag`) and the size (`X-Linked-Size` or
 * `Content-Length`); the bytes go to `blobs/<etag>.incomplete` (resumed with a Range request after a drop), are
 * checked (size; sha256 for LFS blobs, git sha1 for regular ones), renamed into `blobs/<etag>`, and linked from
 * `snapshots/<commit>/<file>`; `refs/<revision>` records the commit.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import {
  blobPath,
  cachedFile,
  type CacheLocation,
  checkCommitHash,
  checkEtag,
  checkRelativeFilename,
  existsSync,
  hubOffline,
  insideFolder,
  linkSnapshot,
  markNoExist,
  REGEX_COMMIT_HASH,
  repoCacheFolder,
  type RepoType,
  snapshotPath,
  writeRef,
} from "./cache.ts";
import {
  displayUrl,
  hubEndpoint,
  HubError,
  hubErrorFromResponse,
  hubFetch,
  hubTimeouts,
  hubToken,
  isHubUnreachable,
  readBody,
  type RetryOptions,
} from "./http.ts";
import { sleep, syncDir, syncFile } from "../fs.ts";

/** Files at least this large get a progress bar on a terminal. */
const PROGRESS_MIN_BYTES = 10 * 1024 * 1024;

/** Options shared by every Hub read. */
export interface HubReadOptions extends CacheLocation {
  /** Branch, tag or commit id (default "main"). */
  revision?: string;
  /** Access token (default `$HF_TOKEN`); sent only to the Hub endpoint, never printed. */
  token?: string;
  /** Hub URL (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Use the cache only (default: `$HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Retry policy for 429/5xx and dropped connections. */
  retry?: RetryOptions;
  /** Draw a progress bar on stderr for large files (default: when stderr is a terminal). */
  progress?: boolean;
}

/** Options of {@link hubDownload}. */
export interface HubDownloadOptions extends HubReadOptions {
  /** Repo kind (default "model"). */
  repoType?: RepoType;
}

/** What the HEAD call told about a file. */
interface FileMetadata {
  commit: string;
  etag: string;
  size: number;
  location: string;
}

/** Everything one download needs. */
interface DownloadContext {
  repoId: string;
  filename: string;
  revision: string;
  endpoint: string;
  token?: string;
  retry: RetryOptions;
  progress: boolean;
  /** "downloading <file> of <repo> (revision <rev>)", first in error messages. */
  action: string;
}

/**
 * The URL of a file on the Hub: `{endpoint}/{datasets/}{repo}/resolve/{revision}/{file}` (revision escaped whole,
 * so `refs/convert/parquet` becomes `refs%2Fconvert%2Fparquet`, as `huggingface_hub.hf_hub_url`).
 *
 * @example
 * ```ts
 * import { hubFileUrl } from "./download.ts";
 * const url = hubFileUrl("imdb", "plain_text/train/0000.parquet", {
 *   repoType: "dataset",
 *   revision: "refs/convert/parquet",
 *   endpoint: "https://huggingface.co",
 * });
 * if (url !== "https://huggingface.co/datasets/imdb/resolve/refs%2Fconvert%2Fparquet/plain_text/train/0000.parquet") {
 *   throw new Error(url);
 * }
 * ```
 */
export function hubFileUrl(repoId: string, filename: string, options: HubDownloadOptions = {}): string {
  const prefix = repoTypePrefix(options.repoType ?? "model");
  const file = filename.split("/").map(encodeURIComponent).join("/");
  const revision = encodeURIComponent(options.revision ?? "main");
  return `${hubEndpoint(options.endpoint)}/${prefix}${repoId}/resolve/${revision}/${file}`;
}

/**
 * The URL prefix of a repo kind: "" for models, "datasets/" for datasets, "spaces/" for spaces.
 *
 * @example
 * ```ts
 * import { repoTypePrefix } from "./download.ts";
 * if (repoTypePrefix("dataset") !== "datasets/" || repoTypePrefix("model") !== "") throw new Error("unexpected");
 * ```
 */
export function repoTypePrefix(repoType: RepoType): string {
  return repoType === "model" ? "" : `${repoType}s/`;
}

/**
 * Download `filename` of `repoId` at `revision` into the Hub cache (or find it there) and return its path, which is
 * `snapshots/<commit>/<filename>`, a symlink into `blobs/`. Offline (`offline` or `$HF_HUB_OFFLINE`), or when the Hub
 * cannot be reached, the file comes from the cache alone; a missing repo, revision or file fails with
 * `huggingface_hub`'s wording; a corrupt download fails and leaves nothing in the snapshot.
 *
 * @example
 * ```ts
 * import { hubDownload } from "./download.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const hub = await startHubServer();
 * hub.addRepo("org/tiny", { files: { "config.json": '{"model_type":"distilbert"}' } });
 * const path = await hubDownload("org/tiny", "config.json", { endpoint: hub.endpoint, cacheDir: await Deno.makeTempDir() });
 * if (!path.includes("models--org--tiny/snapshots/")) throw new Error(path);
 * await hub.close();
 * ```
 */
export async function hubDownload(repoId: string, filename: string, options: HubDownloadOptions = {}): Promise<string> {
  checkRelativeFilename(filename);
  const repoType = options.repoType ?? "model";
  const revision = options.revision ?? "main";
  const storage = repoCacheFolder(repoId, { repoType, cacheDir: options.cacheDir });
  const what = `${filename} of ${repoType === "model" ? "" : `${repoType} `}${repoId} (revision ${revision})`;

  if (REGEX_COMMIT_HASH.test(revision)) {
    const pointer = snapshotPath(storage, revision, filename);
    if (existsSync(pointer)) return pointer;
  }
  const cached = (): string | undefined => {
    const hit = cachedFile(repoId, filename, { repoType, cacheDir: options.cacheDir, revision });
    return hit.state === "cached" ? hit.path : undefined;
  };
  if (options.offline ?? hubOffline()) {
    const path = cached();
    if (path !== undefined) return path;
    throw new HubError(
      `offline mode (HF_HUB_OFFLINE or offline: true): ${what} is not in the cache at ${storage}. ` +
        "Download it once online, or unset HF_HUB_OFFLINE.",
      0,
      "Network",
    );
  }

  const ctx: DownloadContext = {
    repoId,
    filename,
    revision,
    endpoint: hubEndpoint(options.endpoint),
    token: hubToken(options.token),
    retry: options.retry ?? {},
    progress: options.progress ?? Deno.stderr.isTerminal(),
    action: `downloading ${what}`,
  };
  const url = hubFileUrl(repoId, filename, { ...options, repoType, revision, endpoint: ctx.endpoint });
  let meta: FileMetadata;
  try {
    meta = await fileMetadata(url, ctx, { attempts: 1 });
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    if (e.kind === "EntryNotFound") {
      const commit = e.headers.get("X-Repo-Commit");
      if (commit !== null && REGEX_COMMIT_HASH.test(commit)) {
        await markNoExist(storage, { commit, filename });
        await writeRef(storage, revision, commit);
      }
    }
    if (e.kind === "EntryNotFound" || e.kind === "RevisionNotFound") throw e;
    // The Hub is unreachable, down, or refused us: a cached copy will do, as in huggingface_hub.
    const path = cached();
    if (path !== undefined) return path;
    if (isHubUnreachable(e)) {
      try {
        meta = await fileMetadata(url, ctx, ctx.retry);
      } catch (again) {
        if (!isHubUnreachable(again)) throw again;
        const said = again.message.startsWith(`${ctx.action}: `)
          ? again.message.slice(ctx.action.length + 2)
          : again.message;
        throw new HubError(
          `could not reach the Hub to download ${what}, and it is not in the cache (${storage}): ${said}`,
          again.status,
          again.kind,
          again.headers,
          again.url,
        );
      }
    } else {
      throw e;
    }
  }

  await writeRef(storage, revision, meta.commit);
  const pointer = snapshotPath(storage, meta.commit, filename);
  if (existsSync(pointer)) return pointer;
  const blob = blobPath(storage, meta.etag);
  await Deno.mkdir(dirname(blob), { recursive: true });
  const lock = await lockBlob(storage, meta.etag);
  try {
    if (!existsSync(blob)) await downloadBlob(blob, meta, ctx);
    if (!existsSync(pointer)) await linkSnapshot(storage, { commit: meta.commit, filename, etag: meta.etag });
  } finally {
    lock.close();
  }
  return pointer;
}

/** HEAD the resolve URL; relative redirects (renamed repos) are followed, the CDN redirect is read, not followed. */
async function fileMetadata(url: string, ctx: DownloadContext, retry: RetryOptions): Promise<FileMetadata> {
  const response = await hubFetch(url, {
    method: "HEAD",
    headers: { "Accept-Encoding": "identity" },
    token: ctx.token,
    trustedOrigin: new URL(ctx.endpoint).origin,
    follow: "relative",
    retry,
  });
  if (response.status >= 400) {
    throw await hubErrorFromResponse(response, { url, token: ctx.token, action: ctx.action });
  }
  const commit = response.headers.get("X-Repo-Commit");
  const size = Number(response.headers.get("X-Linked-Size") ?? response.headers.get("Content-Length"));
  const location = response.headers.get("Location");
  if (commit === null) {
    throw new Error(
      `${ctx.action}: the answer from ${url} has no X-Repo-Commit header, so it does not come from a Hugging Face ` +
        "Hub (check HF_ENDPOINT, proxy and firewall settings)",
    );
  }
  checkCommitHash(commit, `${ctx.action}: the X-Repo-Commit header from ${url}`);
  const etagHeader = response.headers.get("X-Linked-Etag") ?? response.headers.get("ETag");
  if (etagHeader === null) {
    throw new Error(`${ctx.action}: ${url} sent no ETag, so the download cannot be checked or cached`);
  }
  const etag = checkEtag(
    etagHeader,
    `${ctx.action}: the ${response.headers.has("X-Linked-Etag") ? "X-Linked-Etag" : "ETag"} header from ${url}`,
  );
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new Error(`${ctx.action}: ${url} sent no file size (Content-Length)`);
  }
  const final = response.url || url;
  return { commit, etag, size, location: location === null ? final : new URL(location, final).href };
}

/** Take `.locks/<repo folder>/<etag>.lock` (the lock file `huggingface_hub` uses), so two downloads never interleave. */
async function lockBlob(storage: string, etag: string): Promise<Deno.FsFile> {
  const path = insideFolder(
    join(dirname(storage), ".locks"),
    join(dirname(storage), ".locks", basename(storage), `${etag}.lock`),
  );
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { create: true, write: true });
  await file.lock(true);
  return file;
}

/** Size of a file, 0 when absent. */
async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/** Fetch the bytes into `<blob>.incomplete` (resuming what is there), verify them, and rename into `<blob>`. */
async function downloadBlob(blob: string, meta: FileMetadata, ctx: DownloadContext): Promise<void> {
  const incomplete = `${blob}.incomplete`;
  const attempts = Math.max(1, ctx.retry.attempts ?? 5);
  const where = `${ctx.repoId}/${ctx.filename}`;
  const bar = ctx.progress && meta.size >= PROGRESS_MIN_BYTES ? new ProgressBar(ctx.filename, meta.size) : undefined;
  for (let attempt = 0;; attempt++) {
    let have = await fileSize(incomplete);
    if (have > meta.size) {
      await Deno.truncate(incomplete, 0);
      have = 0;
    }
    if (have === meta.size) break;
    const headers: Record<string, string> = { "Accept-Encoding": "identity" };
    if (have > 0) headers["Range"] = `bytes=${have}-`;
    const response = await hubFetch(meta.location, {
      headers,
      token: ctx.token,
      trustedOrigin: new URL(ctx.endpoint).origin,
      retry: ctx.retry,
      action: ctx.action,
    });
    if (response.status === 416) {
      await response.body?.cancel();
      await Deno.truncate(incomplete, 0);
      continue;
    }
    if (!response.ok) {
      throw await hubErrorFromResponse(response, {
        url: displayUrl(meta.location),
        token: ctx.token,
        action: ctx.action,
      });
    }
    const file = await Deno.open(incomplete, { create: true, write: true, append: response.status === 206 });
    if (response.status !== 206) {
      await file.truncate(0);
      have = 0;
    }
    try {
      // Never more than the announced size: a longer body is cut there (and then fails the checksum if it differs).
      const body = readBody(response, {
        url: meta.location,
        idleMs: hubTimeouts(ctx.retry).idleMs,
        maxBytes: meta.size - have,
      });
      for await (const chunk of body) {
        let written = 0;
        while (written < chunk.length) written += await file.write(chunk.subarray(written));
        have += chunk.length;
        bar?.update(have);
      }
    } catch (e) {
      file.close();
      if (attempt + 1 >= attempts) {
        bar?.done();
        const tries = attempts === 1 ? "one attempt" : `${attempts} attempts`;
        throw new HubError(
          `${ctx.action}: the download from ${displayUrl(meta.location)} was interrupted after ${have} of ` +
            `${meta.size} bytes (${(e as Error).message}; ${tries}). ` +
            `The partial file ${incomplete} is kept and the next call resumes it: run again (if it persists, check ` +
            "the network connection and any proxy).",
          0,
          "Network",
        );
      }
      await sleep(Math.min((ctx.retry.baseDelayMs ?? 1000) * 2 ** attempt, 8000));
      continue;
    }
    file.close();
    if (have >= meta.size || attempt + 1 >= attempts) break;
  }
  bar?.done();
  await verifyBlob(incomplete, meta, where);
  await syncFile(incomplete); // on disk before it is named as a complete blob
  await Deno.rename(incomplete, blob);
  await syncDir(dirname(blob));
}

/** Check size and hash (sha256 for a 64-hex etag, git blob sha1 for a 40-hex one); delete the file on mismatch. */
async function verifyBlob(path: string, meta: FileMetadata, where: string): Promise<void> {
  const size = await fileSize(path);
  const fail = async (what: string): Promise<never> => {
    await Deno.remove(path).catch(() => {});
    throw new Error(
      `${where}: downloaded file is corrupt: ${what}. The download was deleted and nothing was cached; ` +
        "run again (if this persists, the file on the Hub or a proxy in between is damaged)",
    );
  };
  if (size !== meta.size) await fail(`expected ${meta.size} bytes, got ${size}`);
  const etag = meta.etag.toLowerCase();
  const algo = /^[0-9a-f]{64}$/.test(etag) ? "sha256" : /^[0-9a-f]{40}$/.test(etag) ? "sha1" : undefined;
  if (algo === undefined) return;
  const hash = createHash(algo);
  if (algo === "sha1") hash.update(`blob ${size}\0`);
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  const actual = hash.digest("hex");
  if (actual !== etag) {
    await fail(`expected ${algo === "sha256" ? "sha256" : "git blob sha1"} ${etag}, got ${actual}`);
  }
}

/** A one-line progress bar on stderr, redrawn at most 5 times a second. */
class ProgressBar {
  #label: string;
  #total: number;
  #last = 0;
  #encoder = new TextEncoder();
  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }
  update(done: number): void {
    const now = Date.now();
    if (now - this.#last < 200 && done < this.#total) return;
    this.#last = now;
    const frac = this.#total > 0 ? done / this.#total : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const mb = (n: number): string => (n / 1048576).toFixed(1);
    const line = `\r${this.#label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ` +
      `${mb(done)}/${mb(this.#total)} MB`;
    Deno.stderr.writeSync(this.#encoder.encode(line));
  }
  done(): void {
    Deno.stderr.writeSync(this.#encoder.encode("\n"));
  }
}
