import { readCsv, readCsvLocated } from "../../lib/data/csv.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function temp(suffix: string, text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("readCsv: header row names the fields; quotes hold commas, quotes and newlines", async () => {
  const path = await temp(".csv", 'text,label\n"great, really",1\n"she said ""wow""",1\n"two\nlines",0\n');
  assertEquals(await collect(readCsv(path)), [
    { text: "great, really", label: "1" },
    { text: 'she said "wow"', label: "1" },
    { text: "two\nlines", label: "0" },
  ]);
  // where names the line the row ends on
  assertEquals((await collect(readCsvLocated(path))).map((r) => r.where), [2, 3, 5].map((n) => `${path}:${n}`));
});

Deno.test("readCsv: CRLF, mixed line ends, a BOM and blank lines", async () => {
  const path = await temp(".csv", "\ufefftext,label\r\na,1\r\n\r\nb,0\nc,1");
  assertEquals(await collect(readCsv(path)), [
    { text: "a", label: "1" },
    { text: "b", label: "0" },
    { text: "c", label: "1" },
  ]);
});

Deno.test("readCsv: .tsv uses tabs; delimiter can be forced", async () => {
  const tsv = await temp(".tsv", "id\ttext\n1\ta, b\n");
  assertEquals(await collect(readCsv(tsv)), [{ id: "1", text: "a, b" }]);
  const semi = await temp(".csv", "id;text\n1;x\n");
  assertEquals(await collect(readCsv(semi, { delimiter: ";" })), [{ id: "1", text: "x" }]);
});

Deno.test("readCsv: .csv.gz is gunzipped", async () => {
  const path = await Deno.makeTempFile({ suffix: ".csv.gz" });
  const rows = ["text,label", ...Array.from({ length: 2000 }, (_, i) => `"row ${i}",${i % 2}`)].join("\n");
  const gz = new Blob([rows]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(path, new Uint8Array(await new Response(gz).arrayBuffer()));
  const records = await collect(readCsv(path));
  assertEquals(records.length, 2000);
  assertEquals(records[1999], { text: "row 1999", label: "1" });
});

Deno.test("readCsv: an empty file or a header alone yields nothing", async () => {
  assertEquals(await collect(readCsv(await temp(".csv", ""))), []);
  assertEquals(await collect(readCsv(await temp(".csv", "text,label\n"))), []);
});

Deno.test("readCsv: a row with the wrong number of fields fails with file:line", async () => {
  const path = await temp(".csv", "text,label\na,1\nb,0,extra\n");
  await assertRejects(() => collect(readCsv(path)), `${path}:3: malformed CSV row`);
  const tsv = await temp(".tsv", "text\tlabel\na\n");
  await assertRejects(() => collect(readCsv(tsv)), `${tsv}:2: malformed TSV row`);
});

Deno.test("readCsv: an unclosed quote fails with file:line", async () => {
  const path = await temp(".csv", 'text,label\na,1\n"never closed,0\n');
  await assertRejects(() => collect(readCsv(path)), `${path}:3: malformed CSV row (Quote Not Closed`);
});

Deno.test("readCsv: a missing file fails naming it", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => collect(readCsv(`${dir}/absent.csv`)), `${dir}/absent.csv: cannot open`);
});
