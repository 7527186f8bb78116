/**
 * `deno task fill-mask --model DIR|HUB_ID "This is a great [MASK]."`: the top predictions for each mask, as Hugging Face's
 * fill-mask pipeline gives them (score, token, token_str, sequence). The tokenizer is read from DIR too.
 *
 * @module
 */
import { intFlag, parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { BACKEND_NAMES, type BackendName, selectBackend } from "../lib/model/backend.ts";
import { loadMaskedLM } from "../lib/model/pretrained.ts";
import { fillMask, formatFillMask, pipelineOutput } from "../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../lib/tokenize/tokenizer.ts";
import { resolveModel } from "../lib/hub/resolve.ts";
import { assertFiniteWeights } from "../lib/app/model_checks.ts";

const USAGE = 'deno task fill-mask --model DIR "TEXT with [MASK]" ["MORE TEXT"...] [--top-k N] [--json] [--backend B]';

async function main(): Promise<void> {
  const { values, positionals } = parseFlags(Deno.args, {
    model: { type: "string", help: "checkpoint folder (config.json, model.safetensors, tokenizer files) or Hub id" },
    "top-k": { type: "string", default: "5", help: "predictions per mask" },
    json: { type: "boolean", default: false, help: "print HF's pipeline output as JSON" },
    backend: { type: "string", default: "auto", help: `one of ${BACKEND_NAMES.join(", ")}` },
  }, USAGE);
  requireFlags(values, ["model"], USAGE);
  if (positionals.length === 0) throw new Error(`give at least one text containing a mask token\n\n${USAGE}`);
  const topK = intFlag(values, "top-k", 1);
  await selectBackend(values.backend as BackendName);
  const dir = await resolveModel(values.model as string); // a local folder as is, else a Hub id through the HF cache
  const tokenizer = await loadTokenizer(dir);
  const model = await loadMaskedLM(dir);
  try {
    await assertFiniteWeights(model, `${dir}/model.safetensors`);
    const results = await fillMask(model, tokenizer, positionals, { topK });
    if (values.json) {
      const hf = results.map(pipelineOutput);
      console.log(JSON.stringify(hf.length === 1 ? hf[0] : hf, null, 2));
    } else {
      console.log(positionals.map((t, i) => `${JSON.stringify(t)}\n${formatFillMask(results[i])}`).join("\n\n"));
    }
  } finally {
    model.dispose();
  }
}

if (import.meta.main) Deno.exit(await runTask("fill-mask", main));
