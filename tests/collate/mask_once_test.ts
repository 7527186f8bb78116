import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { createWholeWordMaskCollator } from "../../lib/collate/whole_word.ts";
import { batchFixed, loadMasked, type MaskedExample, maskOnce, saveMasked } from "../../lib/collate/mask_once.ts";
import type { MlmBatch } from "../../lib/data/types.ts";
import { BERT, BERT_SPECIALS, syntheticChunks } from "./synthetic.ts";

const mlm = (seed: number, padToMultipleOf?: number) =>
  createMlmCollator({
    maskTokenId: BERT.mask,
    vocabSize: BERT.vocabSize,
    specialIds: BERT_SPECIALS,
    padTokenId: BERT.pad,
    padToMultipleOf,
    seed,
  });

/** A stand-in for evaluation: what a model would be fed, reduced to one number per batch. */
function fingerprint(batches: MlmBatch[]): number[] {
  return batches.map((b) => {
    let h = 0;
    for (let i = 0; i < b.input_ids.length; i++) {
      h = (Math.imul(h, 31) + b.input_ids[i] * 7 + b.labels[i] * 3 + b.attention_mask[i]) | 0;
    }
    return h;
  });
}

Deno.test("maskOnce: the collator applied once per batch of examples, rows unpadded; same seed, same set", () => {
  const chunks = syntheticChunks(20, 21, { chunkSize: 30 });
  const set = maskOnce(chunks, mlm(1, 16), { batchSize: 7 });
  assertEquals(set.length, 20);
  // Exactly what calling the collator on slices of 7 gives, with each row cut back to its own length.
  const collate = mlm(1, 16);
  for (let start = 0; start < 20; start += 7) {
    const batch = collate(chunks.slice(start, start + 7));
    assertEquals(batch.shape[1], 32);
    for (let i = 0; i < batch.shape[0]; i++) {
      const row = (a: Int32Array) => a.slice(i * 32, i * 32 + 30);
      assertEquals(set[start + i], {
        input_ids: row(batch.input_ids),
        attention_mask: row(batch.attention_mask),
        labels: row(batch.labels),
      });
    }
  }
  assertEquals(maskOnce(chunks, mlm(1, 16), { batchSize: 7 }), set);
  assertNotEquals(maskOnce(chunks, mlm(2, 16), { batchSize: 7 }), set);
  const selected = set.reduce((n, e) => n + e.labels.filter((l) => l !== -100).length, 0);
  assert(selected > 0, "something was masked");
  // The whole-word collator works the same way.
  const wwm = () => createWholeWordMaskCollator({ maskTokenId: BERT.mask, padTokenId: BERT.pad, seed: 3 });
  assertEquals(maskOnce(chunks, wwm()), maskOnce(chunks, wwm()));
  assertThrows(() => maskOnce(chunks, mlm(1), { batchSize: 0 }), "batchSize");
});

Deno.test("batchFixed: batches in order with no randomness; two evaluations see identical inputs", () => {
  const chunks = syntheticChunks(20, 22, { chunkSize: 16 });
  const set = maskOnce(chunks, mlm(4));
  const first = batchFixed(set, 8);
  assertEquals(first.map((b) => b.shape), [[8, 16], [8, 16], [4, 16]]);
  assertEquals(batchFixed(set, 8), first);
  assertEquals(fingerprint(batchFixed(set, 8)), fingerprint(first));
  // Rows are the masked examples, in order.
  const rows = first.flatMap((b) =>
    Array.from({ length: b.shape[0] }, (_, i) => [...b.labels.slice(i * 16, i * 16 + 16)])
  );
  assertEquals(rows, set.map((e) => [...e.labels]));
});

Deno.test("batchFixed: unequal lengths need a pad id, then pad like the collators", () => {
  const ex = (n: number): MaskedExample => ({
    input_ids: new Int32Array(n).fill(BERT.mask),
    attention_mask: new Int32Array(n).fill(1),
    labels: new Int32Array(n).fill(2307),
  });
  assertThrows(() => batchFixed([ex(3), ex(2)], 2), "pass padTokenId");
  const [b] = batchFixed([ex(3), ex(2)], 2, { padTokenId: BERT.pad });
  assertEquals(b.shape, [2, 3]);
  assertEquals([...b.input_ids], [103, 103, 103, 103, 103, 0]);
  assertEquals([...b.attention_mask], [1, 1, 1, 1, 1, 0]);
  assertEquals([...b.labels], [2307, 2307, 2307, 2307, 2307, -100]);
  assertThrows(() => batchFixed([{ ...ex(2), labels: Int32Array.of(1) }], 1), "labels has 1 entries");
});

Deno.test("saveMasked/loadMasked: round trip, written through a temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const set = maskOnce(syntheticChunks(30, 23), mlm(5), { batchSize: 8 });
    const path = `${dir}/eval.mask`;
    await saveMasked(path, set);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["eval.mask"], "no temporary file left behind");
    const back = await loadMasked(path);
    assertEquals(back, set);
    assertEquals(fingerprint(batchFixed(back, 8)), fingerprint(batchFixed(set, 8)));
    assertEquals((await Deno.stat(path)).size, 16 + 4 * 30 + 9 * 30 * 128 + 4);
    await saveMasked(path, []);
    assertEquals(await loadMasked(path), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMasked: truncated, corrupt, foreign and missing files fail naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/eval.mask`;
    await saveMasked(path, maskOnce(syntheticChunks(4, 24), mlm(6)));
    const bytes = await Deno.readFile(path);
    const bad = `${dir}/bad.mask`;
    await Deno.writeFile(bad, bytes.subarray(0, bytes.length - 100));
    await assertRejects(() => loadMasked(bad), `${bad}: truncated masked eval set`);
    await Deno.writeFile(bad, bytes.subarray(0, 12));
    await assertRejects(() => loadMasked(bad), "truncated");
    const flipped = bytes.slice();
    flipped[200] ^= 1;
    await Deno.writeFile(bad, flipped);
    await assertRejects(() => loadMasked(bad), `${bad}: corrupt masked eval set (CRC-32 mismatch)`);
    await Deno.writeFile(bad, new Uint8Array([...bytes, 0]));
    await assertRejects(() => loadMasked(bad), "corrupt");
    await Deno.writeTextFile(bad, '{"input_ids": []}');
    await assertRejects(() => loadMasked(bad), "not a masked eval set");
    await assertRejects(() => loadMasked(`${dir}/absent.mask`), "absent.mask: cannot read");
    await assertRejects(
      () =>
        saveMasked(path, [{ input_ids: Int32Array.of(1), attention_mask: Int32Array.of(2), labels: Int32Array.of(1) }]),
      "attention_mask[0] = 2",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
