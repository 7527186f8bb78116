import { loadClassificationData } from "../../lib/classify/data.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { toyRows, writeJsonl } from "./toy.ts";

Deno.test("data: one file is split with the seed; a folder's train/test splits are shuffled and selected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeJsonl(`${dir}/all.jsonl`, toyRows(40, 1));
    const a = await loadClassificationData(`${dir}/all.jsonl`, { trainSize: 30, testSize: 10, seed: 42 });
    const b = await loadClassificationData(`${dir}/all.jsonl`, { trainSize: 30, testSize: 10, seed: 42 });
    assertEquals(a, b, "same seed, same split");
    assertEquals([a.train.length, a.test.length], [30, 10]);
    assertEquals(a.labels, ["0", "1"]);
    const texts = new Set(a.train.map((r) => r.text + r.label));
    assert(a.test.every((r) => r.text.includes("hello") === (r.label === 1)), "labels follow their texts");
    assertEquals(new Set([...a.train, ...a.test].map((r) => r.text + r.label)).size <= 40, true);
    assert(texts.size > 0);

    await Deno.mkdir(`${dir}/folder`);
    // sorted by label, as the shared IMDb files are: the selection must still hold both classes
    const rows = toyRows(40, 2).sort((x, y) => x.label - y.label);
    await writeJsonl(
      `${dir}/folder/train.jsonl`,
      rows.map((r) => ({ review: r.text, sentiment: r.label ? "pos" : "neg" })),
    );
    await writeJsonl(
      `${dir}/folder/test.jsonl`,
      rows.slice(0, 20).concat(rows.slice(30)).map((r) => ({
        review: r.text,
        sentiment: r.label ? "pos" : "neg",
      })),
    );
    const f = await loadClassificationData(`${dir}/folder`, {
      textColumn: "review",
      labelColumn: "sentiment",
      trainSize: 8,
      testSize: 6,
      seed: 42,
    });
    assertEquals(f.labels, ["neg", "pos"]);
    assertEquals(f.available, { train: 40, test: 30 });
    assertEquals(new Set(f.train.map((r) => r.label)).size, 2);
    assert(f.train.every((r) => r.text.includes("hello") === (r.label === 1)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data: bad labels, a single-class dataset and oversized selections fail clearly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = toyRows(10, 3);
    rows[6].label = 2;
    await writeJsonl(`${dir}/bad.jsonl`, rows);
    await assertRejects(
      () => loadClassificationData(`${dir}/bad.jsonl`, { seed: 1, labels: ["0", "1"] }),
      `${dir}/bad.jsonl record 7: label "2" in column "label" is not one of the declared labels [0, 1]`,
    );
    await writeJsonl(`${dir}/one.jsonl`, toyRows(10, 3).map((r) => ({ ...r, label: 1 })));
    await assertRejects(() => loadClassificationData(`${dir}/one.jsonl`, { seed: 1 }), "single class");
    await assertRejects(
      () => loadClassificationData(`${dir}/one.jsonl`, { seed: 1, labels: ["0", "1"] }),
      'training rows all have label "1"',
    );
    await writeJsonl(`${dir}/nolabel.jsonl`, [{ text: "a" }, { text: "b", label: 1 }]);
    await assertRejects(
      () => loadClassificationData(`${dir}/nolabel.jsonl`, { seed: 1 }),
      `${dir}/nolabel.jsonl record 1: label column "label" is missing`,
    );
    await Deno.mkdir(`${dir}/f`);
    await writeJsonl(`${dir}/f/train.jsonl`, toyRows(6, 1));
    await writeJsonl(`${dir}/f/test.jsonl`, toyRows(4, 2));
    await assertRejects(
      () => loadClassificationData(`${dir}/f`, { seed: 1, trainSize: 7 }),
      "--train-size 7: the train split has only 6 rows",
    );
    await assertRejects(() => loadClassificationData(`${dir}/nope.jsonl`, { seed: 1 }), "no such file or folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A parquet file written by hyparquet-writer: columns text (string), label (int32); rows good/1, bad/0.
const PARQUET = "UEFSMRUGFSIVIlwVBBUAFQQVABUEFQAAAAMDBAAAAGdvb2QDAAAAYmFkFQYVFBUUXBUEFQAVBBUAFQQVAAAAAwMBAAAAAAAAABUE" +
  "GTxIBHJvb3QVBAAVDCUCGAR0ZXh0JQAAFQIlAhgFbGFiZWwAFgQZHBksJggcFQwZFQAZGAR0ZXh0FQAWBBZMFkwmCAAAJlQcFQIZ" +
  "FQAZGAVsYWJlbBUAFgQWPhY+JlQAABaKARYENooBACgBeBksHAAAHAAAAHgAAABQQVIx";

Deno.test("data: a Hub dataset id streams its train and test splits (Parquet conversion)", async () => {
  const hub = await startHubServer();
  const cacheDir = await Deno.makeTempDir();
  try {
    const bytes = Uint8Array.from(atob(PARQUET), (c) => c.charCodeAt(0));
    hub.addRepo("org/reviews", {
      type: "dataset",
      branch: "refs/convert/parquet",
      files: { "plain_text/train/0000.parquet": bytes, "plain_text/test/0000.parquet": bytes },
    });
    const d = await loadClassificationData("org/reviews", { seed: 42, hub: { endpoint: hub.endpoint, cacheDir } });
    assertEquals(d.labels, ["0", "1"]);
    assertEquals(d.train.map((r) => `${r.text}:${r.label}`).sort(), ["bad:0", "good:1"]);
    assertEquals(d.test.length, 2);
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test({
  name: "data: the shared IMDb folder gives both classes in a small shuffled selection",
  ignore: !haveShared("data/imdb/test.jsonl.gz", "shared IMDb classification data"),
  fn: async () => {
    const d = await loadClassificationData(`${SHARED}/data/imdb`, { seed: 42, trainSize: 50, testSize: 50 });
    assertEquals(d.labels, ["0", "1"]);
    assertEquals(d.available, { train: 25000, test: 25000 });
    assertEquals(new Set(d.train.map((r) => r.label)).size, 2);
  },
});
