/**
 * `report.html` for a run folder: one self-contained page (no network) with uPlot charts of training loss, eval
 * perplexity (or accuracy/F1) per epoch, learning rate and tokens/s over steps; the per-epoch table; the run's
 * arguments, backend, adapter and timings.
 *
 * uPlot's browser build and CSS are inlined from the npm package: `lib/deps.ts` imports them as text
 * (`with { type: "text" }`), which Deno resolves from its npm cache whether this module is run from the checkout or
 * imported by URL. The page's own script only turns the embedded data into uPlot options.
 *
 * @module
 */
import { UPLOT_CSS, UPLOT_JS } from "../deps.ts";
import { writeFileAtomic } from "../fs.ts";
import { isClassifierRun, readRunLog, type ReadRunLogOptions, runEpochs, type RunLog } from "./run_log.ts";

/** Options of {@link renderReport}. */
export interface RenderReportOptions extends ReadRunLogOptions {
  /** Where to write the page (default `RUN_DIR/report.html`). */
  output?: string;
  /** Page title (default: "Training report: " + the run folder's name). */
  title?: string;
}

/** One line of a chart. */
export interface ChartSeries {
  /** Legend label. */
  label: string;
  /** CSS colour of the line. */
  color: string;
  /** y values aligned with the chart's x (null = no value). */
  y: (number | null)[];
}

/** One chart of the page. */
export interface ChartSpec {
  /** DOM id of the chart's container. */
  id: string;
  /** Heading above the chart. */
  title: string;
  /** x-axis label. */
  xLabel: string;
  /** y-axis label. */
  yLabel: string;
  /** x values, ascending. */
  x: number[];
  /** Lines over x. */
  series: ChartSeries[];
  /** Integer x ticks only (epochs). */
  integerX: boolean;
  /** Draw a marker at every point (few points). */
  points: boolean;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/**
 * Render `RUN_DIR/report.html` from the run's logs (written to a temp file, then renamed). Returns the page's path.
 *
 * @example
 * ```ts
 * import { renderReport } from "./render.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, [
 *   '{"type":"header","args":{"learning_rate":2e-5},"backend":"cpu"}',
 *   '{"step":1,"epoch":1,"loss":3.1,"learning_rate":2e-5,"tokens_per_second":900}',
 *   '{"step":1,"epoch":1,"eval_loss":2.9}',
 * ].join("\n"));
 * const path = await renderReport(dir);
 * if (!(await Deno.readTextFile(path)).includes("uPlot")) throw new Error("unexpected");
 * ```
 */
export async function renderReport(runDir: string, options: RenderReportOptions = {}): Promise<string> {
  const log = await readRunLog(runDir, options);
  const html = reportHtml(log, { title: options.title });
  const output = options.output ?? `${runDir}/report.html`;
  try {
    await writeFileAtomic(output, html);
  } catch (e) {
    throw new Error(`${output}: cannot write the report (${(e as Error).message})`);
  }
  return output;
}

/** Options of {@link reportHtml}. */
export interface ReportHtmlOptions {
  /** Page title (default: "Training report: " + the run folder's name). */
  title?: string;
}

/**
 * The report page for a run log, as one HTML string with everything inlined.
 *
 * @example
 * ```ts
 * import { reportHtml } from "./render.ts";
 * const html = reportHtml({ dir: "out", sources: [], steps: [], evals: [], timings: {}, state: {}, unrecognised: 0,
 *   header: { task: "finetune", args: {}, backend: "cpu", adapter: null, other: {} } });
 * if (!html.startsWith("<!DOCTYPE html>")) throw new Error("unexpected");
 * ```
 */
export function reportHtml(log: RunLog, options: ReportHtmlOptions = {}): string {
  const name = log.dir.replace(/\/+$/, "").split("/").at(-1) || log.dir;
  const title = options.title ?? `Training report: ${name}`;
  const charts = reportCharts(log);
  const classifier = isClassifierRun(log);
  const h = log.header;

  const summary = keyValueTable([
    ["task", h.task],
    ["backend", h.backend],
    ["adapter", h.adapter],
    ...Object.entries(h.other),
    ["steps logged", log.steps.length],
    ["evaluations", log.evals.length],
  ]);
  const rows = runEpochs(log);
  const extraKeys = [...new Set(log.evals.flatMap((e) => Object.keys(e.extra)))].filter((k) =>
    !/(_runtime|_per_second)$/.test(k)
  );
  const headers = [
    ...(classifier
      ? ["epoch", "train loss", "eval loss", "accuracy", "F1"]
      : ["epoch", "train loss", "eval loss", "perplexity"]),
    ...extraKeys,
  ];
  const epochTable = rows.length === 0 ? `<p class="empty">No evaluation was logged.</p>` : `<table class="epochs">
<thead><tr>${headers.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead>
<tbody>
${
    rows.map((r, i) => {
      const cells = classifier
        ? [r.epoch, r.trainLoss, r.evalLoss, r.accuracy, r.f1]
        : [r.epoch, r.trainLoss, r.evalLoss, r.perplexity];
      cells.push(...extraKeys.map((k) => log.evals[i].extra[k] ?? null));
      return `<tr>${cells.map((c) => `<td>${escapeHtml(formatValue(c))}</td>`).join("")}</tr>`;
    }).join("\n")
  }
</tbody></table>`;

  const chartHtml = charts.map((c) =>
    `<section class="chart"><h3>${escapeHtml(c.title)}</h3>${
      c.x.length === 0
        ? `<p class="empty">Not logged.</p>`
        : `<div class="plot" id="${escapeHtml(c.id)}" data-series="${c.series.length}"></div>`
    }</section>`
  ).join("\n");

  const timings = Object.entries(log.timings).map(([k, v]): [string, unknown] => [
    k,
    typeof v === "number" && /(_runtime|_seconds|_time_s)$/.test(k) ? `${formatValue(v)} s (${hms(v)})` : v,
  ]);
  const evalRuntime = log.evals.reduce((a, e) => a + (e.extra.eval_runtime ?? 0), 0);
  if (evalRuntime > 0) timings.push(["eval_runtime (all evaluations)", `${formatValue(evalRuntime)} s`]);

  const data = JSON.stringify({ charts: charts.filter((c) => c.x.length > 0) }).replace(/</g, "\\u003c");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${UPLOT_CSS}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="dir">${escapeHtml(log.dir)}</p>
<div class="top">
<section><h2>Run</h2>${summary}</section>
<section><h2>Per epoch</h2>${epochTable}</section>
</div>
<h2>Charts</h2>
<div class="charts">
${chartHtml}
</div>
<div class="top">
<section><h2>Arguments</h2>${
    Object.keys(h.args).length === 0 ? `<p class="empty">No arguments were logged.</p>` : keyValueTable(
      Object.entries(h.args),
    )
  }</section>
<section><h2>Timings and totals</h2>${
    timings.length === 0 ? `<p class="empty">No timings were logged.</p>` : keyValueTable(timings)
  }${Object.keys(log.state).length === 0 ? "" : `<h2>Trainer state</h2>${keyValueTable(Object.entries(log.state))}`}
</section>
</div>
<p class="sources">Rendered from ${log.sources.map((s) => escapeHtml(s)).join(", ")}${
    log.unrecognised > 0 ? ` (${log.unrecognised} unrecognised lines skipped)` : ""
  }.</p>
<script type="application/json" id="report-data">${data}</script>
<script>${inlineScript(UPLOT_JS)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The charts of a run: training loss, eval perplexity (or accuracy and F1) per epoch, learning rate and tokens/s over
 * steps. A chart with nothing logged has an empty `x`.
 *
 * @example
 * ```ts
 * import { reportCharts } from "./render.ts";
 * const charts = reportCharts({ dir: ".", sources: [], evals: [], timings: {}, state: {}, unrecognised: 0,
 *   steps: [{ step: 1, epoch: 1, loss: 2, learningRate: 1e-5, tokensPerSecond: null, gradNorm: null }],
 *   header: { task: null, args: {}, backend: null, adapter: null, other: {} } });
 * if (charts[0].id !== "chart-loss" || charts[0].x[0] !== 1) throw new Error("unexpected");
 * ```
 */
export function reportCharts(log: RunLog): ChartSpec[] {
  const stepChart = (id: string, title: string, yLabel: string, y: (s: RunLog["steps"][number]) => number | null) => {
    const pts = log.steps.filter((s) => finite(y(s))).sort((a, b) => a.step - b.step);
    return {
      id,
      title,
      xLabel: "step",
      yLabel,
      x: pts.map((s) => s.step),
      series: [{ label: yLabel, color: COLORS[0], y: pts.map(y) }],
      integerX: true,
      points: pts.length <= 30,
    };
  };
  const rows = runEpochs(log);
  const classifier = isClassifierRun(log);
  const evalChart: ChartSpec = classifier
    ? {
      id: "chart-eval",
      title: "Eval accuracy and F1 per epoch",
      xLabel: "epoch",
      yLabel: "score",
      x: [],
      series: [{ label: "accuracy", color: COLORS[2], y: [] }, { label: "F1", color: COLORS[3], y: [] }],
      integerX: true,
      points: true,
    }
    : {
      id: "chart-eval",
      title: "Eval perplexity per epoch",
      xLabel: "epoch",
      yLabel: "perplexity",
      x: [],
      series: [{ label: "perplexity", color: COLORS[1], y: [] }],
      integerX: true,
      points: true,
    };
  for (const r of [...rows].sort((a, b) => a.epoch - b.epoch)) {
    const ys = classifier ? [r.accuracy, r.f1] : [r.perplexity];
    if (!ys.some(finite)) continue;
    evalChart.x.push(r.epoch);
    ys.forEach((v, i) => evalChart.series[i].y.push(finite(v) ? v : null));
  }
  return [
    stepChart("chart-loss", "Training loss", "loss", (s) => s.loss),
    evalChart,
    stepChart("chart-lr", "Learning rate", "learning rate", (s) => s.learningRate),
    stepChart("chart-tps", "Throughput", "tokens/s", (s) => s.tokensPerSecond),
  ];
}

function finite(v: number | null): v is number {
  return v !== null && Number.isFinite(v);
}

function keyValueTable(entries: [string, unknown][]): string {
  const rows = entries.filter(([, v]) => v !== null && v !== undefined && v !== "");
  return `<table class="kv"><tbody>${
    rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(formatValue(v))}</td></tr>`).join("")
  }</tbody></table>`;
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function hms(seconds: number): string {
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** Script text safe inside `<script>`: a literal `</script` would end the element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script");
}

/** Text safe in HTML content and in quoted attribute values. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const PAGE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 18px 0 8px; }
h3 { font-size: 14px; margin: 0 0 4px; }
.dir, .sources { color: #666; font-size: 12px; }
.top { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px 24px; }
.chart { min-width: 0; }
.plot { width: 100%; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
table.epochs td, table.epochs th { text-align: right; padding: 3px 8px; }
table.kv th { font-weight: 600; white-space: nowrap; }
table.kv td { word-break: break-word; }
.empty { color: #888; font-style: italic; }
`;

/**
 * The page's script: builds one uPlot per chart from the embedded data, then records on each container how many
 * canvas pixels have each series' colour (`data-series-pixels`), which the headless-browser test reads.
 */
const PAGE_SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var plots = [];
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    var big = 0;
    c.series.forEach(function (s) { s.y.forEach(function (v) { if (v != null) big = Math.max(big, Math.abs(v)); }); });
    var sci = big > 0 && (big < 1e-2 || big >= 1e6);
    var lo = Math.min.apply(null, c.x), hi = Math.max.apply(null, c.x);
    var opts = {
      width: Math.max(300, el.clientWidth || 560),
      height: 260,
      scales: { x: c.points && c.integerX ? { time: false, range: [lo - 0.25, hi + 0.25] } : { time: false } },
      legend: { live: true },
      axes: [
        { label: c.xLabel, incrs: c.integerX ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] : undefined },
        { label: c.yLabel, size: 70, values: sci ? function (u, splits) { return splits.map(function (v) { return v === 0 ? "0" : v.toExponential(1); }); } : undefined },
      ],
      series: [{ label: c.xLabel }].concat(c.series.map(function (s) {
        return {
          label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: c.points, size: 7, fill: s.color },
          value: function (u, v) { return v == null ? "--" : sci ? v.toExponential(3) : String(Number(v.toPrecision(5))); },
        };
      })),
    };
    var u = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.y; })), el);
    plots.push({ c: c, el: el, u: u });
  });
  function rgb(hex) {
    return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
  }
  setTimeout(function () {
    plots.forEach(function (p) {
      var cv = p.u.ctx.canvas;
      var px = p.u.ctx.getImageData(0, 0, cv.width, cv.height).data;
      var counts = p.c.series.map(function (s) {
        var t = rgb(s.color), n = 0;
        for (var i = 0; i < px.length; i += 4) if (px[i] === t[0] && px[i + 1] === t[1] && px[i + 2] === t[2] && px[i + 3] === 255) n++;
        return n;
      });
      p.el.setAttribute("data-series-pixels", counts.join(","));
    });
    document.body.setAttribute("data-charts-drawn", String(plots.length));
  }, 0);
})();
`;
