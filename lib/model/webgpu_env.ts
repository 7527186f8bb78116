/**
 * Keep Mesa's Vulkan device-selection layer from printing `error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment.` when a WebGPU adapter is requested on a headless Linux machine.
 *
 * Where it comes from: Mesa ships an implicit Vulkan layer, `VK_LAYER_MESA_device_select`
 * (`/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json`, `libVkLayer_MESA_device_select.so`), that
 * the Vulkan loader puts in front of every driver (lavapipe and real GPUs alike). When the application enables the
 * `VK_KHR_wayland_surface` instance extension — wgpu, under Deno's WebGPU, enables every surface extension there is —
 * the layer asks the Wayland compositor which GPU is the default: it calls libwayland-client's
 * `wl_display_connect(NULL)`, and libwayland, finding no usable `XDG_RUNTIME_DIR`, writes that line to stderr (once
 * per device enumeration: twice for one adapter request here). Nothing fails: with no compositor there is nothing to
 * ask, and the layer falls back to its usual order (real GPUs before CPU ones).
 *
 * The fix: when no Wayland session can exist (`XDG_RUNTIME_DIR` unset or not absolute, and `WAYLAND_DISPLAY` not an
 * absolute socket path), set the layer's documented off switch, `NODEVICE_SELECT=1`, before the first adapter request,
 * unless the user configured the layer (`MESA_VK_DEVICE_SELECT`, `NODEVICE_SELECT`). The Vulkan loader reads it when
 * the instance is created, which Deno does on the first `navigator.gpu.requestAdapter()`. wgpu ranks adapters itself
 * (discrete, integrated, then CPU), so the layer's reordering is not needed to pick the device.
 *
 * Permissions: reading `XDG_RUNTIME_DIR`, `WAYLAND_DISPLAY`, `MESA_VK_DEVICE_SELECT`, `NODEVICE_SELECT` and setting
 * `NODEVICE_SELECT` need `--allow-env` for those names; without it nothing is changed (and the line may show).
 *
 * @module
 */

/**
 * The variables read (and `NODEVICE_SELECT` written): what `--allow-env=…` must list for the fix to apply.
 *
 * @example
 * ```ts
 * import { WEBGPU_ENV_VARIABLES } from "./webgpu_env.ts";
 * console.log(`--allow-env=${WEBGPU_ENV_VARIABLES.join(",")}`);
 * ```
 */
export const WEBGPU_ENV_VARIABLES: readonly string[] = [
  "XDG_RUNTIME_DIR",
  "WAYLAND_DISPLAY",
  "MESA_VK_DEVICE_SELECT",
  "NODEVICE_SELECT",
];

/** What {@link quietVulkanDeviceSelect} did. */
export type VulkanEnvAction =
  | "disabled-device-select" // NODEVICE_SELECT=1 was set
  | "not-deno" // a browser: the browser owns its GPU setup
  | "not-linux"
  | "wayland-possible" // XDG_RUNTIME_DIR is usable or WAYLAND_DISPLAY is an absolute path: the layer is quiet
  | "user-configured" // MESA_VK_DEVICE_SELECT or NODEVICE_SELECT set by the user: left alone
  | "no-permission"; // --allow-env does not cover the variables: nothing changed

/** Options of {@link quietVulkanDeviceSelect} (for tests: another OS or environment). */
export interface VulkanEnvOptions {
  /** Operating system (default `Deno.build.os`). */
  os?: string;
  /** Read a variable (default `Deno.env.get`). */
  get?: (name: string) => string | undefined;
  /** Set a variable (default `Deno.env.set`). */
  set?: (name: string, value: string) => void;
}

/** True when every variable may be read and `NODEVICE_SELECT` written, asked without prompting. */
function envGranted(): boolean {
  try {
    return WEBGPU_ENV_VARIABLES.every((variable) =>
      Deno.permissions.querySync({ name: "env", variable }).state === "granted"
    );
  } catch {
    return false;
  }
}

/**
 * Call before the first `navigator.gpu.requestAdapter()`: on Linux without a Wayland session, set
 * `NODEVICE_SELECT=1` so Mesa's device-select layer does not print `XDG_RUNTIME_DIR is invalid or not set` (see the
 * module docs). Idempotent; never prompts; returns what it did.
 *
 * @example
 * ```ts
 * import { quietVulkanDeviceSelect } from "./webgpu_env.ts";
 * const env = new Map<string, string>();
 * const action = quietVulkanDeviceSelect({
 *   os: "linux",
 *   get: (name) => env.get(name),
 *   set: (name, value) => env.set(name, value),
 * });
 * if (action !== "disabled-device-select" || env.get("NODEVICE_SELECT") !== "1") throw new Error(action);
 * ```
 */
export function quietVulkanDeviceSelect(options: VulkanEnvOptions = {}): VulkanEnvAction {
  if (options.os === undefined && typeof Deno === "undefined") return "not-deno";
  if ((options.os ?? Deno.build.os) !== "linux") return "not-linux";
  if (options.get === undefined && !envGranted()) return "no-permission";
  const get = options.get ?? ((name: string) => Deno.env.get(name));
  const set = options.set ?? ((name: string, value: string) => Deno.env.set(name, value));
  if (get("MESA_VK_DEVICE_SELECT") !== undefined || get("NODEVICE_SELECT") !== undefined) return "user-configured";
  const runtimeDir = get("XDG_RUNTIME_DIR");
  if (runtimeDir?.startsWith("/") || get("WAYLAND_DISPLAY")?.startsWith("/")) return "wayland-possible";
  set("NODEVICE_SELECT", "1");
  return "disabled-device-select";
}
