"""Hugging Face DistilBERT/BERT (masked LM and sequence classification) in plain PyTorch, for reference runs where
`transformers` and `safetensors` are not installed (the CPU machines have only Debian's `python3-torch`).

The reference scripts import `transformers` when they can and fall back to this file. It is a line-for-line port of
the forward passes of `modeling_distilbert.py` and `modeling_bert.py` (eager attention, dropout off — reference runs
are in eval mode) with the same module tree, so `named_parameters()` gives the checkpoint's names and tied weights are
shared tensors as in HF. `tools/reference/check_port.py` holds it to the goldens that real transformers made
(`../shared/goldens`: logits, loss, every gradient, three AdamW steps).

    from hf_port import load_model, get_linear_schedule_with_warmup, load_file, save_file
"""
import hashlib, json, math, os, struct

import torch
from torch import nn

# --- safetensors (the format: 8-byte little-endian header size, JSON header, raw little-endian data) --------------
_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32, "I64": torch.int64}
_NAMES = {v: k for k, v in _DTYPES.items()}


def load_file(path):
    """Every tensor of a .safetensors file, by name (as `safetensors.torch.load_file`)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = bytearray(raw[8 + n + a:8 + n + b])
        t = torch.frombuffer(buf, dtype=_DTYPES[info["dtype"]]) if b > a else torch.empty(0, dtype=_DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def load_metadata(path):
    """The `__metadata__` strings of a .safetensors file."""
    raw = open(path, "rb").read(8)
    n = struct.unpack("<Q", raw)[0]
    with open(path, "rb") as f:
        f.seek(8)
        return json.loads(f.read(n)).get("__metadata__", {})


def save_file(tensors, path, metadata=None):
    """Write tensors (sorted by name) and string metadata; temp file then rename."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))
    os.replace(tmp, path)


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps):
    """`transformers.get_linear_schedule_with_warmup`: the same lambda on a LambdaLR."""
    def lr_lambda(step):
        if step < num_warmup_steps:
            return float(step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)


def int_digest(tensors):
    """sha256 of int32 little-endian bytes of the tensors, in order (how batches are fingerprinted on both sides)."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.to(torch.int32).contiguous().numpy().astype("<i4").tobytes())
    return h.hexdigest()


# --- shared pieces ------------------------------------------------------------------------------------------------
def _extended_mask(attention_mask, dtype):
    """HF's additive mask: 0 where attended, the dtype's minimum where masked; shape [batch, 1, 1, seq]."""
    m = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


def _attention(q, k, v, attention_mask, n_heads):
    """Eager scaled dot-product attention over heads (HF `eager_attention_forward`)."""
    bs, seq, dim = q.shape
    d = dim // n_heads
    shape = lambda x: x.view(bs, seq, n_heads, d).transpose(1, 2)
    q, k, v = shape(q), shape(k), shape(v)
    scores = torch.matmul(q, k.transpose(2, 3)) * (d ** -0.5)
    scores = scores + _extended_mask(attention_mask, scores.dtype)
    weights = nn.functional.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    return torch.matmul(weights, v).transpose(1, 2).reshape(bs, seq, dim)


def _mlm_loss(logits, labels):
    return nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)


def _classification_loss(config, logits, labels):
    num_labels = config.get("num_labels", len(config.get("id2label", {})) or 2)
    if num_labels == 1:
        return nn.functional.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
    return nn.functional.cross_entropy(logits.view(-1, num_labels), labels.view(-1))


class _Output:
    def __init__(self, logits, loss):
        self.logits, self.loss = logits, loss


def _num_labels(config):
    if "num_labels" in config:
        return config["num_labels"]
    return len(config["id2label"]) if "id2label" in config else 2


# --- DistilBERT (modeling_distilbert.py) -----------------------------------------------------------------------------
class _DistilEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(pos))


class _DistilAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c["n_heads"]
        self.q_lin, self.k_lin = nn.Linear(c["dim"], c["dim"]), nn.Linear(c["dim"], c["dim"])
        self.v_lin, self.out_lin = nn.Linear(c["dim"], c["dim"]), nn.Linear(c["dim"], c["dim"])

    def forward(self, x, attention_mask):
        ctx = _attention(self.q_lin(x), self.k_lin(x), self.v_lin(x), attention_mask, self.n_heads)
        return self.out_lin(ctx)


class _DistilFFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(c["dim"], c["hidden_dim"]), nn.Linear(c["hidden_dim"], c["dim"])
        assert c.get("activation", "gelu") == "gelu", "hf_port: only activation gelu"

    def forward(self, x):
        return self.lin2(nn.functional.gelu(self.lin1(x)))


class _DistilBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = _DistilAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = _DistilFFN(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, attention_mask):
        sa = self.sa_layer_norm(self.attention(x, attention_mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class _DistilTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([_DistilBlock(c) for _ in range(c["n_layers"])])

    def forward(self, x, attention_mask):
        for block in self.layer:
            x = block(x, attention_mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert not c.get("sinusoidal_pos_embds", False), "hf_port: sinusoidal positions not ported"
        self.embeddings = _DistilEmbeddings(c)
        self.transformer = _DistilTransformer(c)

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.vocab_transform = nn.Linear(c["dim"], c["dim"])
        self.vocab_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.vocab_projector = nn.Linear(c["dim"], c["vocab_size"])
        self.vocab_projector.weight = self.distilbert.embeddings.word_embeddings.weight  # tied

    def forward(self, input_ids, attention_mask=None, labels=None):
        h = self.distilbert(input_ids, attention_mask)
        logits = self.vocab_projector(self.vocab_layer_norm(nn.functional.gelu(self.vocab_transform(h))))
        return _Output(logits, None if labels is None else _mlm_loss(logits, labels))


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c["dim"], c["dim"])
        self.classifier = nn.Linear(c["dim"], _num_labels(c))

    def forward(self, input_ids, attention_mask=None, labels=None):
        h = self.distilbert(input_ids, attention_mask)[:, 0]
        logits = self.classifier(nn.functional.relu(self.pre_classifier(h)))
        return _Output(logits, None if labels is None else _classification_loss(self.config, logits, labels))


# --- BERT (modeling_bert.py) -------------------------------------------------------------------------------------------
class _BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.LayerNorm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, input_ids, token_type_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(e + self.position_embeddings(pos))


class _Dense(nn.Module):
    """A `dense` Linear with an optional `LayerNorm` after a residual (BertSelfOutput / BertOutput)."""

    def __init__(self, d_in, d_out, eps):
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class _BertSelf(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)


class _BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.self = _BertSelf(c)
        self.output = _Dense(c["hidden_size"], c["hidden_size"], c.get("layer_norm_eps", 1e-12))

    def forward(self, x, attention_mask):
        s = self.self
        return self.output(_attention(s.query(x), s.key(x), s.value(x), attention_mask, self.heads), x)


class _BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        assert c.get("hidden_act", "gelu") == "gelu", "hf_port: only hidden_act gelu"

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class _BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = _BertAttention(c)
        self.intermediate = _BertIntermediate(c)
        self.output = _Dense(c["intermediate_size"], c["hidden_size"], c.get("layer_norm_eps", 1e-12))

    def forward(self, x, attention_mask):
        a = self.attention(x, attention_mask)
        return self.output(self.intermediate(a), a)


class _BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([_BertLayer(c) for _ in range(c["num_hidden_layers"])])


class _BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, add_pooling_layer=True):
        super().__init__()
        self.embeddings = _BertEmbeddings(c)
        self.encoder = _BertEncoder(c)
        self.pooler = _BertPooler(c) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder.layer:
            x = layer(x, attention_mask)
        return x


class _BertTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, x):
        return self.LayerNorm(nn.functional.gelu(self.dense(x)))


class _BertLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = _BertTransform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def forward(self, x):
        return self.decoder(self.transform(x)) + self.bias


class _BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = _BertLMHead(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c, add_pooling_layer=False)
        self.cls = _BertOnlyMLMHead(c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight  # tied

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None):
        logits = self.cls.predictions(self.bert(input_ids, attention_mask, token_type_ids))
        return _Output(logits, None if labels is None else _mlm_loss(logits, labels))


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.classifier = nn.Linear(c["hidden_size"], _num_labels(c))

    def forward(self, input_ids, attention_mask=None, labels=None, token_type_ids=None):
        pooled = self.bert.pooler(self.bert(input_ids, attention_mask, token_type_ids))
        logits = self.classifier(pooled)
        return _Output(logits, None if labels is None else _classification_loss(self.config, logits, labels))


ARCHITECTURES = {c.__name__: c for c in (DistilBertForMaskedLM, DistilBertForSequenceClassification,
                                         BertForMaskedLM, BertForSequenceClassification)}


def init_weights(model, std):
    """HF `_init_weights`: Linear/Embedding ~ N(0, std), biases 0, padding row 0, LayerNorm 1/0 (this port's own
    random stream, not transformers' call order)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.data.normal_(0.0, std)
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.data.zero_()
            if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                m.weight.data[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()
    if isinstance(model, BertForMaskedLM):
        model.cls.predictions.bias.data.zero_()
    return model


def load_model(folder):
    """The model a HF folder (config.json + model.safetensors) holds, float32; every parameter must be in the file."""
    config = json.load(open(os.path.join(folder, "config.json")))
    arch = config["architectures"][0]
    model = ARCHITECTURES[arch](config)
    weights = load_file(os.path.join(folder, "model.safetensors"))
    for name, p in model.named_parameters():
        if name not in weights:
            raise KeyError(f"{folder}: model.safetensors has no {name}")
        with torch.no_grad():
            p.copy_(weights[name].float())
    return model
