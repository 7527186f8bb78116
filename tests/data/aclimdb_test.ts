import { isAclImdbSplitDir, readAclImdb, readAclImdbLocated } from "../../lib/data/aclimdb.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A tiny aclImdb tree; file names chosen so that name order and numeric id order differ (10 < 9 by name). */
async function makeTree(): Promise<string> {
  const root = await Deno.makeTempDir();
  const files: Record<string, string> = {
    "train/neg/10_2.txt": "train neg ten",
    "train/neg/9_1.txt": "train neg nine<br /><br />ok",
    "train/pos/0_10.txt": "train pos zero",
    "train/unsup/3_0.txt": "unsup three",
    "train/unsup/12_0.txt": "unsup twelve",
    "test/pos/100_7.txt": "test pos hundred",
    "test/pos/20_8.txt": "test pos twenty\r\nsecond line",
    "test/neg/1_4.txt": "test neg one",
  };
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${rel.slice(0, rel.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${rel}`, text);
  }
  await Deno.writeTextFile(`${root}/train/urls_pos.txt`, "http://example.com\n"); // split-level files are ignored
  await Deno.writeTextFile(`${root}/README`, "aclImdb");
  return root;
}

Deno.test("readAclImdb: a split folder reads neg, pos, unsup in that order, files by numeric id", async () => {
  const root = await makeTree();
  const records = await collect(readAclImdb(`${root}/train`));
  assertEquals(records, [
    { text: "train neg nine<br /><br />ok", label: 0, id: 9, rating: 1 },
    { text: "train neg ten", label: 0, id: 10, rating: 2 },
    { text: "train pos zero", label: 1, id: 0, rating: 10 },
    { text: "unsup three", label: -1, id: 3, rating: 0 },
    { text: "unsup twelve", label: -1, id: 12, rating: 0 },
  ]);
  const wheres = (await collect(readAclImdbLocated(`${root}/train`))).map((r) => r.where);
  assertEquals(wheres[0], `${root}/train/neg/9_1.txt`);
});

Deno.test("readAclImdb: a root with split gives HF imdb's splits (train/test without unsup; unsupervised)", async () => {
  const root = await makeTree();
  const train = await collect(readAclImdb(root, { split: "train" }));
  assertEquals(train.map((r) => [r.id, r.label]), [[9, 0], [10, 0], [0, 1]]);
  const test = await collect(readAclImdb(root, { split: "test" }));
  assertEquals(test.map((r) => [r.id, r.label, r.rating]), [[1, 0, 4], [20, 1, 8], [100, 1, 7]]);
  assertEquals(test[1].text, "test pos twenty\nsecond line"); // newlines read as Python's text mode reads them
  const unsup = await collect(readAclImdb(root, { split: "unsupervised" }));
  assertEquals(unsup.map((r) => [r.id, r.label]), [[3, -1], [12, -1]]);
});

Deno.test("readAclImdb: a root without split, an unknown split and a stray file fail clearly", async () => {
  const root = await makeTree();
  await assertRejects(() => collect(readAclImdb(root)), "an aclImdb root; pass split (train, test, unsupervised)");
  await assertRejects(() => collect(readAclImdb(root, { split: "dev" })), `${root}/dev: not an aclImdb split folder`);
  const plain = await Deno.makeTempDir();
  await assertRejects(() => collect(readAclImdb(plain)), `${plain}: not an aclImdb folder`);
  await Deno.writeTextFile(`${root}/test/neg/notes.txt`, "stray");
  await assertRejects(
    () => collect(readAclImdb(root, { split: "test" })),
    `${root}/test/neg/notes.txt: not an aclImdb review file name (expected <id>_<rating>.txt)`,
  );
});

Deno.test("isAclImdbSplitDir: true for folders holding neg/, pos/ or unsup/", async () => {
  const root = await makeTree();
  assert(await isAclImdbSplitDir(`${root}/train`));
  assert(await isAclImdbSplitDir(`${root}/test`));
  assert(!(await isAclImdbSplitDir(root)));
  assert(!(await isAclImdbSplitDir(`${root}/absent`)));
});

Deno.test("readAclImdb: empty label folders yield nothing", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/neg`);
  await Deno.mkdir(`${root}/pos`);
  assertEquals(await collect(readAclImdb(root)), []);
});
