// Resource limits when loading weights: model.safetensors must be a regular file of the size its header implies
// (checked before the data is read), and a config far from its checkpoint is checked in time linear in the names.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { encodeSafetensors, readSafetensors } from "../../lib/model/safetensors.ts";
import { checkpointValues } from "../../lib/model/pretrained.ts";
import { parseConfig } from "../../lib/model/config.ts";

const ONE = new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]);

Deno.test("a model.safetensors linked to /dev/zero, or to a folder, is refused without reading it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink("/dev/zero", `${dir}/model.safetensors`);
    const err = await assertRejects(() => readSafetensors(`${dir}/model.safetensors`), "not a regular file");
    assertStringIncludes(err.message, `${dir}/model.safetensors`);
    await Deno.symlink(dir, `${dir}/folder.safetensors`);
    await assertRejects(() => readSafetensors(`${dir}/folder.safetensors`), "not a regular file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file larger or smaller than its header implies is refused naming both sizes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = encodeSafetensors(ONE);
    const path = `${dir}/model.safetensors`;
    await Deno.writeFile(path, good);
    assertEquals([...(await readSafetensors(path)).tensors.get("w")!.data], [1, 2]);
    // 64 MiB past what the header describes (sparse: no disk is used), then 3 bytes short of it.
    const file = await Deno.open(path, { write: true });
    await file.truncate(good.length + 64 * 1024 * 1024);
    file.close();
    const longer = await assertRejects(() => readSafetensors(path), `its header describes ${good.length} bytes`);
    assertStringIncludes(longer.message, `the file has ${good.length + 64 * 1024 * 1024} bytes (trailing bytes)`);
    await Deno.writeFile(path, good.subarray(0, good.length - 3));
    await assertRejects(() => readSafetensors(path), `the file has ${good.length - 3} bytes (truncated?)`);
    const notObject = new Uint8Array(8 + 12);
    new DataView(notObject.buffer).setBigUint64(0, 12n, true);
    notObject.set(new TextEncoder().encode("[1,2,3]     "), 8);
    await Deno.writeFile(path, notObject);
    await assertRejects(() => readSafetensors(path), "header is not a JSON object");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("n_layers: 10000 against a one-tensor checkpoint lists the problems at once (no quadratic name check)", () => {
  const config = parseConfig({ model_type: "distilbert", n_layers: 10000, dim: 8, n_heads: 2, hidden_dim: 16 });
  let err: Error | undefined;
  try {
    checkpointValues(ONE, config, { source: "m/model.safetensors" });
  } catch (e) {
    err = e as Error;
  }
  assert(err !== undefined, "a mismatch must fail");
  assertStringIncludes(err.message, "m/model.safetensors: does not match the config");
  assertStringIncludes(err.message, `unexpected tensor "w"`);
  assertStringIncludes(err.message, "missing tensor");
  assertStringIncludes(err.message, "more");
});
