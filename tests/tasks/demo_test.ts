import { assert, assertEquals } from "../support/assert.ts";
import { DEMO_PROMPTS, formatDemo, runDemo } from "../../lib/app/demo.ts";

const FILM = /^(movie|film)$/;

Deno.test("demo: adapting the tiny model to movie reviews lowers perplexity and turns 'a great [MASK]' into films", async () => {
  const lines: string[] = [];
  const outputDir = await Deno.makeTempDir({ prefix: "demo-test-" });
  const r = await runDemo({ backend: "wasm", progress: false, log: (l) => lines.push(l), outputDir });
  // the run folder is written through the page's function: the header, a loss row every 10 steps, 3 evaluations
  const rows = (await Deno.readTextFile(`${outputDir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(rows[0].task, "demo");
  assertEquals(rows.filter((x) => x.loss !== undefined).length, Math.floor(r.training.globalStep / 10));
  assertEquals(rows.filter((x) => x.eval_loss !== undefined).length, 3);
  assert((await Deno.stat(`${outputDir}/report.html`)).isFile, "report.html");
  await Deno.remove(outputDir, { recursive: true });
  assert(r.after.perplexity < r.before.perplexity, `${r.before.perplexity} → ${r.after.perplexity}`);
  assertEquals(DEMO_PROMPTS[0], "This is a great [MASK].");
  assertEquals(r.fillBefore.length, DEMO_PROMPTS.length);
  const before = r.fillBefore[0].map((g) => g.token_str), after = r.fillAfter[0].map((g) => g.token_str);
  assertEquals(after.length, 5);
  assert(!before.some((t) => FILM.test(t)), `before adaptation the generic model guesses no film: ${before}`);
  assert(after.some((t) => FILM.test(t)), `after adaptation "movie" or "film" is in the top 5: ${after}`);
  const text = formatDemo(r);
  assert(text.includes("This is a great [MASK].") && text.includes("before →"), text);
});
