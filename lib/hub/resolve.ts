/**
 * From a model reference to a local folder: a folder on disk is used as is; a Hub id (`distilbert-base-uncased`,
 * `org/name`) is fetched into the Hub cache (config, tokenizer files, `model.safetensors`) and its snapshot folder
 * returned, as `huggingface_hub.snapshot_download` with `allow_patterns` would.
 *
 * @module
 */
import { checkCommitHash, existsSync, hubOffline, repoCacheFolder, resolveCachedRevision, writeRef } from "./cache.ts";
import { dirname, resolve as resolvePath } from "node:path";
import { hubDownload, type HubReadOptions } from "./download.ts";
import { hubEndpoint, HubError, hubJsonOrCache, hubToken } from "./http.ts";

/** The files a masked-LM checkpoint is made of, fetched when the repo has them. */
export const MODEL_FILES: readonly string[] = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.txt",
  "model.safetensors",
];

/** Weight formats this toolkit cannot read, and why. */
const UNSUPPORTED_WEIGHTS: Record<string, string> = {
  "pytorch_model.bin": "a PyTorch pickle",
  "tf_model.h5": "a TensorFlow HDF5 file",
  "flax_model.msgpack": "a Flax msgpack file",
};

/** A Hub repo id: `name` or `namespace/name` (as `huggingface_hub.validate_repo_id`). */
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;

/**
 * True when `id` is a well-formed Hub repo id (`name` or `namespace/name`, at most 96 characters, no `--` or `..`).
 *
 * @example
 * ```ts
 * import { isRepoId } from "./resolve.ts";
 * if (!isRepoId("distilbert/distilbert-base-uncased") || isRepoId("../x")) throw new Error("unexpected");
 * ```
 */
export function isRepoId(id: string): boolean {
  return id.length <= 96 && REPO_ID.test(id) && !id.includes("--") && !id.includes("..") &&
    !/^[.-]|[.-]$/.test(id);
}

/** Repo info as `GET /api/models/{repo}/revision/{revision}` answers it (the fields used). */
interface ModelInfo {
  sha: string;
  siblings: { rfilename: string }[];
}

/**
 * Fetch a model's checkpoint files into the Hub cache and return `snapshots/<commit>`: `config.json`, the tokenizer
 * files and `model.safetensors` (and a sharded `model.safetensors.index.json` with its shards), whichever the repo
 * has. A repo with only `pytorch_model.bin` fails: pickles cannot be read safely outside Python. Offline, the
 * snapshot comes from `refs/<revision>`.
 *
 * @example
 * ```ts
 * import { snapshotModel } from "./resolve.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const hub = await startHubServer();
 * hub.addRepo("org/tiny", { files: { "config.json": "{}", "model.safetensors": new Uint8Array(16) } });
 * const dir = await snapshotModel("org/tiny", { endpoint: hub.endpoint, cacheDir: await Deno.makeTempDir() });
 * Deno.statSync(`${dir}/model.safetensors`);
 * await hub.close();
 * ```
 */
export async function snapshotModel(repoId: string, options: HubReadOptions = {}): Promise<string> {
  if (!isRepoId(repoId)) throw new Error(`"${repoId}" is not a Hub model id (expected "name" or "namespace/name")`);
  const revision = options.revision ?? "main";
  const storage = repoCacheFolder(repoId, { repoType: "model", cacheDir: options.cacheDir });
  const fromCache = (why: string): string => {
    const commit = resolveCachedRevision(storage, revision);
    const folder = commit === undefined ? undefined : `${storage}/snapshots/${commit}`;
    if (folder === undefined || !existsSync(`${folder}/config.json`)) {
      throw new HubError(
        `${why}\nModel ${repoId} at revision ${revision} is not in the cache (${storage}).`,
        0,
        "Network",
      );
    }
    if (!existsSync(`${folder}/model.safetensors`) && !existsSync(`${folder}/model.safetensors.index.json`)) {
      throw new HubError(`${why}\nThe cached snapshot ${folder} has no model.safetensors.`, 0, "Network");
    }
    return folder;
  };
  if (options.offline ?? hubOffline()) return fromCache("offline mode (HF_HUB_OFFLINE or offline: true).");

  const endpoint = hubEndpoint(options.endpoint);
  const token = hubToken(options.token);
  const url = `${endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
  const action = `looking up the files of model ${repoId} (revision ${revision})`;
  const got = await hubJsonOrCache(url, { token, retry: options.retry, action }, fromCache);
  if ("cached" in got) return got.cached;
  const info = got.json as ModelInfo;
  if (typeof info?.sha !== "string" || !Array.isArray(info.siblings)) {
    throw new Error(`${action}: ${url} answered without "sha" and "siblings" (is HF_ENDPOINT a Hugging Face Hub?)`);
  }
  const sha = checkCommitHash(info.sha, `${action}: the "sha" field from ${url}`);
  const present = new Set(info.siblings.map((s) => s.rfilename));
  const wanted = MODEL_FILES.filter((f) => present.has(f));
  if (!present.has("config.json")) {
    throw new Error(`model ${repoId}@${revision} has no config.json; files: ${[...present].join(", ") || "(none)"}`);
  }
  if (!present.has("model.safetensors")) {
    if (present.has("model.safetensors.index.json")) {
      wanted.push("model.safetensors.index.json");
      wanted.push(...[...present].filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f)).sort());
    } else {
      const other = Object.keys(UNSUPPORTED_WEIGHTS).find((f) => present.has(f));
      if (other !== undefined) {
        throw new Error(
          `model ${repoId}@${revision} has its weights only as ${other} (${UNSUPPORTED_WEIGHTS[other]}), which this ` +
            "toolkit does not read: loading a pickle runs arbitrary code and needs PyTorch. Convert it to " +
            "model.safetensors (e.g. `model.save_pretrained(dir, safe_serialization=True)` in transformers, or the " +
            "Hub's safetensors convert Space) and use that.",
        );
      }
      throw new Error(`model ${repoId}@${revision} has no model.safetensors; files: ${[...present].join(", ")}`);
    }
  }
  for (const file of wanted) {
    await hubDownload(repoId, file, { ...options, repoType: "model", revision: sha, endpoint, token });
  }
  await writeRef(storage, revision, sha);
  return `${storage}/snapshots/${sha}`;
}

/**
 * True when `ref` reads as a path on disk rather than a Hub id: it starts with `./`, `../`, `/` or `~`, has a
 * backslash or a drive letter, or is not a well-formed Hub id at all.
 *
 * @example
 * ```ts
 * import { looksLikePath } from "./resolve.ts";
 * if (!looksLikePath("./runs/nope") || !looksLikePath("~/m") || looksLikePath("runs/nope")) throw new Error();
 * ```
 */
export function looksLikePath(ref: string): boolean {
  return /^(\.{1,2}(\/|\\|$)|\/|~)/.test(ref) || ref.includes("\\") || /^[a-zA-Z]:/.test(ref) || !isRepoId(ref);
}

/** Why `ref` is not a local folder, in words: the absolute path that does not exist, and which part of it does. */
async function noSuchFolder(ref: string): Promise<string> {
  if (ref.startsWith("~")) {
    return `no such folder: ${ref} (a "~" in a quoted path is not expanded; write the full path)`;
  }
  const absolute = resolvePath(ref);
  let existing = dirname(absolute);
  while (existing !== dirname(existing) && !(await Deno.stat(existing).then((i) => i.isDirectory, () => false))) {
    existing = dirname(existing);
  }
  return `no such folder: ${absolute} (${existing} exists, ${absolute.slice(existing.length).replace(/^\//, "")} ` +
    "does not)";
}

/**
 * A model reference made local, as transformers' `from_pretrained` reads it: an existing folder is returned as is; a
 * Hub id (`name` or `namespace/name`) is fetched with {@link snapshotModel}. A reference that reads as a path
 * (`./runs/x`, `/models/x`, `~/x`) and does not exist fails at once saying so; a Hub id that can be neither found on
 * disk nor fetched fails saying both: not a local folder (the path looked for), and not a Hub id that could be
 * reached (the URL and the cause).
 *
 * @example
 * ```ts
 * import { resolveModel } from "./resolve.ts";
 * const dir = await Deno.makeTempDir();
 * if ((await resolveModel(dir)) !== dir) throw new Error("unexpected");
 * const err = await resolveModel("./runs/nope").catch((e) => e);
 * if (!err.message.includes("not a local folder")) throw err;
 * ```
 */
export async function resolveModel(idOrDir: string, options: HubReadOptions = {}): Promise<string> {
  let stat: Deno.FileInfo | undefined;
  try {
    stat = await Deno.stat(idOrDir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
  }
  if (stat?.isDirectory) return idOrDir;
  if (stat) throw new Error(`${idOrDir} is a file; expected a model folder (config.json, model.safetensors, …)`);
  if (looksLikePath(idOrDir)) {
    throw new Error(
      `"${idOrDir}" is not a local folder (${await noSuchFolder(idOrDir)}), and not a Hub model id either ` +
        '(expected "name" or "namespace/name"); check the path',
    );
  }
  try {
    return await snapshotModel(idOrDir, options);
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    e.message = `"${idOrDir}" is not a local folder (${await noSuchFolder(idOrDir)}), and not a Hub model id that ` +
      `could be reached: ${e.message}`;
    throw e;
  }
}
