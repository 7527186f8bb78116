import { assertEquals, assertThrows } from "../support/assert.ts";
import { checkExample, padBatch } from "../../lib/collate/pad.ts";

Deno.test("padBatch: right padding to the longest, rounded up to a multiple; masks kept", () => {
  const b = padBatch([{ input_ids: [5, 6, 7], attention_mask: [1, 1, 0] }, { input_ids: Int32Array.of(8) }], {
    padTokenId: 1,
  });
  assertEquals(b.shape, [2, 3]);
  assertEquals([...b.input_ids], [5, 6, 7, 8, 1, 1]);
  assertEquals([...b.attention_mask], [1, 1, 0, 1, 0, 0]);
  assertEquals(b.lengths, [3, 1]);
  assertEquals(padBatch([{ input_ids: [5, 6, 7] }], { padTokenId: 0, padToMultipleOf: 8 }).shape, [1, 8]);
  assertEquals(padBatch([{ input_ids: [5, 6, 7, 8] }], { padTokenId: 0, padToMultipleOf: 4 }).shape, [1, 4]);
});

Deno.test("padBatch/checkExample: bad input names the example, field and position", () => {
  assertThrows(() => padBatch([], { padTokenId: 0 }), "non-empty array");
  assertThrows(() => padBatch([{ input_ids: [1] }], { padTokenId: -1 }), "padTokenId");
  assertThrows(() => padBatch([{ input_ids: [1] }], { padTokenId: 0, padToMultipleOf: 0 }), "padToMultipleOf");
  assertThrows(
    () => padBatch([{ input_ids: [1] }, { input_ids: [2, 9] }], { padTokenId: 0, vocabSize: 5 }),
    "example 1: input_ids[1] = 9",
  );
  assertThrows(
    () => checkExample({ input_ids: [1, 2], attention_mask: [1, 3] }, 2),
    "example 2: attention_mask[1] = 3",
  );
  assertThrows(() => checkExample(null as never, 0), "expected an object");
});
