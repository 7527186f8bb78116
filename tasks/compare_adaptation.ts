/**
 * `deno task compare-adaptation --base A --adapted B`: fine-tune a classifier from the original and from the
 * domain-adapted checkpoint with the same seed, data and budget, and print accuracy, F1 and eval loss per epoch for
 * each and the difference. Writes `OUTPUT_DIR/{base,adapted}/` (each a full classify-finetune run with its report)
 * and `OUTPUT_DIR/compare.json`. See lib/classify/compare.ts.
 *
 * @module
 */
import { parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { CLASSIFY_FLAGS, classifyOptionsFromFlags } from "../lib/classify/cli_options.ts";
import { compareAdaptation } from "../lib/classify/compare.ts";
import { defaultRunDir } from "../lib/app/flags.ts";

const USAGE = "deno task compare-adaptation --base A --adapted B [flags]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    "base": { type: "string", help: "the original checkpoint (folder or Hub id)" },
    "adapted": { type: "string", help: "the domain-adapted checkpoint (folder or Hub id)" },
    ...CLASSIFY_FLAGS,
    "output-dir": {
      type: "string",
      help: "where both runs and compare.json go (default: runs/<adapted>-compare-<dataset>)",
    },
  }, USAGE);
  requireFlags(values, ["base", "adapted"], USAGE);
  const options = classifyOptionsFromFlags(values);
  const result = await compareAdaptation({
    ...options,
    base: values.base as string,
    adapted: values.adapted as string,
    outputDir: (values["output-dir"] as string | undefined) ??
      defaultRunDir(values.adapted as string, options.dataset, "compare"),
  });
  console.log(`\nbase: ${values.base}\nadapted: ${values.adapted}\n\n${result.table}`);
  console.log(`\nwrote ${result.path}; reports: ${result.base.report}, ${result.adapted.report}`);
}

if (import.meta.main) Deno.exit(await runTask("compare-adaptation", main));
