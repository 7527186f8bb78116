"""Goldens for RoBERTa and XLM-RoBERTa: a random RobertaForMaskedLM / XLMRobertaForMaskedLM with the real roberta-base
/ xlm-roberta-base tokenizers, saved by transformers, with logits, loss and every gradient on a padded batch.

From the project root:
  tools/reference/.venv/bin/python tools/reference/make_roberta_goldens.py ../shared fixtures/reference [SAVED_DIR] \
      [--base]   (also base1-roberta: roberta-base's shapes with one layer, 46 M parameters)

A model with a 50,265 or 250,002-row embedding is megabytes even when tiny, so the weights are not committed: every
parameter is a function of its index in `named_parameters()` order and of the element's position (HASHED_WEIGHTS
below; tests/model/roberta_fixture.ts computes the same float32 values). transformers builds the model, loads those
weights, saves it with the tokenizer (SAVED_DIR, default /tmp/roberta-goldens), reloads the saved folder with
AutoModelForMaskedLM / AutoTokenizer, and the goldens come from the reloaded model. Committed per model, in
OUT/<name>/: config.json and tokenizer_config.json as transformers saved them, and goldens.safetensors:
  input_ids, attention_mask, labels   the padded batch (the texts of TEXTS, tokenized by the saved tokenizer)
  cols                                 sorted vocabulary ids: every id of the batch and labels, plus 192 seeded ones
  logits_cols                          logits[..., cols]                         (eval mode, float32, CPU)
  logsumexp                            logsumexp of the logits over the whole vocabulary, per position
  loss                                 masked-LM loss
  (metadata "parameters": [name, shape] in named_parameters() order: what the hashed weights are numbered by)
  grad.<param>                         the gradient of every parameter with fewer than 200,000 elements
  grad_rows.<param>, grad_sum.<param>, grad_sq.<param>
                                       for the larger ones: the rows at `cols` (vocabulary-sized: word embeddings,
                                       lm_head.bias; every 4th of them for base1-roberta) or every 64th row (the
                                       others), the sum over all rows, and the sum of squares of every element;
                                       grad_rows_idx.<param> names the rows where they are not `cols`
and fill_mask.json: transformers' pipeline("fill-mask") top 5 on FILL_TEXTS; classifier.safetensors: the same for a
random …ForSequenceClassification (2 labels, hashed weights in its own named_parameters() order, metadata
"parameters"), eval mode: input_ids, attention_mask, labels (one per row), logits, loss, grad.<param> (small ones) and
grad_rows/grad_sum/grad_sq for the word embeddings.
"""
import json, os, shutil, sys

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import (AutoModelForMaskedLM, AutoTokenizer, RobertaConfig, RobertaForMaskedLM,
                          RobertaForSequenceClassification, RobertaTokenizer, XLMRobertaConfig, XLMRobertaForMaskedLM,
                          XLMRobertaForSequenceClassification, XLMRobertaTokenizer, pipeline)

args = [a for a in sys.argv[1:] if not a.startswith("--")]
shared, out = args[0], args[1]
saved_root = args[2] if len(args) > 2 else "/tmp/roberta-goldens"
TEXTS = ["This movie was a <mask> film with a wonderful cast.", "Terrible.",
         "東京で映画を見た。 Café <mask>  déjà vu 🎬"]
FILL_TEXTS = ["The movie was <mask>.", "Paris is the <mask> of France."]
SMALL = 200_000


def hashed(index, n):
    """HASHED_WEIGHTS: uniform in [-1, 1) from a 32-bit hash (lowbias32) of the element position and the index."""
    x = (np.arange(n, dtype=np.uint64) + np.uint64(((index + 1) * 0x9E3779B9) & 0xFFFFFFFF)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 2.0 ** 31 - 1.0


def hashed_weights(model):
    """LayerNorm weights 1 ± 0.2, everything else ± 0.05, in named_parameters() order."""
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            u = hashed(k, p.numel())
            v = 1.0 + 0.2 * u if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight") else 0.05 * u
            p.copy_(torch.from_numpy(v.astype(np.float32)).reshape(p.shape))


def make(name, model_cls, config, tokenizer, extras=True, vocab_stride=1):
    saved = os.path.join(saved_root, name)
    shutil.rmtree(saved, ignore_errors=True)
    torch.manual_seed(0)
    model = model_cls(config).eval()
    hashed_weights(model)
    order = [[n, list(p.shape)] for n, p in model.named_parameters()]
    model.save_pretrained(saved)
    tokenizer.save_pretrained(saved)
    model = AutoModelForMaskedLM.from_pretrained(saved, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(saved)
    assert type(model) is model_cls, type(model)
    vocab = config.vocab_size
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    gen = torch.Generator().manual_seed(1)
    labels = torch.full(ids.shape, -100)
    pick = (torch.rand(labels.shape, generator=gen) < 0.4) & (mask == 1)
    labels[pick] = torch.randint(5, vocab, (int(pick.sum()),), generator=gen)
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    extra = torch.randint(0, vocab, (192,), generator=torch.Generator().manual_seed(3))
    cols = torch.unique(torch.cat([ids.flatten(), labels[labels >= 0], extra, torch.tensor([0, vocab - 1])]))
    logits = res.logits.detach()
    g = {"input_ids": ids.int(), "attention_mask": mask.int(), "labels": labels.int(), "cols": cols.int(),
         "logits_cols": logits[..., cols].contiguous(), "logsumexp": torch.logsumexp(logits.double(), -1).float(),
         "loss": res.loss.detach().reshape(1)}
    for n, p in model.named_parameters():
        grad = p.grad.detach()
        if grad.numel() < SMALL:
            g["grad." + n] = grad.clone().contiguous()
        else:
            rows = cols[::vocab_stride] if grad.shape[0] == vocab else torch.arange(0, grad.shape[0], 64)
            if vocab_stride != 1 or grad.shape[0] != vocab:
                g["grad_rows_idx." + n] = rows.int()
            g["grad_rows." + n] = grad[rows].contiguous()
            g["grad_sum." + n] = grad.double().sum(0).float().reshape(-1)
            g["grad_sq." + n] = (grad.double() ** 2).sum().float().reshape(1)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    save_file(g, os.path.join(d, "goldens.safetensors"),
              metadata={"note": "eval mode, float32, CPU", "transformers_class": type(model).__name__,
                        "parameters": json.dumps(order)})
    for f in ("config.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(saved, f), os.path.join(d, f))
    print(name, "params", model.num_parameters(), "loss", res.loss.item(), "batch", list(ids.shape),
          "saved in", saved, file=sys.stderr)
    if not extras:
        return
    fm = pipeline("fill-mask", model=model, tokenizer=tok, device=-1)
    with open(os.path.join(d, "fill_mask.json"), "w") as f:
        json.dump({"texts": FILL_TEXTS, "top_k": 5, "outputs": [fm(t, top_k=5) for t in FILL_TEXTS]}, f, indent=1,
                  ensure_ascii=False)
    torch.manual_seed(0)
    cls_model = CLASSIFIERS[model_cls](config).eval()
    hashed_weights(cls_model)
    order = [[n, list(p.shape)] for n, p in cls_model.named_parameters()]
    cls_labels = torch.tensor([1, 0, 1])
    res = cls_model(input_ids=ids, attention_mask=mask, labels=cls_labels)
    res.loss.backward()
    g = {"input_ids": ids.int(), "attention_mask": mask.int(), "labels": cls_labels.int(), "cols": cols.int(),
         "logits": res.logits.detach().contiguous(), "loss": res.loss.detach().reshape(1)}
    for n, p in cls_model.named_parameters():
        grad = p.grad.detach()
        if grad.numel() < SMALL:
            g["grad." + n] = grad.clone().contiguous()
        else:
            g["grad_rows." + n] = grad[cols].contiguous()
            g["grad_sum." + n] = grad.double().sum(0).float().reshape(-1)
            g["grad_sq." + n] = (grad.double() ** 2).sum().float().reshape(1)
    save_file(g, os.path.join(d, "classifier.safetensors"),
              metadata={"note": "eval mode, float32, CPU", "transformers_class": type(cls_model).__name__,
                        "parameters": json.dumps(order)})
    print(name, "classifier loss", res.loss.item(), file=sys.stderr)


CLASSIFIERS = {RobertaForMaskedLM: RobertaForSequenceClassification,
               XLMRobertaForMaskedLM: XLMRobertaForSequenceClassification}
torch.use_deterministic_algorithms(True)
rob_dir = os.path.join(shared, "data", "roberta-base")
rob_tok = RobertaTokenizer(tokenizer_file=os.path.join(rob_dir, "tokenizer.json"),
                           vocab_file=os.path.join(rob_dir, "vocab.json"), merges_file=os.path.join(rob_dir, "merges.txt"))
xlmr_tok = XLMRobertaTokenizer(tokenizer_file=os.path.join(shared, "data", "xlm-roberta-base", "tokenizer.json"))
tiny = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
            max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
            eos_token_id=2)
make("tiny-roberta", RobertaForMaskedLM, RobertaConfig(vocab_size=50265, **tiny), rob_tok)
make("tiny-xlm-roberta", XLMRobertaForMaskedLM, XLMRobertaConfig(vocab_size=250002, **tiny), xlmr_tok)
if "--base" in sys.argv:
    # roberta-base's shapes with one layer (no classifier or fill-mask files are needed from it)
    base = dict(hidden_size=768, num_hidden_layers=1, num_attention_heads=12, intermediate_size=3072,
                max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                eos_token_id=2)
    make("base1-roberta", RobertaForMaskedLM, RobertaConfig(vocab_size=50265, **base), rob_tok, extras=False,
         vocab_stride=4)
