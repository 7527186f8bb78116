"""Train the same tiny model in PyTorch with the same initial weights, batches and masks, and compare with ours.

Inputs come from `deno run ... tools/reference/export_train_reference.ts OUT_DIR` (see its docstring for the files).

    python3 tools/reference/train_reference.py OUT_DIR                 # check: writes OUT_DIR/torch.safetensors
    python3 tools/reference/train_reference.py OUT_DIR --output PATH   # check, PyTorch's side written to PATH
    python3 tools/reference/train_reference.py OUT_DIR --regenerate    # overwrite the committed fixture

Eval mode (no dropout), torch.optim.AdamW (no decay for bias/LayerNorm, as HF Trainer), HF's linear schedule with
warm-up, clip_grad_norm_. Uses `transformers`' model classes when installed, else `hf_port.py` (the same modules in
plain PyTorch, held to transformers' goldens by `check_port.py`). Prints per-step losses and the worst relative
loss / absolute weight difference against OUT_DIR/ours.safetensors; exits 1 when the losses differ by more than 1e-3
relative, a weight by more than 1e-3 (the attention key biases aside: their exact gradient is zero, so
the logits are compared with either side's instead, <= 1e-5 relative).

PyTorch's side (`loss`, `lr`, `param.<name>`, and metadata: batch digest, settings, torch/transformers versions) is
what `tests/train/reference_steps_test.ts` reads from the committed `fixtures/reference/train_50_steps.safetensors`.
By default it is written to OUT_DIR/torch.safetensors (or `--output PATH`) and compared with the committed fixture:
same batches and settings, and how far this PyTorch's losses and weights are from the committed ones. The committed
fixture is only written with `--regenerate` (or `--output` naming it together with `--regenerate`).
"""
import argparse, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(ROOT, "fixtures", "reference", "train_50_steps.safetensors")
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("out", metavar="OUT_DIR", help="folder written by export_train_reference.ts")
parser.add_argument("fixture", metavar="FIXTURE", nargs="?", help="(old form of --output)")
parser.add_argument("--output", help="where to write PyTorch's side (default OUT_DIR/torch.safetensors)")
parser.add_argument("--regenerate", action="store_true",
                    help=f"write PyTorch's side over the committed fixture ({os.path.relpath(COMMITTED, ROOT)})")
cli = parser.parse_args()
if cli.fixture and cli.output and cli.fixture != cli.output:
    parser.error("give FIXTURE or --output, not both")
out = cli.out
fixture = cli.output or cli.fixture or (COMMITTED if cli.regenerate else os.path.join(out, "torch.safetensors"))
overwrites_committed = os.path.abspath(fixture) == COMMITTED or (
    os.path.exists(fixture) and os.path.exists(COMMITTED) and os.path.samefile(fixture, COMMITTED))
if overwrites_committed and not cli.regenerate:
    parser.error(f"{fixture} is the committed fixture; pass --regenerate to overwrite it (or --output elsewhere)")

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_port  # noqa: E402
import mlm_steps  # noqa: E402

try:
    import transformers
    from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup
    load = lambda d: AutoModelForMaskedLM.from_pretrained(d, attn_implementation="eager")
    implementation = f"transformers {transformers.__version__}"
except ImportError:
    get_linear_schedule_with_warmup = hf_port.get_linear_schedule_with_warmup
    load = hf_port.load_model
    implementation = "tools/reference/hf_port.py (transformers not installed)"

args = json.load(open(f"{out}/args.json"))
batches = hf_port.load_file(f"{out}/batches.safetensors")
ours = hf_port.load_file(f"{out}/ours.safetensors")
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
model = load(f"{out}/initial").float().eval()
steps = mlm_steps.load_steps(batches, args["total_steps"])
digest = hf_port.int_digest([b[f] for b in steps for f in mlm_steps.FIELDS])
if digest != args["digest"]:
    sys.exit(f"batches.safetensors digest {digest} != args.json {args['digest']}")
rel_to_ours = lambda step, loss: abs(loss - ours["loss"][step].item()) / abs(loss)
print_step = lambda step, loss: print(
    f"step {step + 1:2d}: torch {loss:.6f}  ours {ours['loss'][step].item():.6f}  rel {rel_to_ours(step, loss):.2e}")
losses, lrs = mlm_steps.train(model, steps, args, get_linear_schedule_with_warmup, on_step=print_step)
worst_loss = max(rel_to_ours(step, loss) for step, loss in enumerate(losses))
# The attention key's bias has a zero gradient in exact arithmetic (softmax over keys ignores a per-query constant),
# so Adam walks it by each side's rounding noise: compare the logits with either side's key biases instead.
key_bias = lambda n: n.endswith("attention.k_lin.bias") or n.endswith("attention.self.key.bias")
trained = {n: p.detach().clone() for n, p in model.named_parameters()}
worst_w, worst_name = 0.0, ""
for n, p in model.named_parameters():
    d = (p.detach() - ours[f"param.{n}"]).abs().max().item()
    if d > worst_w and not key_bias(n):
        worst_w, worst_name = d, n
with torch.no_grad():
    before = model(**steps[0]).logits
    for n, p in model.named_parameters():
        if key_bias(n):
            p.copy_(ours[f"param.{n}"])
    key_bias_effect = ((model(**steps[0]).logits - before).abs().max() / before.abs().max()).item()
print(f"{implementation}, torch {torch.__version__}")
print(f"worst loss rel diff {worst_loss:.2e}; worst weight abs diff {worst_w:.2e} ({worst_name}; key biases aside)")
print(f"logits with our key biases instead of torch's: {key_bias_effect:.2e} relative")
tensors = {"loss": torch.tensor(losses, dtype=torch.float32), "lr": torch.tensor(lrs, dtype=torch.float32)}
for n, p in trained.items():
    tensors[f"param.{n}"] = p
os.makedirs(os.path.dirname(os.path.abspath(fixture)), exist_ok=True)
committed = hf_port.load_file(COMMITTED) if os.path.exists(COMMITTED) and not overwrites_committed else None
committed_meta = hf_port.load_metadata(COMMITTED) if committed is not None else None
hf_port.save_file(tensors, fixture, metadata={
    "digest": digest, "args": json.dumps(args, sort_keys=True), "implementation": implementation,
    "torch": torch.__version__, "made_by": "tools/reference/train_reference.py"})
if overwrites_committed:
    print(f"overwrote the committed fixture {os.path.relpath(COMMITTED, ROOT)} (--regenerate): review and commit it")
else:
    print(f"wrote {fixture}")
if committed is not None:
    # This PyTorch run against the committed one: same inputs, and how far another torch build lands.
    rel = os.path.relpath(COMMITTED, ROOT)
    if committed_meta.get("digest") != digest or json.loads(committed_meta.get("args", "{}")) != args:
        print(f"the committed {rel} was made from other batches or settings "
              f"(digest {committed_meta.get('digest')}): regenerate it with --regenerate")
    else:
        loss_diff = max(abs(a - b) / abs(b) for a, b in zip(losses, committed["loss"].tolist()))
        weight_diff = max((trained[n] - committed[f"param.{n}"]).abs().max().item()
                          for n in trained if not key_bias(n) and f"param.{n}" in committed)
        print(f"vs the committed {rel} ({committed_meta.get('implementation')}, torch {committed_meta.get('torch')}): "
              f"losses {loss_diff:.2e} relative, weights {weight_diff:.2e} absolute (key biases aside)")
sys.exit(0 if worst_loss <= 1e-3 and worst_w <= 1e-3 and key_bias_effect <= 1e-5 else 1)
