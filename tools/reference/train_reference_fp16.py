"""The 50-step reference run in PyTorch's mixed precision: `torch.autocast("cpu", dtype=torch.float16)` and
`torch.amp.GradScaler("cpu")` with its defaults, as HF's Trainer with `fp16=True` steps.

    deno run --allow-read --allow-write --allow-env --allow-sys tools/reference/export_train_reference.ts OUT_DIR
    tools/reference/.venv/bin/python tools/reference/train_reference_fp16.py OUT_DIR   # writes the fixture below

The inputs are `train_reference.py`'s (the starting weights, the 50 batches and the settings in OUT_DIR). A step:
forward under autocast (the linear layers and matmuls in float16, LayerNorm, softmax and the loss in float32, as
autocast's CPU op lists put them), `scaler.scale(loss).backward()`, `scaler.unscale_`, `clip_grad_norm_`,
`scaler.step(AdamW)`, `scaler.update()`, and the linear schedule stepped only when the step was not skipped
(`accelerator.optimizer_step_was_skipped`). Eval mode (no dropout), as the float32 reference.

Writes fixtures/reference/train_50_steps_fp16.json: per step the loss (float32 of the unscaled loss), the learning
rate it ran with, the scale it ran with and whether it was skipped; the same run in float32 (the float16 run's
distance from it is what `tests/train/reference_steps_fp16_test.ts` bounds ours by); the settings, digest and
versions.
"""
import json, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_port  # noqa: E402
from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup  # noqa: E402
import transformers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "train_50_steps_fp16.json")
out = sys.argv[1] if len(sys.argv) > 1 else sys.exit("usage: train_reference_fp16.py OUT_DIR")
args = json.load(open(f"{out}/args.json"))
batches = hf_port.load_file(f"{out}/batches.safetensors")
steps = [{f: batches[f"step.{s}.{f}"].long() for f in ("input_ids", "attention_mask", "labels")}
         for s in range(args["total_steps"])]
digest = hf_port.int_digest([b[f] for b in steps for f in ("input_ids", "attention_mask", "labels")])
if digest != args["digest"]:
    sys.exit(f"batches.safetensors digest {digest} != args.json {args['digest']}")


def run(fp16):
    torch.manual_seed(0)
    model = AutoModelForMaskedLM.from_pretrained(f"{out}/initial", attn_implementation="eager").float().eval()
    no_decay = lambda n: "bias" in n or "LayerNorm" in n or "layer_norm" in n
    params = list(model.named_parameters())
    opt = torch.optim.AdamW(
        [{"params": [p for n, p in params if not no_decay(n)], "weight_decay": args["weight_decay"]},
         {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
        lr=args["lr"], betas=tuple(args["betas"]), eps=args["eps"])
    sched = get_linear_schedule_with_warmup(opt, args["warmup_steps"], args["total_steps"])
    scaler = torch.amp.GradScaler("cpu", enabled=fp16)
    rows = []
    for b in steps:
        lr, scale = opt.param_groups[0]["lr"], scaler.get_scale() if fp16 else 1.0
        with torch.autocast("cpu", dtype=torch.float16, enabled=fp16):
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
        loss = torch.nn.functional.cross_entropy(logits.float().view(-1, logits.shape[-1]), b["labels"].view(-1))
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), args["max_grad_norm"])
        scaler.step(opt)
        scaler.update()
        skipped = fp16 and scaler.get_scale() < scale
        if not skipped:
            sched.step()
        opt.zero_grad(set_to_none=True)
        rows.append({"loss": loss.item(), "learning_rate": lr, "scale": scale, "skipped": bool(skipped)})
    return rows


fp16, fp32 = run(True), run(False)
doc = {
    "made_by": "tools/reference/train_reference_fp16.py",
    "digest": digest,
    "args": args,
    "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    "fp16": fp16,
    "fp32": [{"loss": r["loss"]} for r in fp32],
}
with open(OUT + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(OUT + ".tmp", OUT)
worst = max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(fp16, fp32))
print(f"wrote {os.path.relpath(OUT, ROOT)}: {sum(r['skipped'] for r in fp16)} skipped steps, "
      f"loss {fp16[0]['loss']:.4f} → {fp16[-1]['loss']:.4f}; fp16 vs fp32 worst per-step loss {worst:.2e} relative")
