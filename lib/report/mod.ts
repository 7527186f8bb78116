/**
 * Training reports: `report.html` rendered from a run folder's JSONL logs.
 *
 * @example
 * ```ts
 * import { renderReport } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"step":1,"epoch":1,"loss":2.5,"learning_rate":1e-5}\n');
 * await renderReport(dir);
 * ```
 *
 * @module
 */
export { renderReport, type RenderReportOptions, reportCharts, reportHtml, type ReportHtmlOptions } from "./render.ts";
export type { ChartSeries, ChartSpec } from "./render.ts";
export {
  addRecord,
  classifyRecord,
  type EvalPoint,
  isClassifierRun,
  readRunLog,
  type ReadRunLogOptions,
  type RecordKind,
  runEpochs,
  type RunHeader,
  type RunLog,
  type TrainPoint,
} from "./run_log.ts";
