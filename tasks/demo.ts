/**
 * `deno task demo`: offline domain adaptation of a tiny DistilBERT to movie reviews — perplexity and fill-mask
 * before and after. See lib/app/demo.ts.
 *
 * @module
 */
import { intFlag, parseFlags, runTask } from "../lib/cli.ts";
import type { BackendName } from "../lib/model/backend.ts";
import { formatDemo, runDemo } from "../lib/app/demo.ts";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    backend: { type: "string", default: "wasm", help: "tfjs backend: wasm, cpu, webgpu or auto", multiple: false },
    epochs: { type: "string", default: "3", help: "epochs of adaptation", multiple: false },
    seed: { type: "string", default: "42", help: "seed of the split, masks and shuffles", multiple: false },
    "output-dir": {
      type: "string",
      default: "runs/demo",
      help: "where the run (metrics, trainer state, adapted model) goes; an earlier demo run there is replaced",
      multiple: false,
    },
  }, "deno task demo [--backend wasm] [--epochs 3] [--output-dir runs/demo]");

  const result = await runDemo({
    backend: values.backend as BackendName,
    epochs: intFlag(values, "epochs", 1),
    seed: intFlag(values, "seed", 0),
    outputDir: values["output-dir"] as string,
  });
  console.log(formatDemo(result));
  console.log(`adapted model, metrics, trainer state and report.html in ${values["output-dir"]}/`);
  console.log(JSON.stringify({
    perplexity_before: Number(result.before.perplexity.toFixed(4)),
    perplexity_after: Number(result.after.perplexity.toFixed(4)),
    steps: result.training.globalStep,
    tokens_per_second: Math.round(result.training.tokensPerSecond),
    seconds: Number(result.seconds.toFixed(1)),
  }));
}

if (import.meta.main) Deno.exit(await runTask("demo", main));
