/**
 * A deterministic `UnsortedSegmentSum` for tfjs-backend-webgpu 4.22 — the gradient of `gather`, so of the word- and
 * position-embedding lookups — that adds each segment's rows in increasing row order with no atomics.
 *
 * tfjs's own kernel adds every element into the output with a float compare-exchange loop, so the order of the
 * additions (and the last bits of the result) changes from run to run; it also wraps ids ≥ `numSegments` around
 * (`id % numSegments`) instead of dropping them as TensorFlow does, and transposes both its input and its output
 * (most of its time). This one sorts the rows by segment on the GPU, then sums each segment's rows in order: four
 * small programs, no read-back (the ids are not on the CPU when the gradient runs — the forward `gather` uploaded
 * them and tfjs dropped the CPU copy — and tfjs-webgpu's synchronous read does not work under Deno):
 *
 * 1. **tile sort** (a workgroup per tile of 256 rows, one thread per row): each row's rank within its tile under the
 *    key `(segment, row)`, by comparing against the tile staged in workgroup memory; writes the tile's segments
 *    sorted. Out-of-range ids count as segment `numSegments`, after every real one, and are never summed.
 * 2. **order** (same layout): a row's rank among all rows is its rank in its tile plus, for each other tile, a binary
 *    search in that tile's sorted segments. Writes `order[rank] = row` and `order[n + rank] = segment`: the rows
 *    stably sorted by segment, and the sorted segments. About n·(256 + 8·n/256) comparisons (4 M for 8192 ids).
 * 3. **starts** (a thread per segment): where each segment's run of sorted rows begins (binary search).
 * 4. **sum** (a workgroup per output segment, `vec4` loads when the row size allows): each thread owns columns and
 *    adds the segment's rows into a register from 0 in increasing row order, then writes the output row — zeros
 *    for a segment no row maps to, so the output needs no separate fill and every element is written once.
 *
 * The result equals the cpu/wasm kernel of `segment_sum.ts` (same order of additions) and is the same on every run.
 * int32 values work too (wrapping on overflow, as `Int32Array` does).
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { KernelOverride, type WebGPUBackendLike } from "./webgpu_kernel.ts";

/** Rows per tile of the two sorting programs (one thread each). */
const TILE = 256;
/** Threads per workgroup of the sum program (columns handled at once). */
const SUM_THREADS = 64;
/** Threads per workgroup of the starts program (one segment each). */
const STARTS_THREADS = 64;
/** Workgroups along x before a dispatch spills into y (WebGPU's default per-dimension limit is 65535). */
const MAX_DISPATCH_X = 32768;

/** WGSL shared by the two sorting programs: the segment of an id, and the rank of this thread's row in its tile. */
function tileRankSource(): string {
  return `
var<workgroup> tileSegments : array<i32, ${TILE}>;

// out-of-range ids sort after every real segment, as segment numSegments
fn segmentOf(id : i32) -> i32 {
  return select(uniforms.numSegments, id, id >= 0 && id < uniforms.numSegments);
}

// Stage this workgroup's tile of ids; return (tile start, tile length, this row's segment, its rank in the tile under
// the key (segment, row)). Every thread reaches the barrier (the tile length is the same for the whole workgroup).
fn rankInTile() -> vec4<i32> {
  let li = i32(localId.x);
  let tile0 = i32(workgroupId.y * numWorkgroups.x + workgroupId.x) * ${TILE};
  let m = min(${TILE}, uniforms.numRows - tile0);
  var mine = 0;
  if (li < m) { mine = segmentOf(segmentIds[tile0 + li]); }
  tileSegments[li] = mine;
  workgroupBarrier();
  var rank = 0;
  for (var k = 0; k < m; k = k + 1) {
    let other = tileSegments[k];
    rank = rank + i32(other < mine || (other == mine && k < li));
  }
  return vec4<i32>(tile0, m, mine, rank);
}
`;
}

/**
 * WGSL of the tile-sort program: each workgroup sorts the segments of its tile of 256 rows.
 * tfjs supplies the binding `segmentIds` (i32), `result` (i32, `n` long: the sorted segments, tile by tile), the
 * `uniforms` struct with `numRows` and `numSegments`, and the `_start` entry point that calls `main()`.
 *
 * @example
 * ```ts
 * import { segmentTileSortSource } from "./webgpu_segment_sum.ts";
 * const src = segmentTileSortSource();
 * if (!src.includes("workgroupBarrier") || src.includes("atomic")) throw new Error("tiled, no atomics");
 * ```
 */
export function segmentTileSortSource(): string {
  return `${tileRankSource()}
fn main() {
  let t = rankInTile();
  if (i32(localId.x) < t.y) { result[t.x + t.w] = t.z; }
}
`;
}

/**
 * WGSL of the order program: the rank of each row among all rows under the key `(segment, row)` — its rank in its own
 * tile plus, for every other tile, how many of that tile's sorted segments come before it (binary search; an equal
 * segment comes before when its tile holds earlier rows). Writes `result[rank] = row` and `result[n + rank] =
 * segment`. tfjs supplies the bindings `segmentIds` and `sorted` (the tile-sort output), `result` (i32, `2n` long),
 * the `uniforms` struct with `numRows` and `numSegments`, and the `_start` entry point.
 *
 * @example
 * ```ts
 * import { segmentOrderSource } from "./webgpu_segment_sum.ts";
 * const src = segmentOrderSource();
 * if (!src.includes("fn countBefore") || src.includes("atomic")) throw new Error("binary search, no atomics");
 * ```
 */
export function segmentOrderSource(): string {
  return `${tileRankSource()}
// entries of sorted[t0 .. t0 + len) below s (or, with orEqual, not above s)
fn countBefore(t0 : i32, len : i32, s : i32, orEqual : bool) -> i32 {
  var lo = 0;
  var hi = len;
  while (lo < hi) {
    let mid = (lo + hi) / 2;
    let v = sorted[t0 + mid];
    if (v < s || (orEqual && v == s)) { lo = mid + 1; } else { hi = mid; }
  }
  return lo;
}

fn main() {
  let t = rankInTile();
  if (i32(localId.x) >= t.y) { return; }
  var rank = t.w;
  for (var u0 = 0; u0 < uniforms.numRows; u0 = u0 + ${TILE}) {
    if (u0 != t.x) { rank = rank + countBefore(u0, min(${TILE}, uniforms.numRows - u0), t.z, u0 < t.x); }
  }
  result[rank] = t.x + i32(localId.x);
  result[uniforms.numRows + rank] = t.z;
}
`;
}

/**
 * WGSL of the starts program (one thread per segment `s` in `[0, numSegments]`): `result[s]` = the first sorted
 * position whose segment is at least `s`, by binary search in the order program's sorted segments; segment `s` owns
 * positions `[result[s], result[s + 1])`. tfjs supplies the bindings `order` and `result` (i32, `numSegments + 1`
 * long), the `uniforms` struct with `numRows` and `numSegments`, and the `_start` entry point.
 *
 * @example
 * ```ts
 * import { segmentStartsSource } from "./webgpu_segment_sum.ts";
 * if (!segmentStartsSource().includes("order[uniforms.numRows + mid]")) throw new Error("searches the sorted segments");
 * ```
 */
export function segmentStartsSource(): string {
  return `
fn main() {
  let s = i32(workgroupId.y * numWorkgroups.x + workgroupId.x) * ${STARTS_THREADS} + i32(localId.x);
  if (s > uniforms.numSegments) { return; }
  var lo = 0;
  var hi = uniforms.numRows;
  while (lo < hi) {
    let mid = (lo + hi) / 2;
    if (order[uniforms.numRows + mid] < s) { lo = mid + 1; } else { hi = mid; }
  }
  result[s] = lo;
}
`;
}

/** Options of {@link segmentSumSource}. */
export interface SegmentSumSourceOptions {
  /** Element type of `x` and of the output. */
  dtype: "float32" | "int32";
  /** Elements per load and store: 4 (`vec4`) when the row size is a multiple of 4, else 1. */
  width: 1 | 4;
}

/**
 * WGSL of the sum program (one workgroup per output segment; each thread owns every 64th column): adds the
 * segment's rows, in increasing row order, into a register starting from 0 and writes the output row (zeros when no
 * row maps there). tfjs supplies the bindings `x` (`[n · rowSize]`), `order`, `starts`, `result`
 * (`[numSegments · rowSize]`), the `uniforms` struct with `numRows`, `numSegments` and `rowSize`, and the `_start`
 * entry point.
 *
 * @example
 * ```ts
 * import { segmentSumSource } from "./webgpu_segment_sum.ts";
 * const src = segmentSumSource({ dtype: "int32", width: 4 });
 * if (!src.includes("var acc = vec4<i32>()") || src.includes("atomic")) throw new Error("int32 vec4 sums, no atomics");
 * ```
 */
export function segmentSumSource(options: SegmentSumSourceOptions): string {
  const scalar = options.dtype === "int32" ? "i32" : "f32";
  const type = options.width === 4 ? `vec4<${scalar}>` : scalar;
  return `
fn main() {
  let seg = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
  if (seg >= uniforms.numSegments) { return; }
  let start = starts[seg];
  let end = starts[seg + 1];
  for (var c = i32(localId.x); c < uniforms.rowSize; c = c + ${SUM_THREADS}) {
    var acc = ${type}();
    for (var p = start; p < end; p = p + 1) {
      acc = acc + x[order[p] * uniforms.rowSize + c];
    }
    result[seg * uniforms.rowSize + c] = acc;
  }
}
`;
}

/** `[x, y, 1]` workgroups covering `count`, read back in WGSL as `workgroupId.y * numWorkgroups.x + workgroupId.x`. */
function dispatch2d(count: number): [number, number, number] {
  const x = Math.min(count, MAX_DISPATCH_X);
  return [x, Math.ceil(count / x), 1];
}

/** A tfjs WebGPU program; `dispatchLayout` has a `y` so tfjs calls `main()` without a flat index. */
function program(name: string, outputShape: number[], variableNames: string[], extra: object): object {
  return {
    variableNames,
    outputShape,
    shaderKey: name,
    dispatchLayout: { x: [0], y: [1], z: [2] },
    ...extra,
  };
}

/** `info`'s buffer under another shape (what tfjs's `Reshape` returns, without its reference counting). */
function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

function unsortedSegmentSum(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as WebGPUBackendLike;
  const lead = x.shape.slice(0, segmentIds.shape.length);
  if (lead.join() !== segmentIds.shape.join()) {
    throw new Error(
      `UnsortedSegmentSum (webgpu): segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  if (segmentIds.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum (webgpu): segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum (webgpu): x must be float32 or int32, got ${x.dtype}`);
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum (webgpu): numSegments must be a non-negative integer, got ${numSegments}`);
  }
  const rest = x.shape.slice(segmentIds.shape.length);
  const outShape = [numSegments, ...rest];
  const n = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowSize = rest.reduce((a, b) => a * b, 1);
  if (n === 0 || numSegments * rowSize === 0) {
    const fill = tf.getKernel("Fill", "webgpu")!;
    return fill.kernelFunc({
      inputs: {},
      backend: args.backend as tf.KernelBackend,
      attrs: { shape: outShape, value: 0, dtype: x.dtype },
    }) as tf.TensorInfo;
  }
  const ids = view(segmentIds, [n]);
  const numTiles = Math.ceil(n / TILE);
  const sortUniforms = [{ type: "int32", data: [n] }, { type: "int32", data: [numSegments] }];
  const sorted = backend.runWebGPUProgram(
    program("mlmSegmentTileSort", [n], ["segmentIds"], {
      dispatch: dispatch2d(numTiles),
      workgroupSize: [TILE, 1, 1],
      uniforms: "numRows : i32, numSegments : i32,",
      getUserCode: segmentTileSortSource,
    }),
    [ids],
    "int32",
    sortUniforms,
  );
  const order = backend.runWebGPUProgram(
    program("mlmSegmentOrder", [2 * n], ["segmentIds", "sorted"], {
      dispatch: dispatch2d(numTiles),
      workgroupSize: [TILE, 1, 1],
      uniforms: "numRows : i32, numSegments : i32,",
      getUserCode: segmentOrderSource,
    }),
    [ids, sorted],
    "int32",
    sortUniforms,
  );
  const starts = backend.runWebGPUProgram(
    program("mlmSegmentStarts", [numSegments + 1], ["order"], {
      dispatch: dispatch2d(Math.ceil((numSegments + 1) / STARTS_THREADS)),
      workgroupSize: [STARTS_THREADS, 1, 1],
      uniforms: "numRows : i32, numSegments : i32,",
      getUserCode: segmentStartsSource,
    }),
    [order],
    "int32",
    sortUniforms,
  );
  const dtype = x.dtype as "float32" | "int32";
  const width = rowSize % 4 === 0 ? 4 : 1;
  const out = backend.runWebGPUProgram(
    program(`mlmSegmentSum_${dtype}_${width}`, [numSegments * rowSize], ["x", "order", "starts"], {
      dispatch: dispatch2d(numSegments),
      workgroupSize: [SUM_THREADS, 1, 1],
      uniforms: "numRows : i32, numSegments : i32, rowSize : i32,",
      outputComponent: width,
      variableComponents: [width, 1, 1],
      getUserCode: () => segmentSumSource({ dtype, width }),
    }),
    [view(x, [n * rowSize]), order, starts],
    dtype,
    [...sortUniforms, { type: "int32", data: [rowSize / width] }], // rowSize in loads of `width` elements
  );
  for (const t of [sorted, order, starts]) backend.disposeData(t.dataId);
  return view(out, outShape);
}

const override = new KernelOverride("UnsortedSegmentSum", unsortedSegmentSum);

/**
 * Route tfjs-backend-webgpu's `UnsortedSegmentSum` through the deterministic kernel. Call after the WebGPU backend
 * module is loaded (`selectBackend("webgpu")` does). Idempotent.
 *
 * @example
 * ```ts
 * import { registerWebgpuSegmentSum, unregisterWebgpuSegmentSum } from "./webgpu_segment_sum.ts";
 * import { tf } from "../../deps.ts";
 * if (tf.getKernel("UnsortedSegmentSum", "webgpu")) {
 *   registerWebgpuSegmentSum();
 *   unregisterWebgpuSegmentSum();
 * }
 * ```
 */
export function registerWebgpuSegmentSum(): void {
  override.register("registerWebgpuSegmentSum");
}

/**
 * Put tfjs's own (float-atomic) `UnsortedSegmentSum` back; a no-op when the deterministic kernel is not registered.
 *
 * @example
 * ```ts
 * import { unregisterWebgpuSegmentSum } from "./webgpu_segment_sum.ts";
 * unregisterWebgpuSegmentSum();
 * ```
 */
export function unregisterWebgpuSegmentSum(): void {
  override.unregister();
}

/**
 * Whether {@link registerWebgpuSegmentSum} is in effect.
 *
 * @example
 * ```ts
 * import { webgpuSegmentSumRegistered } from "./webgpu_segment_sum.ts";
 * console.log(webgpuSegmentSumRegistered());
 * ```
 */
export function webgpuSegmentSumRegistered(): boolean {
  return override.registered();
}
