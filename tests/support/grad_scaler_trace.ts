/** PyTorch's loss-scaler trace (fixtures/reference/grad_scaler_trace.json), read by the scaler tests. */
import { ROOT } from "./shared.ts";

/** One step of the golden trace. */
export interface TraceStep {
  step: number;
  scale: number;
  found_inf: boolean;
  scale_after: number;
  growth_tracker_after: number;
  learning_rate: number;
  optimizer_steps: number;
  loss: number | null;
}

/** The golden trace and its settings. */
export async function readTrace(): Promise<{ settings: Record<string, number | number[]>; steps: TraceStep[] }> {
  return JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/grad_scaler_trace.json`));
}
