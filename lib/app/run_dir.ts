/**
 * The folders a run starts from: the model folder (`--model`: a local HF folder, or a Hub id downloaded into the Hub
 * cache), and the output folder (refused when it holds another run, unless overwriting; left as is when resuming).
 * Overwriting deletes only files a run of this toolkit writes, by their names ({@link RUN_FILES}, checkpoint folders
 * holding only {@link CHECKPOINT_FILES}); the model folder itself is never accepted as the output folder.
 *
 * @module
 */
import { exists } from "../fs.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { resolveModel } from "../hub/resolve.ts";
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { CHECKPOINT_FILES, listCheckpoints } from "./checkpoints.ts";
import { looksLikeHubId } from "./dataset.ts";

/**
 * Resolve `--model`: a local folder is used as is; a Hub id is downloaded into the Hub cache (or found there
 * offline) by `lib/hub` `resolveModel`. The folder must hold `config.json`, `model.safetensors` and `tokenizer.json`.
 *
 * @example
 * ```ts
 * import { resolveModelDir } from "./run_dir.ts";
 * const err = await resolveModelDir("./no/such/folder").catch((e) => e);
 * if (!String(err.message).includes("./no/such/folder")) throw new Error(err.message);
 * ```
 */
export async function resolveModelDir(model: string, hub: Omit<HubReadOptions, "revision"> = {}): Promise<string> {
  const stat = await Deno.stat(model).catch(() => undefined);
  if (!stat && !(await looksLikeHubId(model))) {
    throw new Error(`--model ${model}: no such folder, and not a Hub model id ("name" or "namespace/name")`);
  }
  const dir = await resolveModel(model, hub);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) {
    if (!(await exists(`${dir}/${f}`))) {
      throw new Error(`--model ${model}: ${f} is missing in ${dir} (expected an HF model folder)`);
    }
  }
  return dir;
}

/** The files a run writes at the top of its output folder (besides `checkpoint-STEP/` folders and the lock). */
export const RUN_FILES: readonly string[] = [
  "metrics.jsonl",
  "trainer_state.json",
  "report.html",
  "config.json",
  "model.safetensors",
  ...TOKENIZER_FILES,
];

/** Files and folders an interrupted atomic write leaves: `.checkpoint-STEP.tmp-XXXXXXXX/`, `NAME.tmp-UUID`. */
function isLeftover(name: string): boolean {
  if (/^\.checkpoint-\d+\.tmp-[0-9a-f]{8}$/.test(name)) return true;
  const m = /^(.+)\.tmp-[0-9a-f-]{8,36}$/.exec(name);
  return m !== null && (RUN_FILES.includes(m[1]) || m[1] === ".run.lock");
}

/**
 * Remove what an interrupted save left in the run folder `dir` (a SIGKILL or power loss during a checkpoint or the
 * final save): `.checkpoint-STEP.tmp-*` folders and `NAME.tmp-*` files of the run's own file names, each with a note.
 * Returns the names removed.
 *
 * @example
 * ```ts
 * import { removeLeftovers } from "./run_dir.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/.checkpoint-4.tmp-0a1b2c3d`);
 * await Deno.writeTextFile(`${dir}/notes.tmp-0a1b2c3d`, "mine");
 * const removed = await removeLeftovers(dir, () => {});
 * if (removed.join() !== ".checkpoint-4.tmp-0a1b2c3d") throw new Error(removed.join());
 * ```
 */
export async function removeLeftovers(dir: string, log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isSymlink || !isLeftover(e.name)) continue;
      await Deno.remove(`${dir}/${e.name}`, { recursive: e.isDirectory });
      removed.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  removed.sort();
  for (const name of removed) log(`note: removed ${dir}/${name}, left by an interrupted save`);
  return removed;
}

/** The real path of `path`, or undefined when it does not exist. */
async function realPath(path: string): Promise<string | undefined> {
  return await Deno.realPath(path).catch(() => undefined);
}

/**
 * Fail when the output folder `outputDir` is the model folder `modelDir` (compared as real paths), or, when
 * `overwrite`, when the model folder is a checkpoint that overwriting `outputDir` would delete.
 *
 * @example
 * ```ts
 * import { assertNotModelDir } from "./run_dir.ts";
 * const dir = await Deno.makeTempDir();
 * const err = await assertNotModelDir(`${dir}/.`, dir, { overwrite: false }).catch((e) => e);
 * if (!String(err.message).includes("is the model folder")) throw new Error(err.message);
 * ```
 */
export async function assertNotModelDir(
  outputDir: string,
  modelDir: string,
  options: { overwrite: boolean },
): Promise<void> {
  const out = await realPath(outputDir), model = await realPath(modelDir);
  if (out === undefined || model === undefined) return;
  if (out === model) {
    throw new Error(
      `--output-dir ${outputDir} is the model folder (--model ${modelDir}): a run would write over the model it ` +
        `starts from; choose another --output-dir`,
    );
  }
  if (options.overwrite) {
    for (const c of await listCheckpoints(outputDir)) {
      if (await realPath(c.dir) === model) {
        throw new Error(
          `--overwrite-output-dir would delete ${c.dir}, the model this run starts from (--model ${modelDir}); ` +
            `copy it elsewhere or choose another --output-dir`,
        );
      }
    }
  }
}

/**
 * Fail when `dir` holds another run (metrics, trainer state, checkpoints or model files) unless `overwrite`. With
 * `overwrite`, delete that run: only the files a run writes, by name ({@link RUN_FILES}), and `checkpoint-STEP/`
 * folders holding nothing but {@link CHECKPOINT_FILES}. A checkpoint folder holding any other file is refused
 * naming it, before anything is deleted; other files at the top of `dir` are kept, with a note naming them.
 *
 * @example
 * ```ts
 * import { prepareOutputDir } from "./run_dir.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/trainer_state.json`, "{}");
 * const err = await prepareOutputDir(dir, { overwrite: false }).catch((e) => e);
 * if (!String(err.message).includes("--overwrite-output-dir")) throw new Error("refuses");
 * await Deno.mkdir(`${dir}/checkpoint-2`);
 * await Deno.writeTextFile(`${dir}/checkpoint-2/notes.txt`, "mine");
 * const foreign = await prepareOutputDir(dir, { overwrite: true }).catch((e) => e);
 * if (!String(foreign.message).includes("checkpoint-2/notes.txt")) throw new Error(foreign.message);
 * await Deno.remove(`${dir}/checkpoint-2/notes.txt`);
 * await prepareOutputDir(dir, { overwrite: true });
 * ```
 */
export async function prepareOutputDir(
  dir: string,
  options: { overwrite: boolean; log?: (line: string) => void },
): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  const checkpoints = (await listCheckpoints(dir)).map((c) => c.dir);
  const files: string[] = [];
  for (const f of RUN_FILES) {
    const stat = await Deno.lstat(`${dir}/${f}`).catch(() => undefined);
    if (stat?.isFile) files.push(`${dir}/${f}`);
  }
  const present = [...checkpoints, ...files];
  if (present.length === 0) return;
  if (!options.overwrite) {
    throw new Error(
      `--output-dir ${dir} holds another run (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}); ` +
        `pass --overwrite-output-dir to replace it, --resume-from-checkpoint to continue it, or another --output-dir`,
    );
  }
  // Every checkpoint folder is checked before anything is deleted.
  const checkpointFiles = new Map<string, string[]>();
  for (const ck of checkpoints) {
    const names: string[] = [];
    for await (const e of Deno.readDir(ck)) {
      if (!e.isFile || !CHECKPOINT_FILES.includes(e.name)) {
        throw new Error(
          `--overwrite-output-dir: ${ck}/${e.name} was not written by this toolkit (a checkpoint holds only ` +
            `${CHECKPOINT_FILES.join(", ")}); nothing was deleted: move it out of ${ck} or choose another --output-dir`,
        );
      }
      names.push(e.name);
    }
    checkpointFiles.set(ck, names);
  }
  for (const [ck, names] of checkpointFiles) {
    for (const name of names) await Deno.remove(`${ck}/${name}`);
    await Deno.remove(ck);
  }
  for (const f of files) await Deno.remove(f);
  const kept: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name !== ".run.lock" && !isLeftover(e.name)) kept.push(e.name);
  if (kept.length > 0) {
    log(`note: --overwrite-output-dir kept what this toolkit did not write in ${dir}: ${kept.sort().join(", ")}`);
  }
}

/** The folders a run starts from: {@link prepareRunDir}'s options. */
export interface RunDirOptions {
  /** Where the run writes. */
  outputDir: string;
  /** A checkpoint to continue from (must be a folder); the output folder is then left as it is. */
  resumeFromCheckpoint?: string;
  /** Allow replacing another run in `outputDir`. */
  overwriteOutputDir?: boolean;
  /** The model folder the run starts from: refused as `outputDir` ({@link assertNotModelDir}). */
  modelDir?: string;
  /** Notes (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Check `--resume-from-checkpoint` names a folder, or else make `outputDir` ready ({@link prepareOutputDir}); in
 * both cases refuse the model folder as `outputDir` and remove what an interrupted save left there
 * ({@link removeLeftovers}). Call it holding the folder's lock (`lockRunDir`).
 *
 * @example
 * ```ts
 * import { prepareRunDir } from "./run_dir.ts";
 * const err = await prepareRunDir({ outputDir: "unused", resumeFromCheckpoint: "/no/such/checkpoint" }).catch((e) => e);
 * if (!String(err.message).includes("no such checkpoint folder")) throw new Error(err.message);
 * ```
 */
export async function prepareRunDir(options: RunDirOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.resumeFromCheckpoint) {
    const stat = await Deno.stat(options.resumeFromCheckpoint).catch(() => undefined);
    if (!stat?.isDirectory) {
      throw new Error(`--resume-from-checkpoint ${options.resumeFromCheckpoint}: no such checkpoint folder`);
    }
  }
  const overwrite = !options.resumeFromCheckpoint && (options.overwriteOutputDir ?? false);
  if (options.modelDir !== undefined) await assertNotModelDir(options.outputDir, options.modelDir, { overwrite });
  await removeLeftovers(options.outputDir, log);
  if (!options.resumeFromCheckpoint) await prepareOutputDir(options.outputDir, { overwrite, log });
}
