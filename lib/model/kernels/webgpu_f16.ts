/**
 * Half precision on tfjs-backend-webgpu: a device with WebGPU's `shader-f16` feature, which tfjs 4.22 does not ask
 * for, and the `enable f16;` directive its shader assembly cannot place.
 *
 * {@link useF16WebgpuDevice} registers tfjs's `webgpu` backend anew over a device created with `shader-f16` (and the
 * limits tfjs asks for), whose `createShaderModule` moves an `enable f16;` line from a program's body to the top of
 * the module ({@link hoistEnableF16}): WGSL wants directives before every declaration, and tfjs puts its own
 * declarations before the program's code. Programs that use `f16` (the half-precision tiled matmul) start their body
 * with {@link ENABLE_F16}.
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** The directive a program's body starts with when it uses `f16` (moved to the top by {@link hoistEnableF16}). */
export const ENABLE_F16 = "enable f16;";

/**
 * `code` with its `enable f16;` line (anywhere) moved to the first line; other code unchanged.
 *
 * @example
 * ```ts
 * import { hoistEnableF16 } from "./webgpu_f16.ts";
 * const code = hoistEnableF16("struct U { a : f32 };\nenable f16;\nfn main() {}");
 * if (!code.startsWith("enable f16;\nstruct U")) throw new Error(code);
 * if (hoistEnableF16("fn main() {}") !== "fn main() {}") throw new Error("untouched");
 * ```
 */
export function hoistEnableF16(code: string): string {
  const at = code.indexOf(ENABLE_F16);
  if (at < 0 || at === 0) return code;
  return `${ENABLE_F16}\n${code.slice(0, at)}${code.slice(at + ENABLE_F16.length)}`;
}

let f16Device: GPUDevice | undefined;

/**
 * Whether the active `webgpu` backend runs on a device with `shader-f16` ({@link useF16WebgpuDevice} ran).
 *
 * @example
 * ```ts
 * import { f16DeviceInUse } from "./webgpu_f16.ts";
 * console.log(f16DeviceInUse());
 * ```
 */
export function f16DeviceInUse(): boolean {
  return f16Device !== undefined;
}

/**
 * Register tfjs's `webgpu` backend over a new device of `adapter` with `shader-f16` (see the module doc); the
 * caller then activates `webgpu`. The backend in place is removed (its tensors with it). Throws when the adapter
 * lacks the feature. Idempotent.
 *
 * @example
 * ```ts ignore
 * const adapter = await navigator.gpu.requestAdapter();
 * if (adapter?.features.has("shader-f16")) await useF16WebgpuDevice(adapter, await importTfWebgpu());
 * ```
 */
export async function useF16WebgpuDevice(
  adapter: GPUAdapter,
  tfWebgpu: { WebGPUBackend: new (device: GPUDevice, info?: GPUAdapterInfo) => tf.KernelBackend },
): Promise<void> {
  if (f16Device) return;
  if (!adapter.features.has("shader-f16")) {
    throw new Error("useF16WebgpuDevice: the WebGPU adapter has no shader-f16 feature");
  }
  const features: GPUFeatureName[] = ["shader-f16"];
  if (adapter.features.has("timestamp-query")) features.push("timestamp-query");
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const create = device.createShaderModule.bind(device);
  device.createShaderModule = (descriptor) => create({ ...descriptor, code: hoistEnableF16(descriptor.code) });
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  const info = adapter.info;
  tf.registerBackend("webgpu", () => new tfWebgpu.WebGPUBackend(device, info), 3);
  f16Device = device;
}
