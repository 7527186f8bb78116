import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { ROOT } from "../support/shared.ts";
import { pushToHub } from "../../lib/hub/upload.ts";
import { modelCard } from "../../lib/hub/model_card.ts";
import { tinyModelFiles, TOKEN } from "./tiny_repo.ts";

async function checkpointFolder(): Promise<{ dir: string; files: Record<string, string | Uint8Array> }> {
  const files = await tinyModelFiles();
  delete files[".gitattributes"];
  const dir = await Deno.makeTempDir({ prefix: "ckpt-" });
  for (const [path, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(`${dir}/${path}`, content);
    else await Deno.writeFile(`${dir}/${path}`, content);
  }
  await Deno.mkdir(`${dir}/.git`);
  await Deno.writeTextFile(`${dir}/.git/HEAD`, "ref: refs/heads/main\n");
  return { dir, files };
}

Deno.test("pushToHub creates the repo and commits the folder with a model card; LFS bytes go to the CDN without auth", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const { dir, files } = await checkpointFolder();
  try {
    const card = modelCard({
      repoId: "me/tiny-finetuned-imdb",
      baseModel: "distilbert-base-uncased",
      dataset: "imdb",
      hyperparameters: { learning_rate: 2e-5 },
      epochs: [{ epoch: 1, trainLoss: 3, evalLoss: 2.5, perplexity: Math.exp(2.5) }],
    });
    const result = await pushToHub(dir, {
      repoId: "me/tiny-finetuned-imdb",
      token: TOKEN,
      endpoint: hub.endpoint,
      private: true,
      commitMessage: "Training in progress, epoch 1",
      extraFiles: { "README.md": card },
    });
    assertEquals(result.repoUrl, `${hub.endpoint}/me/tiny-finetuned-imdb`);
    assertEquals(result.files, ["README.md", "config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]);
    const repo = hub.repo("me/tiny-finetuned-imdb")!;
    assert(repo.private, "created private");
    assertEquals(repo.refs.get("main"), result.commitOid);
    assertEquals(repo.messages.get(result.commitOid), "Training in progress, epoch 1");
    const stored = hub.files("me/tiny-finetuned-imdb");
    assertEquals(stored.get("model.safetensors"), files["model.safetensors"]);
    assertEquals(new TextDecoder().decode(stored.get("README.md")), card);
    assert(!stored.has(".git/HEAD"), ".git is never uploaded");
    const uploads = hub.requestsSince(0, "cdn");
    assertEquals(uploads.map((r) => r.method), ["PUT"]);
    assert(uploads.every((r) => r.headers.authorization === undefined), "token sent to the CDN");

    // Pushing again (repo exists: 409 from create) makes a second commit.
    await Deno.writeTextFile(`${dir}/config.json`, '{"changed":true}');
    const again = await pushToHub(dir, { repoId: "me/tiny-finetuned-imdb", token: TOKEN, endpoint: hub.endpoint });
    assert(again.commitOid !== result.commitOid);
    assertEquals(new TextDecoder().decode(hub.files("me/tiny-finetuned-imdb").get("config.json")), '{"changed":true}');
    // The unchanged LFS object is not uploaded twice.
    assertEquals(hub.requestsSince(0, "cdn").length, 1);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pushToHub: no token, a refused token, and a name without namespace", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const { dir } = await checkpointFolder();
  const saved = Deno.env.get("HF_TOKEN");
  Deno.env.delete("HF_TOKEN");
  try {
    await assertRejects(() => pushToHub(dir, { repoId: "me/x", endpoint: hub.endpoint }), "needs a write token");
    const wrong = "hf_wrong_token_never_shown";
    const err = await assertRejects(
      () => pushToHub(dir, { repoId: "me/x", token: wrong, endpoint: hub.endpoint }),
      "token was refused",
    );
    assert(!err.message.includes(wrong) && !String(err.stack).includes(wrong), "token leaked");
    const result = await pushToHub(dir, { repoId: "solo", token: TOKEN, endpoint: hub.endpoint });
    assertEquals(result.repoId, "tester/solo");
    assert(hub.files("tester/solo").has("model.safetensors"));
  } finally {
    if (saved !== undefined) Deno.env.set("HF_TOKEN", saved);
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task push uploads a folder with a generated card, token from HF_TOKEN, never printed", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const { dir } = await checkpointFolder();
  try {
    const run = async (args: string[], token: string): Promise<{ code: number; out: string }> => {
      const out = await new Deno.Command("deno", {
        args: ["run", "--allow-read", "--allow-env", "--allow-net=127.0.0.1", `${ROOT}/tasks/push.ts`, ...args],
        env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: token, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      return { code: out.code, out: text };
    };
    const ok = await run(["--folder", dir, "--hub-model-id", "me/pushed", "--dataset", "imdb"], TOKEN);
    assertEquals(ok.code, 0, ok.out);
    assertStringIncludes(ok.out, `pushed 5 files to ${hub.endpoint}/me/pushed`);
    assert(!ok.out.includes(TOKEN), "token printed");
    const readme = new TextDecoder().decode(hub.files("me/pushed").get("README.md"));
    assertStringIncludes(readme, "datasets:\n- imdb");
    const demo = `${ROOT}/fixtures/demo/model`;
    const onnx = await run(["--folder", demo, "--hub-model-id", "me/pushed-onnx", "--export-onnx"], TOKEN);
    assertEquals(onnx.code, 0, onnx.out);
    const pushed = hub.files("me/pushed-onnx");
    assert(pushed.get("onnx/model.onnx")?.length, [...pushed.keys()].join());
    assertStringIncludes(new TextDecoder().decode(pushed.get("README.md")), 'pipeline("fill-mask", "me/pushed-onnx"');
    const bad = await run(["--folder", dir, "--hub-model-id", "me/pushed"], "hf_bad_token_for_the_task");
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.out, "push: push to me/pushed failed");
    assert(!bad.out.includes("hf_bad_token_for_the_task"), "token printed");
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pushToHub refuses symlinks, naming each, before any request; temp leftovers are never uploaded", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const { dir } = await checkpointFolder();
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  try {
    await Deno.writeTextFile(`${outside}/id_rsa`, "PRIVATE KEY");
    await Deno.symlink(outside, `${dir}/ssh`);
    await Deno.symlink(`${outside}/id_rsa`, `${dir}/notes.txt`);
    const err = await assertRejects(
      () => pushToHub(dir, { repoId: "me/linked", token: TOKEN, endpoint: hub.endpoint }),
      "refusing to push symbolic links",
    );
    assertStringIncludes(err.message, `  - notes.txt -> ${outside}/id_rsa\n  - ssh -> ${outside}`);
    assertEquals(hub.requests.length, 0, "nothing was sent");
    assert(hub.repo("me/linked") === undefined);
    await Deno.remove(`${dir}/ssh`);
    await Deno.remove(`${dir}/notes.txt`);

    // An interrupted save's leftovers: a temporary checkpoint folder and a temporary file.
    await Deno.mkdir(`${dir}/.checkpoint-500.tmp-1a2b3c4d`);
    await Deno.writeTextFile(`${dir}/.checkpoint-500.tmp-1a2b3c4d/config.json`, "{}");
    await Deno.writeTextFile(`${dir}/trainer_state.json.tmp-0f1e2d3c-aaaa`, "{");
    const result = await pushToHub(dir, { repoId: "me/linked", token: TOKEN, endpoint: hub.endpoint });
    assertEquals(result.files, ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]);
    assertEquals([...hub.files("me/linked").keys()].filter((p) => p.includes("tmp")), []);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
