/**
 * The folders a run starts from: the model folder (`--model`: a local HF folder, or a Hub id downloaded into the Hub
 * cache), and the output folder (refused when it holds another run, unless overwriting; left as is when resuming).
 *
 * @module
 */
import { exists } from "../fs.ts";
import type { HubReadOptions } from "../hub/download.ts";
import { resolveModel } from "../hub/resolve.ts";
import { listCheckpoints } from "./checkpoints.ts";
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

/**
 * Fail when `dir` holds another run (metrics, trainer state or checkpoints) unless `overwrite`; with `overwrite`,
 * remove those files (only those).
 *
 * @example
 * ```ts
 * import { prepareOutputDir } from "./run_dir.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/trainer_state.json`, "{}");
 * const err = await prepareOutputDir(dir, { overwrite: false }).catch((e) => e);
 * if (!String(err.message).includes("--overwrite-output-dir")) throw new Error("refuses");
 * await prepareOutputDir(dir, { overwrite: true });
 * ```
 */
export async function prepareOutputDir(dir: string, options: { overwrite: boolean }): Promise<void> {
  const held = [
    ...(await listCheckpoints(dir)).map((c) => c.dir),
    ...["metrics.jsonl", "trainer_state.json"].map((f) => `${dir}/${f}`),
  ];
  const present: string[] = [];
  for (const p of held) if (await exists(p)) present.push(p);
  if (present.length === 0) return;
  if (!options.overwrite) {
    throw new Error(
      `--output-dir ${dir} holds another run (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}); ` +
        `pass --overwrite-output-dir to replace it, --resume-from-checkpoint to continue it, or another --output-dir`,
    );
  }
  for (const p of present) await Deno.remove(p, { recursive: true });
}

/** The folders a run starts from: {@link prepareRunDir}'s options. */
export interface RunDirOptions {
  /** Where the run writes. */
  outputDir: string;
  /** A checkpoint to continue from (must be a folder); the output folder is then left as it is. */
  resumeFromCheckpoint?: string;
  /** Allow replacing another run in `outputDir`. */
  overwriteOutputDir?: boolean;
}

/**
 * Check `--resume-from-checkpoint` names a folder, or else make `outputDir` ready ({@link prepareOutputDir}).
 *
 * @example
 * ```ts
 * import { prepareRunDir } from "./run_dir.ts";
 * const err = await prepareRunDir({ outputDir: "unused", resumeFromCheckpoint: "/no/such/checkpoint" }).catch((e) => e);
 * if (!String(err.message).includes("no such checkpoint folder")) throw new Error(err.message);
 * ```
 */
export async function prepareRunDir(options: RunDirOptions): Promise<void> {
  if (options.resumeFromCheckpoint) {
    const stat = await Deno.stat(options.resumeFromCheckpoint).catch(() => undefined);
    if (!stat?.isDirectory) {
      throw new Error(`--resume-from-checkpoint ${options.resumeFromCheckpoint}: no such checkpoint folder`);
    }
  } else {
    await prepareOutputDir(options.outputDir, { overwrite: options.overwriteOutputDir ?? false });
  }
}
