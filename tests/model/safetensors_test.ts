import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from "../../lib/model/safetensors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";

function fileWith(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test({
  name: "safetensors: an HF-written file read and written back is byte-identical",
  ignore: !haveShared("goldens/tiny-bert/goldens.safetensors", "safetensors byte identity"),
  fn: async () => {
    for (const f of ["tiny-distilbert/model.safetensors", "tiny-bert/goldens.safetensors"]) {
      const original = await Deno.readFile(`${SHARED}/goldens/${f}`);
      const parsed = parseSafetensors(original);
      assertEquals(parsed.metadata, f.includes("model") ? { format: "pt" } : parsed.metadata);
      const again = encodeSafetensors(parsed.tensors, { metadata: parsed.metadata });
      assertEquals(again.length, original.length, f);
      assert(again.every((b, i) => b === original[i]), `${f}: bytes differ`);
    }
  },
});

Deno.test("safetensors: F16, BF16, F64 and I64 are read as float32 / int32", () => {
  const data = new Uint8Array(2 + 2 + 8 + 8);
  const v = new DataView(data.buffer);
  v.setUint16(0, 0x3c00, true); // f16 1.0
  v.setUint16(2, 0xc040, true); // bf16 -3.0
  v.setFloat64(4, 0.5, true);
  v.setBigInt64(12, -7n, true);
  const file = parseSafetensors(fileWith({
    h: { dtype: "F16", shape: [1], data_offsets: [0, 2] },
    b: { dtype: "BF16", shape: [1], data_offsets: [2, 4] },
    d: { dtype: "F64", shape: [1], data_offsets: [4, 12] },
    i: { dtype: "I64", shape: [1], data_offsets: [12, 20] },
  }, data));
  assertEquals([...file.tensors.get("h")!.data], [1]);
  assertEquals([...file.tensors.get("b")!.data], [-3]);
  assertEquals([...file.tensors.get("d")!.data], [0.5]);
  assert(file.tensors.get("i")!.data instanceof Int32Array);
  assertEquals(file.dtypes.get("b"), "BF16");
});

Deno.test("safetensors: truncated and corrupt files fail clearly", () => {
  const good = encodeSafetensors(new Map([["w", { shape: [4], data: new Float32Array([1, 2, 3, 4]) }]]));
  assertThrows(() => parseSafetensors(good.subarray(0, 5), { source: "x.safetensors" }), "x.safetensors");
  assertThrows(() => parseSafetensors(good.subarray(0, 20)), "truncated");
  assertThrows(() => parseSafetensors(good.subarray(0, good.length - 4)), "truncated");
  const corrupt = good.slice();
  corrupt[8] = 0x78; // "x" where the JSON's "{" was
  assertThrows(() => parseSafetensors(corrupt), "not valid JSON");
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  assertThrows(() => parseSafetensors(huge), "corrupt");
  const badShape = fileWith({ w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, new Uint8Array(16));
  assertThrows(() => parseSafetensors(badShape), "needs 12");
  const gap = fileWith({ w: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
  assertThrows(() => parseSafetensors(gap), "gapped");
  const dtype = fileWith({ w: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
  assertThrows(() => parseSafetensors(dtype), "unsupported dtype");
});

Deno.test("safetensors: write goes through a temporary file and reads back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/m.safetensors`;
    const tensors = new Map([
      ["b", { shape: [2], data: new Int32Array([5, -100]) }],
      ["a", { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
    ]);
    await writeSafetensors(path, tensors);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["m.safetensors"]);
    const back = await readSafetensors(path);
    assertEquals([...back.tensors.keys()], ["a", "b"], "F32 before I32, as the Rust crate orders them");
    assertEquals([...back.tensors.get("b")!.data], [5, -100]);
    assertEquals(back.metadata, { format: "pt" });
    const bytes = await Deno.readFile(path);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assertEquals(headerLength % 8, 0, "header padded to 8 bytes");
    await assertRejects(() => readSafetensors(`${dir}/absent.safetensors`), "absent.safetensors");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
