/**
 * `deno task push --folder DIR --hub-model-id ID`: upload an existing checkpoint folder to the Hub (the repo is
 * created when missing; a model card is generated when the folder has no README.md). The token comes from `HF_TOKEN`,
 * `--hub-token-file`, HF's token file (`$HF_HOME/token`) or, with a warning, `--hub-token`; it is never printed.
 *
 * @module
 */
import { parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { exists } from "../lib/fs.ts";
import { modelCardFromFolder, pushToHub } from "../lib/hub/mod.ts";
import { pushToHubWithOnnx, transformersJsSnippet } from "../lib/export/mod.ts";
import { readHubToken } from "../lib/app/token.ts";

const USAGE =
  "deno task push --folder DIR --hub-model-id NAMESPACE/NAME [--hub-token-file FILE] [--private] [--commit-message TEXT] " +
  "[--export-onnx]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    folder: { type: "string", help: "checkpoint folder to upload" },
    "hub-model-id": { type: "string", help: "repo to push to (namespace/name, or name for your own namespace)" },
    "hub-token": { type: "string", help: "write token (visible to others on the command line: prefer the next two)" },
    "hub-token-file": {
      type: "string",
      help: "file holding the write token (default: $HF_TOKEN, else $HF_HOME/token)",
    },
    private: { type: "boolean", default: false, help: "create the repo private" },
    "commit-message": { type: "string", default: "Upload folder using the Deno MLM toolkit", help: "commit title" },
    "base-model": { type: "string", help: "base model named in a generated model card" },
    dataset: { type: "string", help: "dataset named in a generated model card" },
    "export-onnx": { type: "boolean", default: false, help: "also upload the ONNX export for transformers.js" },
  }, USAGE);
  requireFlags(values, ["folder", "hub-model-id"], USAGE);
  const folder = values.folder as string;
  const repoId = values["hub-model-id"] as string;
  const hasCard = await exists(`${folder}/README.md`);
  const exportOnnx = values["export-onnx"] as boolean;
  const extraFiles = hasCard ? undefined : {
    "README.md": await modelCardFromFolder(folder, {
      repoId,
      baseModel: values["base-model"] as string | undefined,
      dataset: values.dataset as string | undefined,
      extraUsage: exportOnnx ? transformersJsSnippet(repoId) : undefined,
    }),
  };
  const result = await (exportOnnx ? pushToHubWithOnnx : pushToHub)(folder, {
    repoId,
    token: readHubToken({
      token: values["hub-token"] as string | undefined,
      tokenFile: values["hub-token-file"] as string | undefined,
    }),
    private: values.private as boolean,
    commitMessage: values["commit-message"] as string,
    extraFiles,
  });
  console.log(`pushed ${result.files.length} files to ${result.repoUrl} (commit ${result.commitOid})`);
  if (!hasCard) console.log("generated README.md (model card)");
}

if (import.meta.main) Deno.exit(await runTask("push", main));
