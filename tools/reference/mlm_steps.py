"""HF Trainer's optimizer and steps in PyTorch for the reference scripts (train_reference.py,
train_roberta_reference.py, make_classifier_goldens.py): the batches as exported by the Deno side, torch.optim.AdamW
without decay for biases and LayerNorms, the linear schedule with warm-up, clip_grad_norm_."""
import torch

FIELDS = ("input_ids", "attention_mask", "labels")


def load_steps(batches, total_steps):
    """The per-step batches (`step.<s>.<field>` tensors of batches.safetensors) as int64 model inputs."""
    return [{f: batches[f"step.{s}.{f}"].long() for f in FIELDS} for s in range(total_steps)]


def no_decay(name):
    """HF Trainer's rule: no weight decay for biases and LayerNorm weights."""
    return "bias" in name or "LayerNorm" in name or "layer_norm" in name


def optimizer(model, args, get_linear_schedule_with_warmup):
    """HF Trainer's torch.optim.AdamW (weight decay `args["weight_decay"]` except `no_decay`) and linear schedule with
    warm-up, from the settings `lr`, `betas`, `eps`, `weight_decay`, `warmup_steps`, `total_steps`."""
    params = list(model.named_parameters())
    opt = torch.optim.AdamW(
        [{"params": [p for n, p in params if not no_decay(n)], "weight_decay": args["weight_decay"]},
         {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
        lr=args["lr"], betas=tuple(args["betas"]), eps=args["eps"])
    return opt, get_linear_schedule_with_warmup(opt, args["warmup_steps"], args["total_steps"])


def train(model, steps, args, get_linear_schedule_with_warmup, on_step=None):
    """Train `model` on `steps` with the settings of args.json; returns the per-step losses and learning rates.

    `on_step(step, loss)` is called after each step with the step's loss."""
    opt, sched = optimizer(model, args, get_linear_schedule_with_warmup)
    losses, lrs = [], []
    for step, b in enumerate(steps):
        lrs.append(opt.param_groups[0]["lr"])
        loss = model(**b).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args["max_grad_norm"])
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, loss.item())
    return losses, lrs
