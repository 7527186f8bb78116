"""One training step of Hugging Face sequence classifiers in PyTorch, for tests/classify/step_parity_test.ts.

Run from the project root where PyTorch is installed:
    python3 tools/reference/make_classifier_goldens.py [fixtures/reference/classifier_step.safetensors]
Uses `transformers`' classes (and their random initialisation) when installed, else `hf_port.py` (the same modules in
plain PyTorch, held to transformers' goldens by `check_port.py`; initialised N(0, 0.02) as HF's `_init_weights`, from
its own random stream — the initial weights are stored in the file either way).
Writes one safetensors file holding, for each family F in (distilbert, bert):
  F.init.<param>     every parameter of a random F...ForSequenceClassification (torch.manual_seed(0)), before the step
  F.input_ids, F.attention_mask   a padded [3, 24] batch (right padding, lengths 24/17/9; pad id 0)
  F.labels           [3] class ids
  F.logits, F.loss   the forward pass before the step (eval mode: dropout off)
  F.grad_norm        the global gradient norm before clipping
  F.step.<param>     every parameter after ONE optimizer step
and in the metadata "F.config" (the model's config.json text) and "settings" (JSON of the step's settings).
The step is the HF Trainer's: AdamW lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 except biases and
LayerNorm weights, linear schedule with 0 warm-up steps of 10 (lr of step 0 = 1e-3), clip_grad_norm_ 1.0, float32,
CPU, eval mode. DistilBERT has 2 labels, BERT 3 (to cover a head that is not binary).
"""
import json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_port  # noqa: E402
import mlm_steps  # noqa: E402

try:
    import transformers
    from safetensors.torch import save_file
    from transformers import (BertConfig, BertForSequenceClassification, DistilBertConfig,
                              DistilBertForSequenceClassification, get_linear_schedule_with_warmup)
    implementation = f"transformers {transformers.__version__}"
except ImportError:
    save_file, get_linear_schedule_with_warmup = hf_port.save_file, hf_port.get_linear_schedule_with_warmup
    implementation = "tools/reference/hf_port.py (transformers not installed)"
    transformers = None

out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/reference/classifier_step.safetensors"
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
torch.use_deterministic_algorithms(True)
SETTINGS = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "warmup_steps": 0,
            "total_steps": 10, "max_grad_norm": 1.0}


def batch(vocab, num_labels, gen):
    lengths = [24, 17, 9]
    ids = torch.randint(5, vocab, (3, 24), generator=gen)
    mask = torch.zeros(3, 24, dtype=torch.long)
    for r, n in enumerate(lengths):
        mask[r, :n] = 1
        ids[r, n:] = 0
    targets = torch.randint(0, num_labels, (3,), generator=gen)
    return ids, mask, targets


def config_of(model):
    return model.config.to_json_string() if transformers else json.dumps(model.config, indent=2)


def one_step(family, model):
    model.eval()
    g = {}
    for n, p in model.named_parameters():
        g[f"{family}.init.{n}"] = p.detach().clone().contiguous()
    gen = torch.Generator().manual_seed(3)
    c = model.config
    vocab, num_labels = (c.vocab_size, c.num_labels) if transformers else (c["vocab_size"], len(c["id2label"]))
    ids, mask, labels = batch(vocab, num_labels, gen)
    opt, sched = mlm_steps.optimizer(model, SETTINGS, get_linear_schedule_with_warmup)
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), SETTINGS["max_grad_norm"])
    opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
    g[f"{family}.input_ids"] = ids.int()
    g[f"{family}.attention_mask"] = mask.int()
    g[f"{family}.labels"] = labels.int()
    g[f"{family}.logits"] = res.logits.detach().contiguous()
    g[f"{family}.loss"] = res.loss.detach().reshape(1)
    g[f"{family}.grad_norm"] = norm.detach().reshape(1).float()
    for n, p in model.named_parameters():
        g[f"{family}.step.{n}"] = p.detach().clone().contiguous()
    print(family, "loss", res.loss.item(), "grad norm", norm.item())
    return g, config_of(model)


def labels(n):
    return {"id2label": {str(i): f"LABEL_{i}" for i in range(n)}, "label2id": {f"LABEL_{i}": i for i in range(n)}}


DISTIL = dict(vocab_size=1000, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=64)
BERT = dict(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=64)
if transformers:
    make_distil = lambda: DistilBertForSequenceClassification(DistilBertConfig(**DISTIL, num_labels=2))
    make_bert = lambda: BertForSequenceClassification(BertConfig(**BERT, num_labels=3))
else:  # HF's defaults for the fields these configs leave out
    dcfg = {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert", **DISTIL,
            "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "seq_classif_dropout": 0.2,
            "qa_dropout": 0.1, "initializer_range": 0.02, "pad_token_id": 0, "sinusoidal_pos_embds": False,
            "tie_word_embeddings": True, **labels(2)}
    bcfg = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", **BERT, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "type_vocab_size": 2,
            "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0, "classifier_dropout": None,
            "tie_word_embeddings": True, **labels(3)}
    make_distil = lambda: hf_port.init_weights(hf_port.DistilBertForSequenceClassification(dcfg), 0.02)
    make_bert = lambda: hf_port.init_weights(hf_port.BertForSequenceClassification(bcfg), 0.02)
tensors, metadata = {}, {"settings": json.dumps(SETTINGS), "implementation": implementation,
                         "torch": torch.__version__, "made_by": "tools/reference/make_classifier_goldens.py"}
for family, make in (("distilbert", make_distil), ("bert", make_bert)):
    torch.manual_seed(0)
    g, config = one_step(family, make())
    tensors.update(g)
    metadata[f"{family}.config"] = config
save_file(tensors, out, metadata=metadata)
print("wrote", out)
