import { serveImdb } from "../support/imdb_parquet.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { type HubServer, startHubServer } from "../support/hub_server.ts";
import { hubDatasetFiles, streamHubDataset } from "../../lib/hub/dataset.ts";
import { readJsonl } from "../../lib/data/jsonl.ts";

const IMDB = "data/imdb/test.jsonl.gz";
const ROWS = 300;

/** The first ROWS reviews of the shared IMDb test split. */
async function imdbRows(): Promise<{ text: string; label: number }[]> {
  const rows: { text: string; label: number }[] = [];
  for await (const r of readJsonl(`${SHARED}/${IMDB}`)) {
    rows.push({ text: r.text as string, label: r.label as number });
    if (rows.length === ROWS) break;
  }
  return rows;
}

/** A local Hub serving `stanfordnlp/imdb` (legacy id `imdb`) as two train shards and one test shard. */
async function imdbHub(rows: { text: string; label: number }[]): Promise<HubServer> {
  const hub = await startHubServer();
  serveImdb(hub, { train: [rows.slice(0, 180), rows.slice(180)], test: [rows.slice(0, 10)] }, 50);
  return hub;
}

Deno.test({
  name: "streamHubDataset lists the Parquet shards, caches them, and yields rows in file order (online, then offline)",
  ignore: !haveShared(IMDB, "hub dataset streaming"),
  async fn() {
    const rows = await imdbRows();
    const hub = await imdbHub(rows);
    const cacheDir = await Deno.makeTempDir();
    try {
      const opts = { endpoint: hub.endpoint, cacheDir, config: "plain_text", split: "train" };
      const found = await hubDatasetFiles("imdb", opts);
      assertEquals(found.files, ["plain_text/train/0000.parquet", "plain_text/train/0001.parquet"]);
      const storage = `${cacheDir}/datasets--imdb`;
      const commit = Deno.readTextFileSync(`${storage}/refs/refs/convert/parquet`);
      assertEquals(found.paths, found.files.map((f) => `${storage}/snapshots/${commit}/${f}`));
      // The legacy id went through the Hub's relative redirect to stanfordnlp/imdb.
      assert(hub.requests.some((r) => r.path.startsWith("/api/datasets/stanfordnlp/imdb/parquet")));

      const got: { text: string; label: number }[] = [];
      for await (const r of streamHubDataset("imdb", { ...opts, textColumn: "text" })) {
        got.push({ text: r.text as string, label: Number(r.label) });
      }
      assertEquals(got.length, ROWS);
      assertEquals(got, rows);

      // Offline: same rows, no request; the default config is the only one cached.
      const before = hub.requests.length;
      let n = 0;
      for await (const r of streamHubDataset("imdb", { endpoint: hub.endpoint, cacheDir, offline: true })) {
        assertEquals(r.text, rows[n++].text);
      }
      assertEquals(n, ROWS);
      assertEquals(hub.requestsSince(before), []);
    } finally {
      await hub.close();
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "hubDatasetFiles names the configs and splits that exist when asked for others",
  ignore: !haveShared(IMDB, "hub dataset errors"),
  async fn() {
    const hub = await imdbHub((await imdbRows()).slice(0, 20));
    const cacheDir = await Deno.makeTempDir();
    try {
      const opts = { endpoint: hub.endpoint, cacheDir };
      await assertRejects(() => hubDatasetFiles("imdb", { ...opts, config: "nope" }), "configs: plain_text");
      await assertRejects(() => hubDatasetFiles("imdb", { ...opts, split: "validation" }), "splits: test, train");
      await assertRejects(() => hubDatasetFiles("nobody/nothing", opts), "Repository Not Found");
      const rows = streamHubDataset("imdb", { ...opts, split: "test", textColumn: "review" });
      await assertRejects(async () => {
        for await (const _ of rows) { /* drain */ }
      }, 'column "review"');
      const test = await hubDatasetFiles("imdb", { ...opts, split: "test" });
      assertEquals(test.files, ["plain_text/test/0000.parquet"]);
    } finally {
      await hub.close();
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});
