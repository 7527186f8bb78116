import { groupTexts, groupTextsStream } from "../../lib/data/group_texts.ts";
import type { Chunk, Encoding } from "../../lib/data/types.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

function enc(start: number, n: number): Encoding {
  const input_ids = Array.from({ length: n }, (_, i) => start + i);
  return { input_ids, attention_mask: input_ids.map(() => 1), word_ids: input_ids.map((_, i) => (i === 0 ? null : i)) };
}

async function collect(it: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

Deno.test("groupTexts: concatenates, cuts into chunkSize blocks, drops the remainder, labels copy ids", () => {
  const chunks = groupTexts([enc(100, 3), enc(200, 4), enc(300, 2)], { chunkSize: 4 });
  assertEquals(chunks.map((c) => c.input_ids), [[100, 101, 102, 200], [201, 202, 203, 300]]);
  assertEquals(chunks.map((c) => c.word_ids), [[null, 1, 2, null], [1, 2, 3, null]]);
  assertEquals(chunks.map((c) => c.attention_mask), [[1, 1, 1, 1], [1, 1, 1, 1]]);
  assertEquals(chunks.map((c) => c.labels), chunks.map((c) => c.input_ids));
  chunks[0].labels[0] = -100;
  assertEquals(chunks[0].input_ids[0], 100, "labels must be a copy, not the same array");
});

Deno.test("groupTexts: per group of N examples drops each group's remainder; global drops one", () => {
  // 5 examples of 5 tokens, chunk 4: groups of 2 → (10 → 2 chunks) ×2 + (5 → 1) = 5; global: 25 → 6.
  const encodings = [0, 1, 2, 3, 4].map((i) => enc(i * 10, 5));
  assertEquals(groupTexts(encodings, { chunkSize: 4, groupBatch: 2 }).length, 5);
  assertEquals(groupTexts(encodings, { chunkSize: 4, groupBatch: "global" }).length, 6);
  assertEquals(groupTexts(encodings, { chunkSize: 4, groupBatch: Infinity }).length, 6);
  assertEquals(groupTexts(encodings, { chunkSize: 4 }).length, 6); // default 1000 ≥ 5 examples
  // The second group starts afresh at example 2's first token.
  assertEquals(groupTexts(encodings, { chunkSize: 4, groupBatch: 2 })[2].input_ids, [20, 21, 22, 23]);
});

Deno.test("groupTextsStream: same chunks as groupTexts, from an async stream", async () => {
  const encodings = Array.from({ length: 37 }, (_, i) => enc(i * 100, 1 + (i * 7) % 11));
  async function* stream() {
    for (const e of encodings) yield e;
  }
  for (const groupBatch of [1, 3, 1000, "global"] as const) {
    assertEquals(
      await collect(groupTextsStream(stream(), { chunkSize: 8, groupBatch })),
      groupTexts(encodings, {
        chunkSize: 8,
        groupBatch,
      }),
    );
  }
});

Deno.test("groupTexts: too little text gives no chunk; bad options and ragged examples fail clearly", () => {
  assertEquals(groupTexts([enc(0, 3)], { chunkSize: 4 }), []);
  assertEquals(groupTexts([], { chunkSize: 4 }), []);
  assertThrows(() => groupTexts([enc(0, 3)], { chunkSize: 0 }), "chunkSize");
  assertThrows(() => groupTexts([enc(0, 3)], { chunkSize: 4, groupBatch: 0 }), "groupBatch");
  const ragged = { input_ids: [1, 2], attention_mask: [1], word_ids: [0, 1] };
  assertThrows(() => groupTexts([enc(0, 3), ragged], { chunkSize: 2 }), "example 1");
});
