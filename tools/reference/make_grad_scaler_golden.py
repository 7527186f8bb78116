"""PyTorch's loss-scaler trace: a small float16 mixed-precision run on the CPU, with overflows, for the Deno tests.

    tools/reference/.venv/bin/python tools/reference/make_grad_scaler_golden.py   # writes the fixture below

A two-layer classifier (Linear 16→32, GELU, Linear 32→8, cross-entropy) trains 40 steps under
`torch.autocast("cpu", dtype=torch.float16)` with `torch.amp.GradScaler("cpu", growth_interval=3)` (the other
settings torch's defaults: init scale 2^16, growth ×2, backoff ×0.5), HF Trainer's order of a step: `scaler.scale(loss)
.backward()`, `scaler.unscale_`, `clip_grad_norm_(…, 1.0)`, `scaler.step(AdamW)`, `scaler.update()`, and the
linear schedule stepped only when the optimizer step was not skipped (`accelerator.optimizer_step_was_skipped`).
The gradients overflow in float16 on their own once the scale has grown far enough (the scale doubles every 3
finite steps), and the loss is multiplied by inf at steps 5, 6 and 21 (injected overflows).

Writes fixtures/reference/grad_scaler_trace.json: per step (1-based) the scale it ran with, whether an inf/NaN was
found (the step skipped), the scale and growth tracker after `update()`, the learning rate it ran with, the
optimizer's step count after it, and the unscaled loss; with the settings and the versions.
"""
import json, math, os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "grad_scaler_trace.json")
STEPS, GROWTH_INTERVAL, INJECT = 40, 3, [5, 6, 21]
LR, WARMUP = 1e-2, 4

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 8))
x = torch.randn(64, 16) * 4
y = torch.randint(0, 8, (64,))
optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)


def lr_lambda(step):  # transformers.get_linear_schedule_with_warmup
    if step < WARMUP:
        return step / max(1, WARMUP)
    return max(0.0, (STEPS - step) / max(1, STEPS - WARMUP))


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
scaler = torch.amp.GradScaler("cpu", growth_interval=GROWTH_INTERVAL)
rows = []
for step in range(1, STEPS + 1):
    rows_at = slice((step - 1) % 4 * 16, (step - 1) % 4 * 16 + 16)
    scale_before = scaler.get_scale()
    lr = scheduler.get_last_lr()[0]
    with torch.autocast("cpu", dtype=torch.float16):
        logits = model(x[rows_at])
    loss = torch.nn.functional.cross_entropy(logits.float(), y[rows_at])
    if step in INJECT:
        loss = loss * math.inf
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    skipped = scaler.get_scale() < scale_before
    if not skipped:
        scheduler.step()
    state = scaler.state_dict()
    opt_steps = int(next(iter(optimizer.state.values()))["step"]) if optimizer.state else 0
    rows.append({
        "step": step,
        "scale": scale_before,
        "found_inf": bool(skipped),
        "scale_after": state["scale"],
        "growth_tracker_after": state["_growth_tracker"],
        "learning_rate": lr,
        "optimizer_steps": opt_steps,
        "loss": float(loss.item()) if math.isfinite(loss.item()) else None,
    })

assert any(r["found_inf"] for r in rows if r["step"] not in INJECT), "no natural overflow: grow the run"
doc = {
    "settings": {"steps": STEPS, "growth_interval": GROWTH_INTERVAL, "init_scale": 2.0**16, "growth_factor": 2.0,
                 "backoff_factor": 0.5, "injected": INJECT, "lr": LR, "warmup_steps": WARMUP, "max_grad_norm": 1.0},
    "versions": {"torch": torch.__version__},
    "steps": rows,
}
with open(OUT + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(OUT + ".tmp", OUT)
print(f"wrote {os.path.relpath(OUT, ROOT)}: {sum(r['found_inf'] for r in rows)} skipped steps of {STEPS}, "
      f"final scale {rows[-1]['scale_after']}")
