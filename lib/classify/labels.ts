/**
 * The label set of a classification dataset: label values are compared as text (`0`, `1`, `"pos"`, `true` — a
 * parquet `int64` arrives as a bigint and reads as its digits), the declared set is either given (`--labels 0,1`) or
 * the sorted distinct values of the data (numerically when every value is a number), and class ids are positions in
 * that set, so integer labels `0..k-1` keep their values as ids (as `datasets`' `ClassLabel`).
 *
 * @module
 */

/**
 * A label value as text, or `undefined` when it cannot be a label (null, missing, an object).
 *
 * @example
 * ```ts
 * import { labelKey } from "./labels.ts";
 * if (labelKey(1) !== "1" || labelKey(1n) !== "1" || labelKey("pos") !== "pos" || labelKey(null) !== undefined) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function labelKey(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "bigint":
    case "boolean":
      return String(value);
    default:
      return undefined;
  }
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * Distinct label texts, sorted numerically when all are numbers, else by code point.
 *
 * @example
 * ```ts
 * import { sortLabels } from "./labels.ts";
 * if (sortLabels(["10", "2", "2", "1"]).join() !== "1,2,10") throw new Error("numeric");
 * if (sortLabels(["pos", "neg"]).join() !== "neg,pos") throw new Error("text");
 * ```
 */
export function sortLabels(keys: Iterable<string>): string[] {
  const distinct = [...new Set(keys)];
  if (distinct.every((k) => NUMERIC.test(k))) return distinct.sort((a, b) => Number(a) - Number(b));
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Options of {@link parseLabelList}. */
export interface ParseLabelListOptions {
  /** The flag or field the list came from, for errors (default `--labels`). */
  source?: string;
}

/**
 * A comma-separated label list (`0,1` or `neg,pos`), trimmed; at least two distinct labels.
 *
 * @example
 * ```ts
 * import { parseLabelList } from "./labels.ts";
 * if (parseLabelList("neg, pos").join() !== "neg,pos") throw new Error("unexpected");
 * ```
 */
export function parseLabelList(text: string, options: ParseLabelListOptions = {}): string[] {
  const source = options.source ?? "--labels";
  const labels = text.split(",").map((s) => s.trim());
  if (labels.some((l) => l === "")) throw new Error(`${source} ${JSON.stringify(text)}: empty label in the list`);
  if (new Set(labels).size !== labels.length) {
    throw new Error(`${source} ${JSON.stringify(text)}: labels must be distinct`);
  }
  if (labels.length < 2) {
    throw new Error(`${source} ${JSON.stringify(text)}: a classifier needs at least two labels`);
  }
  return labels;
}

/** One label value and where it came from (`file record N`). */
export interface LabelCell {
  /** The raw value of the label column. */
  value: unknown;
  /** Where the row is, for errors. */
  where: string;
}

/** Options of {@link declareLabels}. */
export interface DeclareLabelsOptions {
  /** The declared labels (e.g. from `--labels`); default: the sorted distinct values of `cells`. */
  labels?: readonly string[];
  /** Name of the label column, for errors. */
  column?: string;
}

/**
 * The declared label set, checking every cell: a missing or non-scalar value fails naming the row, a value outside
 * declared labels fails naming the row and the declared set, and a set of fewer than two labels fails (a
 * single-class dataset cannot train a classifier).
 *
 * @example
 * ```ts
 * import { declareLabels } from "./labels.ts";
 * const cells = [{ value: 1, where: "a.jsonl record 1" }, { value: 0, where: "a.jsonl record 2" }];
 * if (declareLabels(cells).join() !== "0,1") throw new Error("from the data");
 * let msg = "";
 * try { declareLabels(cells, { labels: ["1", "2"] }); } catch (e) { msg = (e as Error).message; }
 * if (!msg.includes("a.jsonl record 2")) throw new Error(msg);
 * ```
 */
export function declareLabels(cells: Iterable<LabelCell>, options: DeclareLabelsOptions = {}): string[] {
  const column = options.column ?? "label";
  const declared = options.labels ? new Set(options.labels) : undefined;
  const seen = new Set<string>();
  for (const { value, where } of cells) {
    const key = labelKey(value);
    if (key === undefined) {
      throw new Error(
        `${where}: label column ${JSON.stringify(column)} ` +
          (value === undefined
            ? "is missing (pass --label-column)"
            : `holds ${JSON.stringify(value)}; expected a string, number or boolean`),
      );
    }
    if (declared && !declared.has(key)) {
      throw new Error(
        `${where}: label ${JSON.stringify(key)} in column ${JSON.stringify(column)} is not one of the declared ` +
          `labels [${[...declared].join(", ")}] (--labels)`,
      );
    }
    seen.add(key);
  }
  const labels = options.labels ? [...options.labels] : sortLabels(seen);
  if (labels.length < 2) {
    throw new Error(
      `label column ${JSON.stringify(column)} has a single class (${labels.map((l) => JSON.stringify(l)).join("")}` +
        `${labels.length === 0 ? "no rows" : ""}); a classifier needs at least two classes in the data`,
    );
  }
  return labels;
}
