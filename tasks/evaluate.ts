/**
 * `deno task evaluate --model DIR --dataset PATH`: perplexity on the eval set `deno task finetune` uses with the same
 * data flags (same split, masked once with the same seed). Prints the perplexity and a JSON line.
 *
 * @module
 */
import { type FlagSpec, parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { evaluateModel } from "../lib/app/finetune.ts";
import { dataOptionsFromFlags, MLM_DATA_FLAGS } from "../lib/app/flags.ts";

const USAGE = "deno task evaluate --model DIR|ID --dataset PATH|ID [flags]";
const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    "model": s(undefined, "model folder (config.json, model.safetensors, tokenizer) or Hub model id"),
    "dataset": s(undefined, "corpus file or folder, or Hub dataset id"),
    ...MLM_DATA_FLAGS,
  }, USAGE);
  requireFlags(values, ["model", "dataset"], USAGE);
  const r = await evaluateModel({ model: values.model as string, ...dataOptionsFromFlags(values) });
  console.log(`perplexity: ${r.perplexity.toFixed(2)} (eval_loss ${r.eval_loss.toFixed(4)})`);
  console.log(JSON.stringify(r));
}

if (import.meta.main) Deno.exit(await runTask("evaluate", main));
