import { batchInOrder, collateClassification, encodeExamples } from "../../lib/classify/batch.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";
import { writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";

Deno.test("batch: truncation keeps [CLS] … [SEP]; batches pad to their own longest row", async () => {
  const dir = await writeTinyTokenizer();
  try {
    const tok = await loadTokenizer(dir);
    const [long, short] = encodeExamples(
      [{ text: "hello a b a b a b world", label: 1 }, { text: "world", label: 0 }],
      tok,
      { maxLength: 5 },
    );
    assertEquals(long.input_ids, [tok.clsTokenId, 5, 9, 10, tok.sepTokenId]);
    assertEquals(short.input_ids, [tok.clsTokenId, 6, tok.sepTokenId]);
    const b = collateClassification([short, long], { padTokenId: tok.padTokenId });
    assertEquals(b.shape, [2, 5]);
    assertEquals([...b.attention_mask], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    assertEquals([...b.labels], [0, 1]);
    const alone = batchInOrder([long, short, short], { batchSize: 2, padTokenId: 0 });
    assertEquals(alone.map((x) => x.shape), [[2, 5], [1, 3]]);
    assertThrows(() => encodeExamples([{ text: "a", label: 0 }], tok, { maxLength: 1 }), "--max-length");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
