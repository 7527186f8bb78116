import { accuracy, f1Score } from "../../lib/classify/metrics.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../support/assert.ts";

// Reference values from sklearn.metrics (f1_score average="binary" / "macro", zero_division default 0).
Deno.test("metrics: accuracy, binary F1 of class 1, macro F1, zero division", () => {
  const refs = [0, 1, 1, 0, 1, 1, 0, 0, 1, 0];
  const preds = [0, 1, 0, 0, 1, 1, 1, 0, 0, 1];
  assertEquals(accuracy(preds, refs), 0.6);
  // tp 3, fp 2, fn 2 → 6 / 10
  assertAlmostEquals(f1Score(preds, refs, { numLabels: 2 }), 0.6, 1e-12);
  // never predicting the positive class: sklearn gives 0 (zero_division)
  assertEquals(f1Score([0, 0, 0], [0, 1, 1], { numLabels: 2 }), 0);
  // macro over 3 classes: f1 per class = [0.5, 0.4, 0] → 0.3 (sklearn: 0.3)
  assertAlmostEquals(f1Score([0, 1, 0, 2, 1], [0, 1, 1, 1, 0], { numLabels: 3 }), 0.3, 1e-12);
  assertThrows(() => accuracy([1], [1, 0]), "1 predictions for 2 references");
  assertThrows(() => accuracy([], []), "no examples");
});
