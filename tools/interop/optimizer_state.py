"""This project's optimizer state (`checkpoint-STEP/optimizer.safetensors`) into `torch.optim.AdamW` and back.

The file holds, for every trainable parameter by its Hugging Face name, AdamW's first moment `m.<name>` and second
moment `v.<name>` (float32, the parameter's shape), and `step` (int32 `[1]`: optimizer steps taken, the same for every
parameter). In `torch.optim.AdamW` these are `state[p]["exp_avg"]`, `state[p]["exp_avg_sq"]` and `state[p]["step"]`
(a float tensor); the bias corrections of the next update use `step + 1`, as in this project. The parameter groups
are Trainer's: weight decay on every parameter but biases and LayerNorm weights (`Trainer.get_decay_parameter_names`).

As functions:

    from optimizer_state import adamw_from_checkpoint, save_optimizer_state
    model = AutoModelForMaskedLM.from_pretrained("runs/imdb/checkpoint-500")
    optimizer = adamw_from_checkpoint(model, "runs/imdb/checkpoint-500", lr=2e-5)  # continues with our moments
    ...                                                    # train in PyTorch
    save_optimizer_state(model, optimizer, "runs/imdb-torch/optimizer.safetensors")  # back to this project's format

From the command line, one optimizer step from a checkpoint on a batch (`input_ids`, `attention_mask`, `labels` in
a safetensors file), writing the updated weights (`model.safetensors`) and optimizer state (`optimizer.safetensors`):

    python tools/interop/optimizer_state.py step --checkpoint runs/imdb/checkpoint-500 --batch batch.safetensors \
        --lr 1.9e-5 --out runs/imdb-torch-step

or the state read into torch and written back unchanged (`round-trip --checkpoint DIR --out FILE`). Prints one JSON
line on stdout.
"""

import argparse
import json
import os
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoModelForMaskedLM, Trainer

FORMAT_METADATA = {"format": "pt", "optimizer": "AdamW"}


def trainable_parameters(model):
    """(name, parameter) of every trainable parameter, tied ones once (torch's `named_parameters`)."""
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def param_groups(model, weight_decay):
    """Trainer's two groups: decay (weights) and no decay (biases, LayerNorm weights)."""
    decay = set(Trainer.get_decay_parameter_names(None, model))
    named = trainable_parameters(model)
    return [
        {"params": [p for n, p in named if n in decay], "weight_decay": weight_decay},
        {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0},
    ]


def load_optimizer_state(model, optimizer, path):
    """Fill `optimizer`'s state (an AdamW over `model`'s parameters) from our `optimizer.safetensors`."""
    names = {id(p): n for n, p in trainable_parameters(model)}
    with safe_open(path, "pt") as f:
        keys = set(f.keys())
        if "step" not in keys:
            raise ValueError(f'{path}: no "step" tensor')
        step = int(f.get_tensor("step").reshape(-1)[0])
        wanted = set()
        for group in optimizer.param_groups:
            for p in group["params"]:
                name = names[id(p)]
                state = {}
                for kind, key in (("m", "exp_avg"), ("v", "exp_avg_sq")):
                    tensor_name = f"{kind}.{name}"
                    wanted.add(tensor_name)
                    if tensor_name not in keys:
                        raise ValueError(f'{path}: no "{tensor_name}" for parameter {name}')
                    t = f.get_tensor(tensor_name)
                    if tuple(t.shape) != tuple(p.shape):
                        raise ValueError(f'{path}: "{tensor_name}" has shape {list(t.shape)}, expected {list(p.shape)}')
                    state[key] = t.to(dtype=p.dtype, device=p.device).clone()
                # torch keeps the step on the parameter's device for fused and capturable AdamW, else on the CPU.
                on_device = group.get("fused") or group.get("capturable")
                state["step"] = torch.tensor(float(step), dtype=torch.float32, device=p.device if on_device else "cpu")
                optimizer.state[p] = state
        extra = keys - wanted - {"step"}
        if extra:
            raise ValueError(f"{path}: tensors for no parameter of this model: {sorted(extra)[:5]}")
    return step


def adamw_from_checkpoint(model, checkpoint_dir, lr, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-8):
    """A `torch.optim.AdamW` over `model` with Trainer's groups, its state read from `checkpoint_dir`."""
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, betas=betas, eps=eps)
    load_optimizer_state(model, optimizer, os.path.join(checkpoint_dir, "optimizer.safetensors"))
    return optimizer


def optimizer_tensors(model, optimizer):
    """Our format's tensors from an AdamW's state: `m.<name>`, `v.<name>`, `step`."""
    out, steps = {}, set()
    for name, p in trainable_parameters(model):
        state = optimizer.state.get(p)
        if not state:
            raise ValueError(f"optimizer has no state for {name} (no step taken?)")
        out[f"m.{name}"] = state["exp_avg"].detach().to(torch.float32).contiguous().cpu()
        out[f"v.{name}"] = state["exp_avg_sq"].detach().to(torch.float32).contiguous().cpu()
        steps.add(int(state["step"]))
    if len(steps) != 1:
        raise ValueError(f"parameters are at different steps {sorted(steps)}; this format keeps one step")
    out["step"] = torch.tensor([steps.pop()], dtype=torch.int32)
    return out


def save_atomic(tensors, path, metadata):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".safetensors")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_optimizer_state(model, optimizer, path):
    """Write an AdamW's state over `model` as our `optimizer.safetensors` (atomically)."""
    save_atomic(optimizer_tensors(model, optimizer), path, FORMAT_METADATA)


def one_step(args):
    model = AutoModelForMaskedLM.from_pretrained(args.checkpoint)
    model.eval()  # dropout off, as the compared step of this project (training: false)
    optimizer = adamw_from_checkpoint(model, args.checkpoint, lr=args.lr, weight_decay=args.weight_decay)
    with safe_open(args.batch, "pt") as f:
        batch = {k: f.get_tensor(k).to(torch.long) for k in ("input_ids", "attention_mask", "labels")}
    loss = model(**batch).loss
    loss.backward()
    params = [p for _, p in trainable_parameters(model)]
    grad_norm = torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm) if args.max_grad_norm > 0 else None
    optimizer.step()
    os.makedirs(args.out, exist_ok=True)
    weights = {n: p.detach().contiguous() for n, p in trainable_parameters(model)}
    save_atomic(weights, os.path.join(args.out, "model.safetensors"), {"format": "pt"})
    save_optimizer_state(model, optimizer, os.path.join(args.out, "optimizer.safetensors"))
    return {"loss": loss.item(), "grad_norm": None if grad_norm is None else grad_norm.item(), "lr": args.lr}


def round_trip(args):
    model = AutoModelForMaskedLM.from_pretrained(args.checkpoint)
    optimizer = adamw_from_checkpoint(model, args.checkpoint, lr=0.0)
    save_optimizer_state(model, optimizer, args.out)
    return {"parameters": len(trainable_parameters(model)), "out": args.out}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("step", help="one AdamW step from a checkpoint on a batch")
    s.add_argument("--checkpoint", required=True, help="checkpoint-STEP folder (model + optimizer.safetensors)")
    s.add_argument("--batch", required=True, help="safetensors with input_ids, attention_mask, labels")
    s.add_argument("--lr", type=float, required=True, help="learning rate of this step")
    s.add_argument("--weight-decay", type=float, default=0.01)
    s.add_argument("--max-grad-norm", type=float, default=1.0, help="global-norm clip (0: none)")
    s.add_argument("--out", required=True, help="folder for model.safetensors and optimizer.safetensors")
    r = sub.add_parser("round-trip", help="read a checkpoint's optimizer state into torch and write it back")
    r.add_argument("--checkpoint", required=True)
    r.add_argument("--out", required=True, help="optimizer.safetensors to write")
    args = p.parse_args()
    torch.manual_seed(0)
    print(json.dumps(one_step(args) if args.command == "step" else round_trip(args)))


if __name__ == "__main__":
    main()
