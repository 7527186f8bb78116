/**
 * `scatter_rows` on tfjs-backend-webgpu: the gradient of gathering rows `rows[i]` of a `[numRows, cols]` matrix
 * (`tf.gather` on axis 0) when the row indices are known on the CPU, in one dispatch. The CPU sorts the picks by target
 * row into `order` with run starts `starts` (a CSR map); on the GPU a thread per output element adds its row's `dy`
 * rows in increasing pick order and writes 0 where no pick lands — deterministic, no atomics. tfjs's own gather
 * gradient (a segment sum) takes two transposes and the four programs of `webgpu_segment_sum.ts`.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of `scatter_rows`.
 *
 * @example
 * ```ts
 * import { SCATTER_ROWS_SOURCE } from "./webgpu_scatter_rows.ts";
 * if (!SCATTER_ROWS_SOURCE.includes("Order[p]")) throw new Error("picks in order");
 * ```
 */
export const SCATTER_ROWS_SOURCE = `
fn main(index : i32) {
  if (index < uniforms.n) {
    let r = index / uniforms.cols;
    let c = index % uniforms.cols;
    var acc = 0.0;
    for (var p = Starts[r]; p < Starts[r + 1]; p = p + 1) {
      acc = acc + DY[Order[p] * uniforms.cols + c];
    }
    result[index] = acc;
  }
}`;

/** The CSR map of {@link scatterRows}: picks sorted by target row (stable), and where each row's run starts. */
export interface RowMap {
  /** `numRows + 1` offsets into `order`. */
  starts: Int32Array;
  /** Pick indices `i`, grouped by `rows[i]`, increasing within a group. */
  order: Int32Array;
}

/**
 * The {@link RowMap} of `rows` into `numRows` rows; fails on an index outside `[0, numRows)`.
 *
 * @example
 * ```ts
 * import { rowMap } from "./webgpu_scatter_rows.ts";
 * const m = rowMap([2, 0, 2], 3);
 * if (m.starts.join() !== "0,1,1,3" || m.order.join() !== "1,0,2") throw new Error("csr");
 * ```
 */
export function rowMap(rows: ArrayLike<number>, numRows: number): RowMap {
  const starts = new Int32Array(numRows + 1);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r) || r < 0 || r >= numRows) {
      throw new Error(`rowMap: rows[${i}] = ${r}, expected an integer in [0, ${numRows})`);
    }
    starts[r + 1]++;
  }
  for (let r = 0; r < numRows; r++) starts[r + 1] += starts[r];
  const next = starts.slice(0, numRows);
  const order = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) order[next[rows[i]]++] = i;
  return { starts, order };
}

/**
 * `scatter_rows`: `out[r] = Σ_{i: rows[i] = r} dy[i]` for `dy [picks, cols]` → `[numRows, cols]`, with the map made by
 * {@link rowMap}; one dispatch (the map is uploaded).
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { rowMap, scatterRows } from "./webgpu_scatter_rows.ts";
 * if (tf.getBackend() === "webgpu") scatterRows(tf.ones([3, 2]), rowMap([2, 0, 2], 3)).dispose(); // [[1,1],[0,0],[2,2]]
 * ```
 */
export function scatterRows(dy: tf.Tensor, map: RowMap): tf.Tensor {
  const numRows = map.starts.length - 1;
  const cols = dy.shape[dy.shape.length - 1];
  if (dy.size / cols !== map.order.length) {
    throw new Error(`scatterRows: ${dy.size / cols} rows of gradient for ${map.order.length} picks`);
  }
  const n = numRows * cols;
  const spec = {
    name: "scatter_rows",
    inputs: ["DY", "Starts", "Order"],
    outputShape: [numRows, cols],
    workgroupSize: THREADS,
    dispatch: flatDispatch(n, THREADS),
    uniforms: "n : i32, cols : i32,",
    source: SCATTER_ROWS_SOURCE,
  };
  return tf.tidy(() =>
    runProgram(spec, [dy, tf.tensor1d(map.starts, "int32"), tf.tensor1d(map.order, "int32")], [
      { type: "int32", data: [n] },
      { type: "int32", data: [cols] },
    ])
  );
}
