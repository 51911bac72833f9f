#!/usr/bin/python3
"""Makes the tiny-BERT checkpoint fixtures under tests/AgNewsLsp.Tests/Fixtures/tiny-bert/.

Run once by hand (CI only reads the committed output), with real PyTorch, e.g. Debian's:
    apt-get install python3-torch python3-numpy
    /usr/bin/python3 scripts/make-tiny-bert-fixtures.py

It writes one random-weight BERT (seeded) in the forms users have on disk:
  zip/          pytorch_model.bin, torch.save's zip format, keys as BertForPreTraining names them
                ("bert." prefix, LayerNorm.gamma/beta, cls.* heads with the decoder tied to the word embeddings)
  legacy/       the same state dict with torch.save(..., _use_new_zipfile_serialization=False): the pre-1.6
                format bert-base-uncased's own pytorch_model.bin is in; query/key/value weights are views into
                one fused storage, so storage offsets are exercised too
  safetensors/  model.safetensors with BertModel's names (written by hand: the format is a JSON header and raw bytes)
and reference.json: for a few id sequences (one batch, padded, with an attention mask), the [CLS], token mean,
pooler and per-layer [CLS] vectors from a float64 forward pass written here after Hugging Face's modeling_bert.py.
"""
import json
import math
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "AgNewsLsp.Tests", "Fixtures", "tiny-bert")

CONFIG = {
    "model_type": "bert",
    "architectures": ["BertForPreTraining"],
    "vocab_size": 0,  # set from the vocabulary below
    "hidden_size": 32,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "max_position_embeddings": 64,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}

WORDS = """the a an of to in and for on with at by from is was are be has have said will after over new
game team season win won match player coach league cup final title sets beat
market stock shares price prices oil company profit bank deal sales billion percent quarter rates
government president minister election war peace talks police city country world people
software computer internet web phone data space science research study technology microsoft google apple""".split()


def vocabulary():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,'-!?")
    pieces = ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"] + ["##s", "##ed", "##ing", "##er", "##ly"]
    vocab = []
    for token in specials + chars + WORDS + pieces:
        if token not in vocab:
            vocab.append(token)
    return vocab


def random_state_dict(config, generator):
    """BertModel's parameters (modern names), small random values as in Hugging Face's init (std 0.02)."""
    h, i, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    state = {}

    def normal(*shape):
        return torch.randn(*shape, generator=generator) * 0.02

    def layer_norm(prefix):
        # Not exactly ones/zeros, so gamma/beta naming mistakes change outputs.
        state[prefix + ".weight"] = 1 + normal(h) * 5
        state[prefix + ".bias"] = normal(h) * 5

    state["embeddings.word_embeddings.weight"] = normal(v, h)
    state["embeddings.position_embeddings.weight"] = normal(config["max_position_embeddings"], h)
    state["embeddings.token_type_embeddings.weight"] = normal(config["type_vocab_size"], h)
    layer_norm("embeddings.LayerNorm")
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}."
        for name in ("query", "key", "value"):
            state[p + f"attention.self.{name}.weight"] = normal(h, h) * 5
            state[p + f"attention.self.{name}.bias"] = normal(h)
        state[p + "attention.output.dense.weight"] = normal(h, h) * 5
        state[p + "attention.output.dense.bias"] = normal(h)
        layer_norm(p + "attention.output.LayerNorm")
        state[p + "intermediate.dense.weight"] = normal(i, h) * 5
        state[p + "intermediate.dense.bias"] = normal(i)
        state[p + "output.dense.weight"] = normal(h, i) * 5
        state[p + "output.dense.bias"] = normal(h)
        layer_norm(p + "output.LayerNorm")
    state["pooler.dense.weight"] = normal(h, h) * 5
    state["pooler.dense.bias"] = normal(h)
    return state


def pretraining_names(state, generator):
    """BertForPreTraining's state dict as 2019-era files have it: bert. prefix, gamma/beta, cls.* heads."""
    h = CONFIG["hidden_size"]
    out = {}
    for key, value in state.items():
        key = "bert." + key
        if ".LayerNorm." in key:
            key = key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        out[key] = value
    out["cls.predictions.bias"] = torch.zeros(CONFIG["vocab_size"])
    out["cls.predictions.transform.dense.weight"] = torch.randn(h, h, generator=generator) * 0.02
    out["cls.predictions.transform.dense.bias"] = torch.zeros(h)
    out["cls.predictions.transform.LayerNorm.gamma"] = torch.ones(h)
    out["cls.predictions.transform.LayerNorm.beta"] = torch.zeros(h)
    # Tied to the word embeddings: one storage, two keys.
    out["cls.predictions.decoder.weight"] = out["bert.embeddings.word_embeddings.weight"]
    out["cls.seq_relationship.weight"] = torch.randn(2, h, generator=generator) * 0.02
    out["cls.seq_relationship.bias"] = torch.zeros(2)
    return out


def with_fused_qkv(state):
    """query/key/value weights as views into one [3h, h] storage, the way a fused-QKV export saves them."""
    out = dict(state)
    for n in range(CONFIG["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}.attention.self."
        fused = torch.cat([state[p + name + ".weight"] for name in ("query", "key", "value")], 0)
        for k, name in enumerate(("query", "key", "value")):
            out[p + name + ".weight"] = fused.narrow(0, k * CONFIG["hidden_size"], CONFIG["hidden_size"])
    return out


def save_safetensors(path, state):
    header, chunks, offset = {}, [], 0
    for key in sorted(state):
        data = state[key].contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(state[key].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def reference_forward(state, ids, mask):
    """Float64 BERT forward after modeling_bert.py: returns last hidden state, pooler output, per-layer hidden states."""
    s = {k: v.double() for k, v in state.items()}
    c = CONFIG
    h, heads = c["hidden_size"], c["num_attention_heads"]
    d = h // heads
    eps = c["layer_norm_eps"]
    batch, length = ids.shape

    def linear(x, name):
        return x @ s[name + ".weight"].T + s[name + ".bias"]

    def layer_norm(x, name):
        return torch.nn.functional.layer_norm(x, (h,), s[name + ".weight"], s[name + ".bias"], eps)

    positions = torch.arange(length).unsqueeze(0).expand(batch, length)
    x = (s["embeddings.word_embeddings.weight"][ids] + s["embeddings.position_embeddings.weight"][positions]
         + s["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = layer_norm(x, "embeddings.LayerNorm")
    additive = (1.0 - mask.double())[:, None, None, :] * torch.finfo(torch.float64).min
    layers = []
    for n in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{n}."

        def split(t):
            return t.view(batch, length, heads, d).transpose(1, 2)

        q = split(linear(x, p + "attention.self.query"))
        k = split(linear(x, p + "attention.self.key"))
        v = split(linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, h)
        x = layer_norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = linear(x, p + "intermediate.dense")
        inner = 0.5 * inner * (1.0 + torch.erf(inner / math.sqrt(2.0)))  # exact gelu
        x = layer_norm(linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
        layers.append(x)
    pooler = torch.tanh(linear(x[:, 0], "pooler.dense"))
    return x, pooler, layers


def main():
    vocab = vocabulary()
    CONFIG["vocab_size"] = len(vocab)
    generator = torch.Generator().manual_seed(20191014)
    state = random_state_dict(CONFIG, generator)
    pretraining = pretraining_names(state, generator)

    folders = {form: os.path.join(OUT, form) for form in ("zip", "legacy", "safetensors")}
    for folder in folders.values():
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2)
        with open(os.path.join(folder, "vocab.txt"), "w") as f:
            f.write("\n".join(vocab) + "\n")
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": True, "model_max_length": CONFIG["max_position_embeddings"]}, f, indent=2)

    torch.save(pretraining, os.path.join(folders["zip"], "pytorch_model.bin"))
    torch.save(with_fused_qkv(pretraining), os.path.join(folders["legacy"], "pytorch_model.bin"),
               _use_new_zipfile_serialization=False)
    save_safetensors(os.path.join(folders["safetensors"], "model.safetensors"), state)

    # What torch itself reads back must be what was meant to be saved (the fused views included).
    for form in ("zip", "legacy"):
        loaded = torch.load(os.path.join(folders[form], "pytorch_model.bin"))
        for key, value in pretraining.items():
            assert torch.equal(loaded[key], value), (form, key)

    token = {t: i for i, t in enumerate(vocab)}
    sequences = [
        ["[CLS]", "the", "team", "won", "the", "cup", "final", "[SEP]"],
        ["[CLS]", "oil", "prices", "rise", "##s", "as", "market", "stock", "shares", "fall", "after", "bank", "deal", ".", "[SEP]"],
        ["[CLS]", "new", "software", "[SEP]"],
        ["[CLS]", "government", "talks", "on", "peace", "in", "the", "world", "[SEP]"],
    ]
    ids_list = [[token.get(t, token["[UNK]"]) for t in seq] for seq in sequences]
    width = max(len(s) for s in ids_list)
    ids = torch.tensor([s + [0] * (width - len(s)) for s in ids_list])
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in ids_list])
    with torch.no_grad():
        last, pooler, layers = reference_forward(state, ids, mask)
    cases = []
    for b, seq in enumerate(ids_list):
        n = len(seq)
        cases.append({
            "input_ids": seq,
            "cls": last[b, 0].tolist(),
            "mean": last[b, :n].mean(0).tolist(),
            "pooler": pooler[b].tolist(),
            "layer_cls": [layer[b, 0].tolist() for layer in layers],
        })
    reference = {
        "made_by": f"scripts/make-tiny-bert-fixtures.py, torch {torch.__version__}, float64 forward",
        "note": "ids are run as one padded batch with an attention mask; mean is over the real tokens",
        "cases": cases,
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    print("wrote", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
