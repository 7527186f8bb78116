/**
 * Where the tasks take a Hub write token from, in this order: `--hub-token` (discouraged: a command line is visible
 * to other users in `ps`, and `deno task` prints it in its "Task" line, so a warning goes to stderr),
 * `--hub-token-file FILE`, `$HF_TOKEN` (or `$HUGGING_FACE_HUB_TOKEN`), then the token file `huggingface-cli login`
 * writes (`$HF_HOME/token`, by default `~/.cache/huggingface/token`). The token itself is never printed.
 *
 * @module
 */
import { hubTokenPath } from "../hub/cache.ts";
import { hubToken } from "../hub/http.ts";

/** Where {@link readHubToken} looks first. */
export interface HubTokenSources {
  /** `--hub-token` as given on the command line. */
  token?: string;
  /** `--hub-token-file`: a file holding the token (surrounding white space ignored). */
  tokenFile?: string;
  /** HF's token file (default: `hubTokenPath()` of `lib/hub`). */
  storedTokenFile?: string;
}

function readTokenFile(path: string, what: string): string | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (what === "stored" && e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(
      `${what === "stored" ? "" : "--hub-token-file "}${path}: cannot read the token (${(e as Error).message})`,
    );
  }
  const token = text.trim();
  if (token === "" || /\s/.test(token)) {
    if (what === "stored") return undefined;
    throw new Error(
      `--hub-token-file ${path}: expected one token (hf_…) on one line, got ${
        token === "" ? "an empty file" : "several words"
      }`,
    );
  }
  return token;
}

/**
 * The Hub token from the first source that has one (see the module doc), or undefined. `warn` gets a line when
 * the token was given on the command line.
 *
 * @example
 * ```ts
 * import { readHubToken } from "./token.ts";
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "hf_from_file\n");
 * if (readHubToken({ tokenFile: file }) !== "hf_from_file") throw new Error("read");
 * const warned: string[] = [];
 * if (readHubToken({ token: "hf_x" }, (l) => warned.push(l)) !== "hf_x" || warned.length !== 1) throw new Error();
 * ```
 */
export function readHubToken(
  sources: HubTokenSources,
  warn: (line: string) => void = (line) => console.error(line),
): string | undefined {
  if (sources.token !== undefined && sources.token.trim() !== "") {
    warn(
      "warning: --hub-token puts the token on the command line, where other users can see it (ps) and deno task " +
        "prints it; set HF_TOKEN or use --hub-token-file FILE instead",
    );
    return sources.token.trim();
  }
  if (sources.tokenFile !== undefined) return readTokenFile(sources.tokenFile, "flag");
  const fromEnv = hubToken();
  if (fromEnv !== undefined) return fromEnv;
  let stored = sources.storedTokenFile;
  try {
    stored ??= hubTokenPath();
  } catch {
    return undefined; // no HF_HOME and no home folder: no token file either
  }
  return readTokenFile(stored, "stored");
}
