import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { renderReport } from "../../lib/report/render.ts";
import { UPLOT_CSS, UPLOT_JS } from "../../lib/deps.ts";
import { copyFixture, externalReferences } from "./report_fixtures.ts";

Deno.test("renderReport: a self-contained page with the run's charts data, arguments, backend, adapter, table", async () => {
  const dir = await copyFixture("mlm_run");
  try {
    const path = await renderReport(dir);
    assertEquals(path, `${dir}/report.html`);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["metrics.jsonl", "report.html", "trainer_state.json"], "no temp file left behind");
    const html = await Deno.readTextFile(path);
    assertEquals(externalReferences(html), []);
    assertStringIncludes(html, UPLOT_JS.slice(0, 2000));
    assertStringIncludes(html, UPLOT_CSS);
    for (const id of ["chart-loss", "chart-eval", "chart-lr", "chart-tps"]) assertStringIncludes(html, `id="${id}"`);
    assertStringIncludes(html, "Eval perplexity per epoch");
    // The fixture's own lines, parsed independently of the module under test.
    const lines = (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    assertStringIncludes(html, "<th>backend</th><td>cpu</td>");
    assertStringIncludes(html, "<th>mlm_probability</th><td>0.15</td>");
    assertStringIncludes(html, `<th>train_runtime</th><td>${Number(summary.train_runtime.toPrecision(5))} s`);
    assertStringIncludes(html, "<th>epoch</th><th>train loss</th><th>eval loss</th><th>perplexity</th>");
    // perplexities as logged, shown with 5 significant digits
    const perplexities = lines.filter((l) => typeof l.eval_loss === "number").map((l) => l.perplexity);
    assertEquals(perplexities.length, 3);
    for (const p of perplexities) assertStringIncludes(html, `<td>${Number(p.toPrecision(5))}</td>`);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]);
    assertEquals(data.charts.length, 4);
    assertEquals(data.charts[0].x.length, 48);
    assertEquals(data.charts[1].x, [1, 2, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderReport: a classifier run plots accuracy and F1; unlogged charts say so; HTML is escaped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/metrics.jsonl`,
      [
        JSON.stringify({ type: "header", args: { note: "</script><b>x</b>" }, backend: "cpu" }),
        JSON.stringify({ step: 1, epoch: 1, loss: 0.7 }),
        JSON.stringify({ step: 1, epoch: 1, eval_loss: 0.6, eval_accuracy: 0.5, eval_f1: 0.4 }),
      ].join("\n"),
    );
    const html = await Deno.readTextFile(await renderReport(dir, { title: "A & B" }));
    assertStringIncludes(html, "<title>A &amp; B</title>");
    assertStringIncludes(html, "Eval accuracy and F1 per epoch");
    assertStringIncludes(html, "<th>accuracy</th><th>F1</th>");
    assertStringIncludes(html, "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;");
    assert(!html.includes("<b>x</b>"), "argument values are escaped");
    assertEquals((html.match(/Not logged\./g) ?? []).length, 2, "learning rate and tokens/s were not logged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task report DIR re-renders the page with the task's own permissions", async () => {
  const dir = await copyFixture("classifier_run");
  try {
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["task", "report", dir],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assertStringIncludes(new TextDecoder().decode(stdout), `wrote ${dir}/report.html`);
    assertStringIncludes(await Deno.readTextFile(`${dir}/report.html`), "Eval accuracy and F1 per epoch");

    const bad = await new Deno.Command("deno", {
      args: ["task", "report", `${dir}/missing`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(bad.code, 1);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), "no metrics.jsonl or trainer_state.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderReport: a metric name is escaped in the table head (no stored script injection)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const evil = "eval_<script>alert(1)</script><img src=x onerror=alert(2)>";
    await Deno.writeTextFile(
      `${dir}/metrics.jsonl`,
      [
        JSON.stringify({ type: "header", args: {}, backend: "cpu" }),
        JSON.stringify({ step: 1, epoch: 1, loss: 0.7 }),
        JSON.stringify({ step: 1, epoch: 1, eval_loss: 0.6, perplexity: 1.8, [evil]: 0.25 }),
      ].join("\n"),
    );
    const html = await Deno.readTextFile(await renderReport(dir));
    assertStringIncludes(html, "<th>eval_&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</th>");
    assert(!html.includes("<script>alert(1)"), "the metric name's script tag is not live");
    assert(!html.includes("<img"), "the metric name's img tag is not live");
    assertStringIncludes(html, "<td>0.25</td>");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
