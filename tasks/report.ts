/**
 * `deno task report DIR`: re-render `DIR/report.html` from the run's JSONL logs (`metrics.jsonl`, else
 * `trainer_state.json`).
 *
 * @module
 */
import { parseFlags, runTask } from "../lib/cli.ts";
import { renderReport } from "../lib/report/mod.ts";

const USAGE = "deno task report DIR [--metrics-file metrics.jsonl] [--output DIR/report.html] [--title TEXT]";

async function main(): Promise<void> {
  const { values, positionals } = parseFlags(Deno.args, {
    "metrics-file": { type: "string", multiple: false, default: "metrics.jsonl", help: "JSON Lines log inside DIR" },
    output: { type: "string", multiple: false, help: "where to write the page (default DIR/report.html)" },
    title: { type: "string", multiple: false, help: "page title" },
  }, USAGE);
  if (positionals.length !== 1) throw new Error(`expected one run folder, got ${positionals.length}\n\n${USAGE}`);
  const path = await renderReport(positionals[0], {
    metricsFile: values["metrics-file"] as string,
    output: values.output as string | undefined,
    title: values.title as string | undefined,
  });
  console.log(`wrote ${path}`);
}

if (import.meta.main) Deno.exit(await runTask("report", main));
