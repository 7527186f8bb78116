"""PyTorch's masked-LM logits of a model folder on a batch, for comparison with this project's `loadMaskedLM`.

    python tools/interop/torch_logits.py --model runs/imdb-torch --batch batch.safetensors --out logits.safetensors

The batch file holds `input_ids` and `attention_mask` (`[batch, seq]`, int32); the output holds `logits`
(`[batch, seq, vocab]`, float32), computed in eval mode. Prints one JSON line on stdout.
"""

import argparse
import json

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoModelForMaskedLM


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model folder (config.json, model.safetensors)")
    p.add_argument("--batch", required=True, help="safetensors with input_ids and attention_mask")
    p.add_argument("--out", required=True, help="safetensors file to write (logits)")
    args = p.parse_args()
    model = AutoModelForMaskedLM.from_pretrained(args.model)
    model.eval()
    with safe_open(args.batch, "pt") as f:
        batch = {k: f.get_tensor(k).to(torch.long) for k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        logits = model(**batch).logits.to(torch.float32).contiguous()
    save_file({"logits": logits}, args.out, metadata={"format": "pt"})
    print(json.dumps({"shape": list(logits.shape), "model_type": model.config.model_type}))


if __name__ == "__main__":
    main()
