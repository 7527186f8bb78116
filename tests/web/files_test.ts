// lib/web without a browser: the in-memory loaders and writer give what the folder-based ones give, the in-memory
// corpus reader gives what readTexts gives, and the static server serves only its root with the right types.
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { loadMaskedLM, loadTokenizer, readTexts, savePretrained, selectBackend } from "../../mod.ts";
import { fetchFile, maskedLMFromFiles, pretrainedFiles, tokenizerFromFiles } from "../../lib/web/files.ts";
import { corpusTexts } from "../../lib/web/corpus.ts";
import { serveWeb } from "../../lib/web/serve.ts";

const DEMO = new URL("../../fixtures/demo/", import.meta.url).pathname;
const FILES = [
  "config.json",
  "model.safetensors",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
];

async function demoFiles(): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of [...FILES, "vocab.txt"]) files.set(name, await Deno.readFile(`${DEMO}model/${name}`));
  return files;
}

Deno.test("tokenizerFromFiles encodes as loadTokenizer does, special ids included", async () => {
  const fromDisk = await loadTokenizer(`${DEMO}model`);
  const fromBytes = tokenizerFromFiles(await demoFiles(), { source: "demo" });
  const text = "I watched the film last night, and the acting was great!";
  assertEquals(fromBytes.encode(text), fromDisk.encode(text));
  assertEquals(fromBytes.allSpecialIds, fromDisk.allSpecialIds);
  assertEquals(fromBytes.files, fromDisk.files);
  const err = assertThrows(() => tokenizerFromFiles(new Map(), { source: "my-folder" }));
  assert(err.message.includes("my-folder: no tokenizer.json"), err.message);
});

Deno.test("pretrainedFiles writes the bytes savePretrained writes; maskedLMFromFiles reads them back", async () => {
  await selectBackend("cpu", { log: () => {} });
  const files = await demoFiles();
  const model = maskedLMFromFiles(files, { source: "demo", tokenizer: tokenizerFromFiles(files) });
  const dir = await Deno.makeTempDir();
  try {
    await savePretrained(model, `${dir}/saved`, { tokenizerDir: `${DEMO}model` });
    const inMemory = await pretrainedFiles(model, files);
    const saved = [...Deno.readDirSync(`${dir}/saved`)].map((e) => e.name).sort();
    assertEquals([...inMemory.keys()].sort(), saved);
    for (const name of saved) assertEquals(inMemory.get(name), await Deno.readFile(`${dir}/saved/${name}`), name);
    const back = await loadMaskedLM(`${dir}/saved`);
    assertEquals(back.numParameters(), model.numParameters());
    back.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
  const broken = new Map(files);
  broken.set("model.safetensors", files.get("model.safetensors")!.subarray(0, 100));
  const err = assertThrows(() => maskedLMFromFiles(broken, { source: "upload" }));
  assert(err.message.startsWith("upload/model.safetensors: not a valid safetensors file"), err.message);
});

Deno.test("corpusTexts reads the demo corpus as readTexts does; bad lines are named", async () => {
  const path = `${DEMO}corpus/movie_reviews.jsonl`;
  const expected: string[] = [];
  for await (const t of readTexts(path)) expected.push(t);
  assertEquals(corpusTexts("movie_reviews.jsonl", await Deno.readFile(path)), expected);
  const bad = new TextEncoder().encode('{"text":"ok"}\n{"review":"no text"}\n');
  const err = assertThrows(() => corpusTexts("c.jsonl", bad));
  assertEquals(err.message, 'c.jsonl:2: no text column "text"; columns present: "review"');
  assertThrows(() => corpusTexts("c.csv", bad), "expected a .txt");
});

Deno.test("serveWeb serves files under its root with their types, and nothing outside", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/web`);
  await Deno.writeTextFile(`${root}/web/index.html`, "<p>page</p>");
  await Deno.writeFile(`${root}/web/x.wasm`, new Uint8Array([0, 97, 115, 109]));
  await Deno.writeTextFile(`${root}/secret.txt`, "secret");
  const server = serveWeb(`${root}/web`, { port: 0 });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    const index = await fetch(`${origin}/`);
    assertEquals([index.headers.get("content-type"), await index.text()], ["text/html; charset=utf-8", "<p>page</p>"]);
    const wasm = await fetch(`${origin}/x.wasm`);
    assertEquals(wasm.headers.get("content-type"), "application/wasm");
    await wasm.body?.cancel();
    for (const path of ["/%2e%2e/secret.txt", "/..%2fsecret.txt", "/web/../../secret.txt"]) {
      const outside = await fetch(`${origin}${path}`);
      const body = await outside.text();
      assert([400, 404].includes(outside.status) && body !== "secret", `${path}: ${outside.status} ${body}`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
  await assertRejects(() => fetch(origin)); // stopped
});

Deno.test("fetchFile: a request that gets no answer names the URL and the likely causes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close(); // nothing listens there now: the connection is refused
  const url = `http://127.0.0.1:${port}/demo-org/demo-model/resolve/main/config.json`;
  const e = await fetchFile(url).then(() => undefined, (e: Error) => e);
  assert(e, "fetchFile resolved");
  assert(e.message.startsWith(`GET ${url}: no answer (`), e.message);
  assert(e.message.includes("offline") && e.message.includes("CORS"), e.message);
});

Deno.test('maskedLMFromFiles: files chosen one by one are named alone in errors (source "")', async () => {
  const files = new Map<string, Uint8Array>([
    ["config.json", await Deno.readFile(`${DEMO}model/config.json`)],
    ["model.safetensors", new Uint8Array(16)],
  ]);
  const e = assertThrows(() => maskedLMFromFiles(files, { source: "" }));
  assert(e.message.startsWith("model.safetensors: "), e.message);
  files.delete("model.safetensors");
  assertThrows(() => maskedLMFromFiles(files, { source: "" }), "the chosen files: no model.safetensors");
  assertThrows(() => maskedLMFromFiles(files, { source: "my-model" }), "my-model: no model.safetensors");
});

Deno.test("tokenizerFromFiles checks tokenizer.json's shape as loadTokenizer does, naming the file and field", async () => {
  const files = await demoFiles();
  const json = JSON.parse(new TextDecoder().decode(files.get("tokenizer.json")));
  json.model.vocab["[UNK]"] = "one"; // a vocabulary id that is not an integer
  files.set("tokenizer.json", new TextEncoder().encode(JSON.stringify(json)));
  assertThrows(
    () => tokenizerFromFiles(files, { source: "my-model" }),
    'my-model/tokenizer.json: field "model.vocab["[UNK]"]" must be an integer id',
  );
  delete json.model.vocab;
  json.model.type = "BPE";
  files.set("tokenizer.json", new TextEncoder().encode(JSON.stringify(json)));
  assertThrows(() => tokenizerFromFiles(files, { source: "" }), 'tokenizer.json: field "model.vocab"');
});

Deno.test("tokenizerFromFiles reads RoBERTa's byte-level BPE and ModernBERT's tokenizer as loadTokenizer does", async () => {
  const modern = `${new URL("../../fixtures/reference/tiny-modernbert", import.meta.url).pathname}`;
  const dirs = [modern];
  const roberta = new URL("../../../shared/data/roberta-base", import.meta.url).pathname;
  try {
    Deno.statSync(roberta);
    dirs.push(roberta);
  } catch {
    console.log(`SKIP the RoBERTa half: ${roberta} is absent (the shared data beside the project)`);
  }
  for (const dir of dirs) {
    const files = new Map<string, Uint8Array>();
    for await (const e of Deno.readDir(dir)) if (e.isFile) files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
    const fromDisk = await loadTokenizer(dir);
    const fromBytes = tokenizerFromFiles(files, { source: "m" });
    const text = `A great film, ${fromDisk.maskToken} and all.`;
    assertEquals(fromBytes.encode(text), fromDisk.encode(text), dir);
    assertEquals([fromBytes.maskToken, fromBytes.files], [fromDisk.maskToken, fromDisk.files], dir);
  }
});
