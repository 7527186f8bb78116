import { assert, assertEquals } from "../support/assert.ts";
import { renderReport } from "../../lib/report/render.ts";
import { copyFixture } from "./report_fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = haveChromium();

function haveChromium(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(`SKIP report page in headless Chromium: ${CHROMIUM} is absent (apt-get install -y chromium)`);
    return false;
  }
}

/** Run headless Chromium on `url` with the flags that keep it off the network; returns stdout. */
async function chromium(url: string, extra: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "mlm-report-chromium-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--window-size=1200,1600",
        ...extra,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    assertEquals(code, 0, `chromium failed:\n${new TextDecoder().decode(stderr)}`);
    return new TextDecoder().decode(stdout);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Width and height from a PNG's IHDR chunk (fails when the bytes are not a PNG). */
function pngSize(bytes: Uint8Array): [number, number] {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  assertEquals([...bytes.subarray(0, 8)], signature, "screenshot is a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assertEquals(new TextDecoder().decode(bytes.subarray(12, 16)), "IHDR");
  return [view.getUint32(16), view.getUint32(20)];
}

for (
  const [fixture, stable, seriesPerChart] of [
    ["mlm_run", "/tmp/mlm-report-screenshot.png", [1, 1, 1, 1]],
    ["classifier_run", "/tmp/mlm-report-screenshot-classifier.png", [1, 2, 1, 1]],
  ] as const
) {
  Deno.test({
    name: `report page in headless Chromium: ${fixture} draws every chart (screenshot ${stable})`,
    ignore: !HAVE_CHROMIUM,
    async fn() {
      const dir = await copyFixture(fixture);
      const url = `file://${await renderReport(dir)}`;

      const shot = `${dir}/screenshot.png`;
      await chromium(url, [`--screenshot=${shot}`]);
      const png = await Deno.readFile(shot);
      assertEquals(pngSize(png), [1200, 1600]);
      await Deno.copyFile(shot, stable);
      console.log(`screenshot: ${shot} (copied to ${stable})`);

      // The page's script runs uPlot, then marks each chart with how many canvas pixels have each series' colour.
      const dom = await chromium(url, ["--virtual-time-budget=5000", "--dump-dom"]);
      assertEquals(/<body[^>]*data-charts-drawn="(\d+)"/.exec(dom)?.[1], "4", "all four charts were built");
      const plots = [...dom.matchAll(/<div class="plot" id="([^"]+)"[^>]*data-series-pixels="([\d,]+)"[^>]*>/g)];
      assertEquals(plots.map((m) => m[1]), ["chart-loss", "chart-eval", "chart-lr", "chart-tps"]);
      plots.forEach((m, i) => {
        const counts = m[2].split(",").map(Number);
        assertEquals(counts.length, seriesPerChart[i], `${m[1]}: one count per series`);
        for (const n of counts) assert(n > 50, `${m[1]}: a series drew only ${n} pixels of its colour`);
        const inside = dom.slice(m.index, plots[i + 1]?.index ?? dom.length);
        const canvas = /<canvas width="(\d+)" height="(\d+)"/.exec(inside);
        assert(canvas !== null, `${m[1]}: uPlot made no canvas`);
        assert(
          Number(canvas[1]) > 400 && Number(canvas[2]) > 200,
          `${m[1]}: canvas ${canvas[1]}x${canvas[2]} too small`,
        );
      });
      await Deno.remove(`${dir}/metrics.jsonl`);
      await Deno.remove(`${dir}/trainer_state.json`);
      console.log(`kept for inspection: ${dir}/report.html and ${shot}`);
    },
  });
}
