/**
 * Hub datasets as Parquet: the Hub converts every public dataset to Parquet on the `refs/convert/parquet` branch
 * (`{config}/{split}/0000.parquet`, …, or `{config}/partial-{split}/…` for partial conversions) and lists it at
 * `GET /api/datasets/{repo}/parquet`. These files are downloaded into the Hub cache like any other (so
 * `hf_hub_download(repo, file, repo_type="dataset", revision="refs/convert/parquet")` in Python shares them) and read
 * row group by row group, in file order, with `lib/data/parquet.ts`.
 *
 * @module
 */
import { join } from "node:path";
import { existsSync, hubOffline, repoCacheFolder, resolveCachedRevision } from "./cache.ts";
import { hubDownload, type HubReadOptions } from "./download.ts";
import {
  bodyText,
  hubEndpoint,
  HubError,
  hubErrorFromResponse,
  hubFetch,
  hubJsonOrCache,
  hubTimeouts,
  hubToken,
} from "./http.ts";
import { readParquet } from "../data/parquet.ts";
import type { DataRecord } from "../data/jsonl.ts";

/** The branch the Hub's Parquet conversion lives on. */
export const PARQUET_REVISION = "refs/convert/parquet";

/** Options of {@link hubDatasetFiles} (`revision` is ignored: the Parquet branch is used). */
export interface HubDatasetOptions extends Omit<HubReadOptions, "revision"> {
  /** Dataset config, e.g. "plain_text" (default: the only config, or "default"). */
  config?: string;
  /** Split (default "train"). */
  split?: string;
}

/** Options of {@link streamHubDataset}. */
export interface StreamHubDatasetOptions extends HubDatasetOptions {
  /** A column every row must have as a string (fails naming file and row otherwise), e.g. "text". */
  textColumn?: string;
  /** Only these columns (default all). */
  columns?: string[];
}

/** The Parquet files of one config and split, downloaded. */
export interface HubDatasetFiles {
  /** The config used. */
  config: string;
  /** The split used. */
  split: string;
  /** Paths in the repo, in order (`plain_text/train/0000.parquet`, …). */
  files: string[];
  /** Local paths (cache snapshot symlinks), same order. */
  paths: string[];
}

/** `{config: {split: [urls]}}` as the Hub's parquet listing answers. */
type ParquetListing = Record<string, Record<string, string[]>>;

/** Pick the config: the one asked, else the only one, else "default"; fail listing what exists. */
function pickConfig(repoId: string, available: string[], config?: string): string {
  if (config !== undefined) {
    if (available.length > 0 && !available.includes(config)) {
      throw new Error(`dataset ${repoId} has no config "${config}"; configs: ${available.join(", ")}`);
    }
    return config;
  }
  if (available.length === 1) return available[0];
  if (available.includes("default")) return "default";
  throw new Error(
    `dataset ${repoId} has several configs (${available.join(", ")}); choose one (config option / --dataset-config)`,
  );
}

/** Order Parquet paths by their numeric stem (0000, 0001, … 0010), then by name. */
function byShard(a: string, b: string): number {
  const na = Number(/(\d+)\.parquet$/.exec(a)?.[1] ?? NaN);
  const nb = Number(/(\d+)\.parquet$/.exec(b)?.[1] ?? NaN);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Files of one split in a snapshot folder (offline). */
function cachedSplitFiles(snapshot: string, config: string, split: string): string[] {
  for (const dir of [split, `partial-${split}`]) {
    const folder = join(snapshot, config, dir);
    if (!existsSync(folder)) continue;
    const names = [...Deno.readDirSync(folder)].filter((e) => e.name.endsWith(".parquet")).map((e) => e.name);
    if (names.length > 0) return names.sort(byShard).map((n) => `${config}/${dir}/${n}`);
  }
  return [];
}

/** Every tree entry under `path` at `revision`, following the Hub's `Link: <…>; rel="next"` pagination. */
async function listTree(
  url: string,
  token: string | undefined,
  options: HubDatasetOptions & { action: string },
): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const response = await hubFetch(next, { token, retry: options.retry, action: options.action });
    if (!response.ok) throw await hubErrorFromResponse(response, { url: next, token, action: options.action });
    const text = await bodyText(response, { url: next, idleMs: hubTimeouts(options.retry).idleMs });
    let entries: { type: string; path: string }[];
    try {
      entries = JSON.parse(text);
    } catch (e) {
      throw new Error(`${options.action}: ${next}: expected a JSON answer from the Hub (${(e as Error).message})`);
    }
    if (!Array.isArray(entries)) throw new Error(`${options.action}: ${next}: expected a JSON list of tree entries`);
    for (const e of entries) if (e.type === "file") out.push(e.path);
    const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("Link") ?? "");
    next = link ? new URL(link[1], next).href : undefined;
  }
  return out;
}

/**
 * List a Hub dataset's Parquet files for one config and split and download them into the Hub cache (or, offline,
 * find them there). `repoId` may be a legacy id (`imdb`) or a canonical one (`stanfordnlp/imdb`).
 *
 * @example
 * ```ts
 * import { hubDatasetFiles } from "./dataset.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const hub = await startHubServer();
 * hub.addRepo("org/data", { type: "dataset", branch: "refs/convert/parquet", files: { "default/train/0000.parquet": "PAR1" } });
 * const found = await hubDatasetFiles("org/data", { endpoint: hub.endpoint, cacheDir: await Deno.makeTempDir() });
 * if (found.files.join() !== "default/train/0000.parquet") throw new Error("unexpected");
 * await hub.close();
 * ```
 */
export async function hubDatasetFiles(repoId: string, options: HubDatasetOptions = {}): Promise<HubDatasetFiles> {
  const split = options.split ?? "train";
  const storage = repoCacheFolder(repoId, { repoType: "dataset", cacheDir: options.cacheDir });
  const download = (file: string, commit: string): Promise<string> =>
    hubDownload(repoId, file, { ...options, repoType: "dataset", revision: commit });

  /** The split's files from the cache alone; `why` (offline mode, or the Hub's error) starts the message. */
  const fromCache = async (why: string): Promise<HubDatasetFiles> => {
    const commit = resolveCachedRevision(storage, PARQUET_REVISION);
    const snapshot = commit === undefined ? undefined : join(storage, "snapshots", commit);
    if (commit === undefined || snapshot === undefined || !existsSync(snapshot)) {
      throw new HubError(`${why}\nDataset ${repoId} has no Parquet files in the cache (${storage}).`, 0, "Network");
    }
    const configs = [...Deno.readDirSync(snapshot)].filter((e) => e.isDirectory).map((e) => e.name).sort();
    const config = pickConfig(repoId, configs, options.config);
    const files = cachedSplitFiles(snapshot, config, split);
    if (files.length === 0) {
      throw new HubError(
        `${why}\nDataset ${repoId} config ${config} split ${split} is not in the cache (${snapshot}).`,
        0,
        "Network",
      );
    }
    return { config, split, files, paths: await Promise.all(files.map((f) => download(f, commit))) };
  };
  if (options.offline ?? hubOffline()) return await fromCache("offline mode (HF_HUB_OFFLINE or offline: true).");

  const endpoint = hubEndpoint(options.endpoint);
  const token = hubToken(options.token);
  const listingUrl = `${endpoint}/api/datasets/${repoId}/parquet`;
  const action = `listing the Parquet files of dataset ${repoId}`;
  const got = await hubJsonOrCache(listingUrl, { token, retry: options.retry, action }, fromCache);
  if ("cached" in got) return got.cached;
  const listing = got.json as ParquetListing;
  const config = pickConfig(repoId, Object.keys(listing), options.config);
  const splits = listing[config] ?? {};
  if (!(split in splits)) {
    throw new Error(
      `dataset ${repoId} config ${config} has no split "${split}"; splits: ${
        Object.keys(splits).join(", ") || "(none)"
      }`,
    );
  }
  const revision = encodeURIComponent(PARQUET_REVISION);
  const tree = await listTree(
    `${endpoint}/api/datasets/${repoId}/tree/${revision}/${encodeURIComponent(config)}?recursive=true`,
    token,
    { ...options, action: `listing the ${PARQUET_REVISION} branch of dataset ${repoId} (${config})` },
  );
  const pattern = new RegExp(`^${escapeRegExp(config)}/(?:partial-)?${escapeRegExp(split)}/[^/]+\\.parquet$`);
  const files = tree.filter((p) => pattern.test(p)).sort(byShard);
  if (files.length !== splits[split].length) {
    throw new Error(
      `dataset ${repoId} ${config}/${split}: the Parquet listing has ${splits[split].length} files but the ` +
        `${PARQUET_REVISION} branch has ${files.length} (${files.join(", ")})`,
    );
  }
  // The first download pins the branch's commit; the rest are fetched at that commit so all shards agree.
  const paths: string[] = [];
  let commit: string | undefined;
  for (const file of files) {
    paths.push(await download(file, commit ?? PARQUET_REVISION));
    commit ??= resolveCachedRevision(storage, PARQUET_REVISION);
  }
  return { config, split, files, paths };
}

/** Escape a string for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rows of a Hub dataset split, in file order (shard by shard, row group by row group), from its cached Parquet files.
 * With `textColumn`, every row must have that column as a string.
 *
 * @example
 * ```ts
 * import { streamHubDataset } from "./dataset.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * // A parquet file written by hyparquet-writer: columns text (string), label (int32); rows good/1, bad/0.
 * const base64 = "UEFSMRUGFSIVIlwVBBUAFQQVABUEFQAAAAMDBAAAAGdvb2QDAAAAYmFkFQYVFBUUXBUEFQAVBBUAFQQVAAAAAwMBAAAAAAAAABUE" +
 *   "GTxIBHJvb3QVBAAVDCUCGAR0ZXh0JQAAFQIlAhgFbGFiZWwAFgQZHBksJggcFQwZFQAZGAR0ZXh0FQAWBBZMFkwmCAAAJlQcFQIZ" +
 *   "FQAZGAVsYWJlbBUAFgQWPhY+JlQAABaKARYENooBACgBeBksHAAAHAAAAHgAAABQQVIx";
 * const hub = await startHubServer();
 * hub.addRepo("org/reviews", {
 *   type: "dataset",
 *   branch: "refs/convert/parquet",
 *   files: { "plain_text/train/0000.parquet": Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)) },
 * });
 * const texts = [];
 * const cacheDir = await Deno.makeTempDir();
 * for await (const row of streamHubDataset("org/reviews", { endpoint: hub.endpoint, cacheDir, textColumn: "text" })) {
 *   texts.push(row.text);
 * }
 * if (texts.join() !== "good,bad") throw new Error("unexpected");
 * await hub.close();
 * ```
 */
export async function* streamHubDataset(
  repoId: string,
  options: StreamHubDatasetOptions = {},
): AsyncGenerator<DataRecord> {
  const { files, paths } = await hubDatasetFiles(repoId, options);
  const column = options.textColumn;
  const columns = options.columns ?? undefined;
  for (let i = 0; i < paths.length; i++) {
    let row = 0;
    const name = `${repoId}/${files[i]}`;
    for await (const record of readParquet(paths[i], { columns, name })) {
      if (column !== undefined && typeof record[column] !== "string") {
        throw new Error(
          `${name} row ${row}: expected a string in column "${column}", got ${
            column in record ? typeof record[column] : "no such column"
          } (columns: ${Object.keys(record).join(", ")})`,
        );
      }
      row++;
      yield record;
    }
  }
}
