// The WebGPU dispatch counter: one per program run, nested counters, the backend's method restored afterwards.
// Skipped, saying why, where there is no WebGPU adapter.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { countWebgpuDispatches } from "../../lib/bench/dispatch_counter.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("webgpu dispatch counter test");

Deno.test("countWebgpuDispatches: refuses other backends", async () => {
  await selectBackend("cpu", { log: () => {} });
  assertThrows(() => countWebgpuDispatches(), "the active backend is cpu, not webgpu");
});

Deno.test({
  name: "countWebgpuDispatches: one per program, nested, restored on stop",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      const backend = tf.backend() as unknown as Record<string, unknown>;
      // 4096 elements: tfjs-webgpu runs ops on small CPU-held tensors on the CPU, without a dispatch
      const x = tf.randomUniform([4096]), y = tf.randomUniform([4096]);
      const outer = countWebgpuDispatches();
      tf.dispose(tf.add(x, y));
      const inner = countWebgpuDispatches();
      tf.dispose(tf.mul(tf.sqrt(x), y)); // two ops
      assertThrows(() => outer.stop(), "a counter started later is still running");
      inner.stop();
      tf.dispose(tf.neg(x));
      outer.stop();
      tf.dispose(tf.neg(x));
      assertEquals([outer.count, inner.count], [4, 2]);
      assert(!Object.hasOwn(backend, "runWebGPUProgram"), "the prototype's method is back");
      tf.dispose([x, y]);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
