import { quietVulkanDeviceSelect, WEBGPU_ENV_VARIABLES } from "../../lib/model/webgpu_env.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";

function fakeEnv(initial: Record<string, string>) {
  const env = new Map(Object.entries(initial));
  return { env, get: (n: string) => env.get(n), set: (n: string, v: string) => void env.set(n, v) };
}

Deno.test("quietVulkanDeviceSelect turns the device-select layer off only where no Wayland session can exist", () => {
  const headless = fakeEnv({});
  assertEquals(quietVulkanDeviceSelect({ os: "linux", ...headless }), "disabled-device-select");
  assertEquals(headless.env.get("NODEVICE_SELECT"), "1");
  // Called again (the first call's own variable now set): nothing else changes.
  assertEquals(quietVulkanDeviceSelect({ os: "linux", ...headless }), "user-configured");

  const relative = fakeEnv({ XDG_RUNTIME_DIR: "run/user" }); // libwayland rejects a relative path too
  assertEquals(quietVulkanDeviceSelect({ os: "linux", ...relative }), "disabled-device-select");

  const sessions: Record<string, string>[] = [{ XDG_RUNTIME_DIR: "/run/user/1000" }, {
    WAYLAND_DISPLAY: "/tmp/wayland-0",
  }];
  for (const env of sessions) {
    const desktop = fakeEnv(env);
    assertEquals(quietVulkanDeviceSelect({ os: "linux", ...desktop }), "wayland-possible");
    assertEquals(desktop.env.get("NODEVICE_SELECT"), undefined);
  }
  const configured: Record<string, string>[] = [{ MESA_VK_DEVICE_SELECT: "1002:73bf" }, { NODEVICE_SELECT: "0" }];
  for (const env of configured) {
    const chosen = fakeEnv(env);
    assertEquals(quietVulkanDeviceSelect({ os: "linux", ...chosen }), "user-configured");
    assertEquals(chosen.env.get("NODEVICE_SELECT"), env.NODEVICE_SELECT);
  }
  const mac = fakeEnv({});
  assertEquals(quietVulkanDeviceSelect({ os: "darwin", ...mac }), "not-linux");
  assertEquals(mac.env.size, 0);
});

/** Run a script that requests a WebGPU adapter, in a fresh process without XDG_RUNTIME_DIR. */
async function requestAdapter(quiet: boolean, allowEnv: string): Promise<{ stderr: string; stdout: string }> {
  const dir = await Deno.makeTempDir({ prefix: "webgpu-env-" });
  const script = `${dir}/adapter.ts`;
  await Deno.writeTextFile(
    script,
    `import { quietVulkanDeviceSelect } from "${ROOT}/lib/model/webgpu_env.ts";\n` +
      (quiet ? "console.log(quietVulkanDeviceSelect());\n" : "") +
      "const adapter = await navigator.gpu?.requestAdapter();\n" +
      'console.log(adapter ? "adapter" : "none");\n',
  );
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  for (const name of WEBGPU_ENV_VARIABLES) delete env[name];
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", allowEnv, script],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assertEquals(out.code, 0, text(out.stderr));
  return { stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name: "a WebGPU adapter requested after quietVulkanDeviceSelect prints no XDG_RUNTIME_DIR line (fresh process)",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  async fn() {
    const before = await requestAdapter(false, "--allow-env");
    if (!before.stderr.includes("XDG_RUNTIME_DIR")) {
      console.log(
        "SKIP XDG_RUNTIME_DIR check: requesting an adapter prints no XDG_RUNTIME_DIR line here " +
          `(no Mesa Vulkan device-select layer, or no adapter: ${before.stdout.trim()})`,
      );
      return;
    }
    const after = await requestAdapter(true, `--allow-env=${WEBGPU_ENV_VARIABLES.join(",")}`);
    assertStringIncludes(after.stdout, "disabled-device-select\n");
    assert(!after.stderr.includes("XDG_RUNTIME_DIR"), `stderr still has the line:\n${after.stderr}`);
    assertEquals(
      after.stdout.trim().split("\n").at(-1),
      before.stdout.trim().split("\n").at(-1),
      "same adapter answer",
    );
    // Without the env permission nothing changes, and nothing prompts.
    const denied = await requestAdapter(true, "--allow-env=HOME");
    assertStringIncludes(denied.stdout, "no-permission\n");
  },
});
