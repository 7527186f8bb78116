// `deno task push` takes its token from HF_TOKEN, --hub-token-file or HF's token file ($HF_HOME/token), so it never
// has to be on the command line (where `ps` and deno task's "Task" line show it); --hub-token still works, with a
// warning. Tried against the local Hub server.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { startHubServer } from "../support/hub_server.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { taskArgs } from "./task_line.ts";

const TOKEN = "hf_push_token_test_8d2e61";

Deno.test("push task: the token from HF_TOKEN, --hub-token-file or $HF_HOME/token; --hub-token warns on stderr", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const root = await Deno.makeTempDir();
  let n = 0;
  const push = async (extra: string[], env: Record<string, string> = {}) => {
    const repo = `me/tiny-${++n}`;
    const out = await new Deno.Command("deno", {
      args: [...taskArgs("push", ["--allow-net=127.0.0.1"]), "--folder", `${DEMO_FIXTURE_DIR}/model`, ...extra],
      cwd: ROOT,
      env: {
        NO_COLOR: "1",
        HF_ENDPOINT: hub.endpoint,
        HF_HOME: `${root}/hf`,
        HF_TOKEN: "",
        HUGGING_FACE_HUB_TOKEN: "",
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
    assert(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), "the token is never printed");
    return { code: out.code, stdout, stderr, pushed: hub.repo(repo) !== undefined, repo };
  };
  try {
    const file = `${root}/token.txt`;
    await Deno.writeTextFile(file, `${TOKEN}\n`);
    const withFile = await push(["--hub-model-id", "me/tiny-1", "--hub-token-file", file]);
    assertEquals(withFile.code, 0, withFile.stderr);
    assert(withFile.pushed && !withFile.stderr.includes("warning"), withFile.stderr);

    const fromEnv = await push(["--hub-model-id", "me/tiny-2"], { HF_TOKEN: TOKEN });
    assertEquals(fromEnv.code, 0, fromEnv.stderr);
    assert(fromEnv.pushed);

    await Deno.mkdir(`${root}/hf`, { recursive: true });
    await Deno.writeTextFile(`${root}/hf/token`, TOKEN); // what `hf auth login` writes
    const stored = await push(["--hub-model-id", "me/tiny-3"]);
    assertEquals(stored.code, 0, stored.stderr);
    assert(stored.pushed);

    const onLine = await push(["--hub-model-id", "me/tiny-4", "--hub-token", TOKEN]);
    assertEquals(onLine.code, 0, onLine.stderr);
    assertStringIncludes(onLine.stderr, "warning: --hub-token puts the token on the command line");

    const missing = await push(["--hub-model-id", "me/tiny-5", "--hub-token-file", `${root}/none`]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, `--hub-token-file ${root}/none: cannot read the token`);
  } finally {
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
});
