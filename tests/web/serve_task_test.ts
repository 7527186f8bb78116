// `deno task serve:web` exists, runs with deno.json's permissions (read dist/web, listen on 127.0.0.1) and serves the
// page `deno task build:web` writes: the page, its bundles and tfjs's wasm binary with their types.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { taskArgs } from "../tasks/task_line.ts";
import { buildWeb } from "../../lib/web/build.ts";

Deno.test({
  name: "deno task serve:web: serves the built page from dist/web with deno.json's permissions",
  sanitizeResources: false,
  async fn() {
    const cwd = await Deno.makeTempDir({ prefix: "mlm-serve-web-" });
    const child = { process: undefined as Deno.ChildProcess | undefined };
    try {
      await buildWeb(`${cwd}/dist/web`);
      // The task's line with its script made absolute: run from a folder whose dist/web is the built page.
      const args = taskArgs("serve:web").map((w) => w.endsWith(".ts") ? `${ROOT}/${w}` : w);
      const process = new Deno.Command("deno", {
        args: [...args, "--port", "0"],
        cwd,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      child.process = process;
      const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!/http:\/\/127\.0\.0\.1:\d+\//.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve:web exited before serving: ${out}`);
        out += value;
      }
      reader.releaseLock();
      const base = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)![0];
      assertStringIncludes(out, "serving dist/web/");
      const get = async (path: string) => {
        const res = await fetch(new URL(path, base));
        return {
          status: res.status,
          type: res.headers.get("content-type"),
          body: new Uint8Array(await res.arrayBuffer()),
        };
      };
      const index = await get("");
      assertEquals([index.status, index.type], [200, "text/html; charset=utf-8"]);
      assertStringIncludes(new TextDecoder().decode(index.body), "Domain-adapt a masked language model");
      for (
        const [path, type] of [["main.js", "text/javascript; charset=utf-8"], [
          "worker.js",
          "text/javascript; charset=utf-8",
        ]]
      ) {
        const r = await get(path);
        assertEquals([r.status, r.type], [200, type], path);
        assertEquals(r.body, await Deno.readFile(`${cwd}/dist/web/${path}`), path);
      }
      const wasm = [...Deno.readDirSync(`${cwd}/dist/web`)].find((e) => e.name.endsWith(".wasm"));
      assert(wasm, "the build copies tfjs's wasm binaries");
      const w = await get(wasm.name);
      assertEquals([w.status, w.type], [200, "application/wasm"]);
      assertEquals((await get("../deno.json")).status, 404); // nothing outside the root (fetch resolves the ..)
    } finally {
      child.process?.kill("SIGTERM");
      await child.process?.status;
      await child.process?.stdout.cancel().catch(() => {});
      await child.process?.stderr.cancel().catch(() => {});
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
