import { declareLabels, labelKey, parseLabelList, sortLabels } from "../../lib/classify/labels.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

Deno.test("labels: values compare as text; the declared set is sorted (numerically for numbers)", () => {
  assertEquals(labelKey(1), "1");
  assertEquals(labelKey(1n), "1");
  assertEquals(labelKey(true), "true");
  assertEquals(labelKey(undefined), undefined);
  assertEquals(labelKey({}), undefined);
  assertEquals(sortLabels(["10", "9", "-1", "9"]), ["-1", "9", "10"]);
  assertEquals(sortLabels(["pos", "neg", "neutral"]), ["neg", "neutral", "pos"]);
  const cells = [0, 1, 1, 0, 2].map((value, i) => ({ value, where: `d.jsonl record ${i + 1}` }));
  assertEquals(declareLabels(cells), ["0", "1", "2"]);
  assertEquals(parseLabelList(" 0, 1 "), ["0", "1"]);
});

Deno.test("labels: a value outside the declared labels, a missing label and a single class fail clearly", () => {
  const cells = [0, 1, 2].map((value, i) => ({ value, where: `d.jsonl record ${i + 1}` }));
  const e = assertThrows(() => declareLabels(cells, { labels: ["0", "1"], column: "sentiment" }), "d.jsonl record 3");
  assertEquals(e.message.includes('label "2" in column "sentiment" is not one of the declared labels [0, 1]'), true);
  assertThrows(() => declareLabels([{ value: undefined, where: "x.csv record 4" }]), "x.csv record 4");
  assertThrows(() => declareLabels([{ value: null, where: "x.csv record 5" }]), "holds null");
  assertThrows(
    () => declareLabels([1, 1, 1].map((value, i) => ({ value, where: `r${i}` }))),
    'single class ("1")',
  );
  assertThrows(() => parseLabelList("1"), "at least two labels");
  assertThrows(() => parseLabelList("1,1"), "distinct");
  assertThrows(() => parseLabelList("1,,2"), "empty label");
});
