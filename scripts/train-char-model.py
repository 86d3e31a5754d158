#!/usr/bin/python3
"""Trains kvscope's small character-level LLaMA on the King James Bible and writes it as an HF model directory.

The model has seed-tiny's exact shape (assets/presets/seed-tiny/config.json: vocab 100, hidden 256,
intermediate 512, 2 layers, 4 heads, 4 kv heads) and HF LlamaForCausalLM semantics and parameter names, so
kvscope loads it through its normal HF-directory / safetensors path. Everything here is plain PyTorch (Debian's
python3-torch): no transformers, no safetensors package.

  /usr/bin/python3 scripts/train-char-model.py                  # the committed kjv-char model (about 17 min)
  /usr/bin/python3 scripts/train-char-model.py --bench 30       # iterations per second only, writes nothing
  /usr/bin/python3 scripts/train-char-model.py --task copy      # the copy-induction model

Use Debian's /usr/bin/python3 (python3-torch, python3-numpy, python3-matplotlib), not another python3 on PATH.
The text comes from Debian's bible-kjv package (`bible -l0 gen1:1-rev22:21`). Seeded, with deterministic
algorithms and a fixed thread count (--threads, default 2: the machine's two cores), so a run is meant to give
the same weights on the same machine, PyTorch build and thread count; another thread count may order
floating-point sums differently.
"""
import argparse
import json
import math
import os
import platform
import re
import struct
import subprocess
import sys
import time



def _threads_from_argv():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "2"


# The BLAS library (Debian's libblas.so.3 alternative: reference BLAS, or OpenBLAS when libopenblas0-pthread is
# installed, which makes training about 8 times faster) reads its thread count when it is loaded, so set it
# before numpy and torch load it: the thread count is the --threads flag, whatever the environment says.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------------------------------------------
# Vocabulary: 0 <unk>, 1 <s>, 2 </s>, 3 <pad>, 4 "\n", then printable ASCII 0x20..0x7E as ids 5..99.
# ---------------------------------------------------------------------------------------------------------------
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]
UNK, BOS, EOS, PAD = 0, 1, 2, 3
VOCAB = SPECIALS + ["\n"] + [chr(c) for c in range(0x20, 0x7F)]
assert len(VOCAB) == 100
CHAR_TO_ID = {ch: i for i, ch in enumerate(VOCAB) if i >= 4}


def encode(text):
    """Character by character (what a BPE with no merges and no pre-tokenizer does); no BOS."""
    return [CHAR_TO_ID.get(ch, UNK) for ch in text]


def decode(ids):
    return "".join(VOCAB[i] if i >= 4 else "" for i in ids)


# ---------------------------------------------------------------------------------------------------------------
# The model: HF LlamaForCausalLM semantics, HF parameter names.
# ---------------------------------------------------------------------------------------------------------------
SHAPE = dict(vocab_size=100, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=4, rms_norm_eps=1e-6, rope_theta=10000.0)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(seq_len, head_dim, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    t = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [T, hd]


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, self.nh, self.nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = h // self.nh
        self.q_proj = nn.Linear(h, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(h, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(h, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, h, bias=False)

    def forward(self, x, cos, sin, mask, want_probs=False):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.nkv != self.nh:
            k = k.repeat_interleave(self.nh // self.nkv, dim=1)
            v = v.repeat_interleave(self.nh // self.nkv, dim=1)
        # q @ k^T / sqrt(hd), with the scale applied to q first: the same numbers (for head_dim 64 the scale is
        # 1/8, a power of two, so exactly the same), on a tensor T/hd times smaller.
        scores = (q * (1.0 / math.sqrt(self.hd))) @ k.transpose(-1, -2) + mask
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        out = (probs @ v).transpose(1, 2).reshape(b, t, self.nh * self.hd)
        return self.o_proj(out), (probs if want_probs else None)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, want_probs=False):
        a, probs = self.self_attn(self.input_layernorm(x), cos, sin, mask, want_probs)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, probs


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([DecoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.hd = c["hidden_size"] // c["num_attention_heads"]
        # HF's LlamaPreTrainedModel._init_weights: normal(0, initializer_range) for Linear and Embedding.
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, ids, want_probs=False):
        """ids [B, T] -> logits [B, T, V] (float32); with want_probs also each layer's attention [B, nh, T, T]."""
        t = ids.shape[1]
        cos, sin = rope_cos_sin(t, self.hd, self.c["rope_theta"])
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.model.embed_tokens(ids)
        all_probs = []
        for layer in self.model.layers:
            x, probs = layer(x, cos, sin, mask, want_probs)
            all_probs.append(probs)
        logits = self.lm_head(self.model.norm(x)).float()
        return (logits, all_probs) if want_probs else logits


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------------------------
# safetensors, written and read by hand.
# ---------------------------------------------------------------------------------------------------------------
def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out, spans = {}, []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        assert e - b == 4 * count, name
        spans.append((b, e))
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(info["shape"])
    spans.sort()
    pos = 0
    for b, e in spans:  # contiguous, non-overlapping, covering the whole data section
        assert b == pos, (b, pos)
        pos = e
    assert pos == len(data), (pos, len(data))
    return header, out


def verify_safetensors(path, model):
    header, loaded = read_safetensors(path)
    assert header["__metadata__"] == {"format": "pt"}
    state = model.state_dict()
    assert set(loaded) == set(state), set(loaded) ^ set(state)
    for name, t in state.items():
        assert list(loaded[name].shape) == list(t.shape), name
        assert torch.equal(loaded[name], t.float()), name
    return len(loaded)


# ---------------------------------------------------------------------------------------------------------------
# The text.
# ---------------------------------------------------------------------------------------------------------------
def package_version(name):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True,
                          check=True).stdout.strip()


def kjv_verses():
    """All 31,102 verses of the KJV from Debian's bible-kjv, one entry per verse: (book, chapter, verse, text)."""
    out = subprocess.run(["bible", "-l0", "gen1:1-rev22:21"], capture_output=True, text=True, check=True).stdout
    verses, book, chapter = [], None, None
    heading = re.compile(r"^(.+) (\d+)$")
    verse = re.compile(r"^ +(\d+) (.*)$")
    for line in out.split("\n"):
        if not line.strip():
            continue
        m = verse.match(line)
        if m:
            assert book is not None, line
            verses.append((book, chapter, int(m.group(1)), m.group(2).strip()))
            continue
        m = heading.match(line)
        assert m, "unexpected line from bible: %r" % line
        book, chapter = m.group(1), int(m.group(2))
    assert len(verses) == 31102, len(verses)
    assert verses[0][3].startswith("In the beginning God created"), verses[0]
    assert verses[-1][:3] == ("Revelation", 22, 21), verses[-1]
    return verses


def ref(v):
    return "%s %d:%d" % v[:3]


# ---------------------------------------------------------------------------------------------------------------
# The copy task (--task copy): "<letters>|<the same letters>\n" lines.
# ---------------------------------------------------------------------------------------------------------------
COPY_SEP = "|"


def copy_text(rng, n_chars, min_len=8, max_len=24):
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    parts, total = [], 0
    while total < n_chars:
        s = "".join(rng.choice(letters, size=rng.randint(min_len, max_len + 1)))
        line = s + COPY_SEP + s + "\n"
        parts.append(line)
        total += len(line)
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Training and evaluation.
# ---------------------------------------------------------------------------------------------------------------
def chunks_of(ids, context):
    """The held-out evaluation's chunks: consecutive, non-overlapping runs of (context - 1) ids, the last one
    possibly shorter; each is evaluated as [<s>] + chunk."""
    n = context - 1
    return [ids[i:i + n] for i in range(0, len(ids), n)]


@torch.no_grad()
def chunked_loss(model, ids, context, batch=16):
    """Mean over every character of every chunk of -log softmax(logits at the previous position)[char], with
    each chunk evaluated as [<s>] + chunk in one forward pass. Returns (loss in nats, characters)."""
    model.eval()
    total, count = 0.0, 0
    chunks = chunks_of(ids, context)
    full = [c for c in chunks if len(c) == context - 1]
    rest = [c for c in chunks if len(c) != context - 1]
    groups = [full[i:i + batch] for i in range(0, len(full), batch)] + [[c] for c in rest]
    for group in groups:
        x = torch.tensor([[BOS] + c for c in group], dtype=torch.long)
        logp = torch.log_softmax(model(x)[:, :-1].double(), dim=-1)
        tgt = x[:, 1:]
        total += -logp.gather(-1, tgt.unsqueeze(-1)).sum().item()
        count += tgt.numel()
    return total / count, count


@torch.no_grad()
def greedy(model, prompt_ids, steps):
    """Greedy argmax, one token at a time, each step a full forward over the whole growing sequence."""
    model.eval()
    seq = list(prompt_ids)
    for _ in range(steps):
        logits = model(torch.tensor([seq], dtype=torch.long))[0, -1]
        seq.append(int(torch.argmax(logits).item()))
    return seq[len(prompt_ids):]


def lr_at(step, steps, peak, warmup, floor):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * p))


def make_optimizer(model, lr, wd):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


def sample_batch(rng, train_ids, batch, context):
    """[<s>] + a random window of `context` characters; the model reads the first `context` tokens and predicts
    the `context` characters (every position has a target)."""
    starts = rng.randint(0, len(train_ids) - context, size=batch)
    x = np.empty((batch, context + 1), dtype=np.int64)
    x[:, 0] = BOS
    for r, s in enumerate(starts):
        x[r, 1:] = train_ids[s:s + context]
    x = torch.from_numpy(x)
    return x[:, :-1], x[:, 1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["kjv", "copy"], default="kjv")
    ap.add_argument("--out", help="output directory (default assets/models/kjv-char or assets/models/copy-induction)")
    ap.add_argument("--plot", help="loss-curve PNG (default docs/img/kjv-char-loss.png for kjv, none for copy)")
    ap.add_argument("--steps", type=int, default=None, help="optimizer steps (default 2400 kjv, 600 copy)")
    ap.add_argument("--batch", type=int, default=None, help="sequences per step (default 16)")
    ap.add_argument("--context", type=int, default=None, help="training context incl. <s> (default 256 kjv, 128 copy)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1611)
    ap.add_argument("--threads", type=int, default=2, help="torch and BLAS threads (default 2, the machine's cores)")
    ap.add_argument("--bench", type=int, default=0, metavar="N", help="time N steps, print steps/s, write nothing")
    ap.add_argument("--rewrite-docs", action="store_true",
                    help="rewrite README.md and the loss-curve PNG from the output directory's training-log.json, "
                         "without training")
    args = ap.parse_args()

    kjv = args.task == "kjv"
    steps = args.steps or (1200 if kjv else 600)
    batch = args.batch or 16
    context = args.context or (256 if kjv else 128)
    eval_every = args.eval_every or (100 if kjv else 50)
    out_dir = args.out or os.path.join(REPO, "assets", "models", "kjv-char" if kjv else "copy-induction")
    plot = args.plot or (os.path.join(REPO, "docs", "img", "kjv-char-loss.png") if kjv else None)
    if args.rewrite_docs:
        with open(os.path.join(out_dir, "training-log.json")) as f:
            saved = json.load(f)
        write_docs(out_dir, plot, saved["facts"], saved["log"])
        print("rewrote the docs in %s" % out_dir)
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    data_rng = np.random.RandomState(args.seed)  # batches; its own stream, so evaluation never shifts them

    # ---- data -------------------------------------------------------------------------------------------------
    if kjv:
        verses = kjv_verses()
        n_held = round(len(verses) * 0.02)  # the last 2% of verses, never trained on
        train_verses, held_verses = verses[:-n_held], verses[-n_held:]
        train_text = "".join(v[3] + "\n" for v in train_verses)
        held_text = "".join(v[3] + "\n" for v in held_verses)
        heldout_file = ""
        for v in held_verses:  # heldout.txt: the first whole held-out verses reaching 4,000 characters
            heldout_file += v[3] + "\n"
            if len(heldout_file) >= 4000:
                break
        heldout_last = held_verses[heldout_file.count("\n") - 1]
        prompt = "And God said"
        assert prompt in train_text
    else:
        copy_rng = np.random.RandomState(args.seed + 1)
        train_text = copy_text(copy_rng, 2_000_000)
        held_text = copy_text(np.random.RandomState(args.seed + 2), 40_000)
        heldout_file = copy_text(np.random.RandomState(args.seed + 3), 4000)
        prompt = "kvscopeattends" + COPY_SEP
    train_ids = np.array(encode(train_text), dtype=np.int64)
    held_ids = encode(held_text)
    heldout_ids = encode(heldout_file)
    assert UNK not in set(train_ids.tolist()) and UNK not in held_ids
    curve_ids = held_ids[: 128 * (context - 1)]  # the held-out curve: the first 128 chunks of the held-out slice
    train_probe = train_ids[: 64 * (context - 1)].tolist()  # and a fixed train slice for a like-for-like figure

    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", **SHAPE, hidden_act="silu",
                  max_position_embeddings=context, initializer_range=0.02, attention_bias=False,
                  pretraining_tp=1, rope_scaling=None, use_cache=True, bos_token_id=BOS, eos_token_id=EOS,
                  pad_token_id=PAD, tie_word_embeddings=False, torch_dtype="float32")

    model = LlamaForCausalLM(config)
    n_params = parameter_count(model)
    opt = make_optimizer(model, args.lr, args.weight_decay)
    print("parameters: %d; train characters: %d; held-out characters: %d; threads: %d"
          % (n_params, len(train_ids), len(held_ids), torch.get_num_threads()), flush=True)

    # ---- training ---------------------------------------------------------------------------------------------
    log = {"step": [], "train": [], "eval_step": [], "heldout": [], "train_probe": []}
    t0 = time.time()
    run_steps = args.bench or steps
    window = []
    for step in range(run_steps):
        if not args.bench and step % eval_every == 0:
            hl, _ = chunked_loss(model, curve_ids, context)
            log["eval_step"].append(step)
            log["heldout"].append(hl)
            print("step %5d  held-out %.4f  (%.0f s)" % (step, hl, time.time() - t0), flush=True)
        model.train()
        lr = lr_at(step, steps, args.lr, args.warmup, args.min_lr)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = sample_batch(data_rng, train_ids, batch, context)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        log["step"].append(step)
        log["train"].append(loss.item())
        window.append(loss.item())
        if (step + 1) % 50 == 0:
            print("step %5d  train %.4f  lr %.2e  %.2f steps/s"
                  % (step + 1, sum(window) / len(window), lr, (step + 1) / (time.time() - t0)), flush=True)
            window = []
    train_seconds = time.time() - t0
    if args.bench:
        print("bench: %d steps of batch %d x context %d in %.1f s: %.3f steps/s, %.0f tokens/s"
              % (run_steps, batch, context, train_seconds, run_steps / train_seconds,
                 run_steps * batch * context / train_seconds))
        return
    hl, _ = chunked_loss(model, curve_ids, context)
    log["eval_step"].append(steps)
    log["heldout"].append(hl)
    print("trained %d steps in %.1f s" % (steps, train_seconds), flush=True)

    # ---- write ------------------------------------------------------------------------------------------------
    os.makedirs(out_dir, exist_ok=True)
    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, model.state_dict())
    n_tensors = verify_safetensors(st_path, model)

    # Every figure below comes from a fresh model built from the file just written.
    fresh = LlamaForCausalLM(config)
    fresh.load_state_dict(read_safetensors(st_path)[1])
    fresh.eval()
    heldout_loss, heldout_chars = chunked_loss(fresh, heldout_ids, context)
    slice_loss, slice_chars = chunked_loss(fresh, held_ids, context)
    train_loss, train_chars = chunked_loss(fresh, train_probe, context)
    final_batch_loss = sum(log["train"][-50:]) / len(log["train"][-50:])
    prompt_ids = [BOS] + encode(prompt)
    gen_steps = 80
    greedy_ids = greedy(fresh, prompt_ids, gen_steps)
    with torch.no_grad():
        first_logits = fresh(torch.tensor([prompt_ids]))[0, -1].tolist()
    print("held-out loss (heldout.txt, %d chars): %.6f; whole held-out slice: %.4f; train probe: %.4f"
          % (heldout_chars, heldout_loss, slice_loss, train_loss), flush=True)
    print("greedy: %r" % (prompt + decode(greedy_ids)), flush=True)

    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_tokenizer(out_dir, context)
    with open(os.path.join(out_dir, "heldout.txt"), "w", newline="\n") as f:
        f.write(heldout_file)

    eval_definition = ("heldout.txt's characters, every byte of the file including each line's newline, "
                       "encoded one id per character with no <s>, split into consecutive non-overlapping chunks "
                       "of context-1 = %d ids (the last chunk holds the rest); each chunk is evaluated as [<s>] + "
                       "chunk in one forward pass from position 0; the loss is the mean, over every character of "
                       "every chunk, of -log softmax(logits at the previous position)[character], in nats"
                       % (context - 1))
    reference = {
        "prompt": prompt,
        "prompt_ids": prompt_ids,
        "greedy_steps": gen_steps,
        "greedy_ids": greedy_ids,
        "greedy_text": decode(greedy_ids),
        "greedy": "argmax of the last position's logits, no sampling, float32, eval mode, one token at a time, "
                  "each step one forward pass over the whole growing sequence (prompt_ids + ids so far)",
        "heldout": {"file": "heldout.txt", "context": context, "chunk": context - 1,
                    "windows": eval_definition, "loss": heldout_loss, "characters": heldout_chars},
        "logits_first_step": first_logits,
    }
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        f.write(dumps_compact(reference))

    facts = dict(
        task=args.task, steps=steps, batch=batch, context=context, lr=args.lr, min_lr=args.min_lr,
        warmup=args.warmup, weight_decay=args.weight_decay, seed=args.seed, threads=torch.get_num_threads(),
        train_seconds=train_seconds, n_params=n_params, n_tensors=n_tensors, heldout_loss=heldout_loss,
        heldout_chars=heldout_chars, slice_loss=slice_loss, slice_chars=slice_chars, train_loss=train_loss,
        train_chars=train_chars, final_batch_loss=final_batch_loss, prompt=prompt, greedy_text=decode(greedy_ids),
        train_text_chars=len(train_ids), held_text_chars=len(held_ids), eval_definition=eval_definition,
        eval_every=eval_every, torch_version=torch.__version__, numpy_version=np.__version__, cpu=cpu_name(),
        torch_package=package_version("python3-torch"), blas=blas_library(),
        python=platform.python_version(), argv=" ".join(sys.argv[1:]),
        st_bytes=os.path.getsize(st_path))
    if kjv:
        facts.update(bible_version=package_version("bible-kjv"),
                     bible_text_version=package_version("bible-kjv-text"),
                     n_verses=len(verses), n_train_verses=len(train_verses), n_held_verses=len(held_verses),
                     held_first=ref(held_verses[0]), held_last=ref(held_verses[-1]),
                     heldout_file_last=ref(heldout_last), heldout_file_verses=heldout_file.count("\n"))
    else:
        facts.update(induction=induction_summary(fresh, prompt_ids + greedy_ids, prompt))
    with open(os.path.join(out_dir, "training-log.json"), "w") as f:
        f.write(dumps_compact({"facts": facts, "log": log}))
    write_docs(out_dir, plot, facts, log)
    print("wrote %s" % out_dir, flush=True)


def dumps_compact(obj):
    """JSON with one top-level (and second-level) key per line and every list on one line."""
    def inner(v, depth):
        if isinstance(v, dict) and depth < 2:
            pad = "  " * (depth + 1)
            items = ",\n".join("%s%s: %s" % (pad, json.dumps(k), inner(x, depth + 1)) for k, x in v.items())
            return "{\n%s\n%s}" % (items, "  " * depth)
        return json.dumps(v)
    return inner(obj, 0) + "\n"


def write_docs(out_dir, plot, facts, log):
    if facts["task"] == "kjv":
        if plot:
            write_plot(plot, log, facts)
        write_readme_kjv(out_dir, facts)
    else:
        write_readme_copy(out_dir, facts)


def blas_library():
    """The BLAS shared library this process loaded (what libblas.so.3 resolved to)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libblas" in line and "/" in line}
        return ", ".join(sorted(paths)) or "none found"
    except OSError:
        return "unknown"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_tokenizer(out_dir, context):
    vocab = {tok: i for i, tok in enumerate(VOCAB)}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": []},
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, indent=2, ensure_ascii=True)
        f.write("\n")
    tconf = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
             "unk_token": "<unk>", "pad_token": "<pad>", "clean_up_tokenization_spaces": False,
             "model_max_length": context, "tokenizer_class": "PreTrainedTokenizerFast"}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tconf, f, indent=2)
        f.write("\n")


def write_plot(path, log, facts):
    steps, context, batch = facts["steps"], facts["context"], facts["batch"]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tr = np.array(log["train"])
    k = min(25, len(tr))
    smooth = np.convolve(tr, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot(log["step"], tr, color="#9ecae1", lw=0.6, label="train (each batch)")
    ax.plot(np.arange(k - 1, len(tr)), smooth, color="#08519c", lw=1.5, label="train (mean of %d batches)" % k)
    ax.plot(log["eval_step"], log["heldout"], "o-", color="#e6550d", ms=3, lw=1.5,
            label="held-out (%s to %s, not trained on)" % (facts["held_first"], facts["held_last"]))
    ax.set_xlabel("optimizer step (batch %d x %d characters)" % (batch, context))
    ax.set_ylabel("cross-entropy per character (nats)")
    ax.set_title("kjv-char: character-level LLaMA (seed-tiny shape) on the King James Bible")
    ax.set_ylim(0.8, 4.8)
    ax.set_xlim(0, steps)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


@torch.no_grad()
def induction_summary(model, ids, prompt):
    """For the copy model: the mean attention of each layer-1 head, over the copied half of the sequence, on the
    position one after the earlier occurrence of the current token (the induction target), and on the token
    itself there (the earlier occurrence)."""
    _, probs = model(torch.tensor([ids]), want_probs=True)
    sep = ids.index(CHAR_TO_ID[COPY_SEP])
    n = sep - 1  # letters before the separator (after <s>)
    out = {}
    for layer in range(len(probs)):
        heads = []
        for h in range(probs[layer].shape[1]):
            p = probs[layer][0, h]
            # query at position q = sep + j (it has just read letter j-1 of the copy, or the separator when j=0)
            # predicts letter j, which sits at position 1 + j in the first half.
            on_target = [p[sep + j, 1 + j].item() for j in range(n)]
            heads.append(round(float(np.mean(on_target)), 4))
        out["layer %d" % layer] = heads
    return out


def write_readme_kjv(out_dir, f):
    text = """# kjv-char: a character-level LLaMA trained on the King James Bible

A small model that has learned something, so kvscope's pictures mean something: HF `LlamaForCausalLM` with
seed-tiny's exact shape (vocab 100, hidden 256, intermediate 512, 2 layers, 4 heads, 4 kv heads,
rms_norm_eps 1e-6, rope_theta 10000, untied lm_head), {n_params:,} parameters in {n_tensors} float32 tensors,
trained on the characters of the King James Version of the Bible.

Made by `scripts/train-char-model.py`; every file here is that script's output. CI does not retrain.

| file | what |
|---|---|
| `config.json` | HF Llama config; `max_position_embeddings` {context} = the training context |
| `model.safetensors` | the weights, float32, HF parameter names ({st_bytes:,} bytes) |
| `tokenizer.json`, `tokenizer_config.json` | the character tokenizer as an HF fast tokenizer |
| `heldout.txt` | held-out text for the loss check ({heldout_chars:,} characters) |
| `reference.json` | the script's own PyTorch results, for kvscope's tests |
| `training-log.json` | the loss curves and every figure quoted here |

## Source and licence

- Text: Debian package `bible-kjv-text` {bible_text_version}, read through `bible-kjv` {bible_version}'s
  `bible -l0 gen1:1-rev22:21` (one verse per line, {n_verses:,} verses, 66 books). The verse references and
  book/chapter headings are stripped: the corpus is plain English text, one verse per line, each ending in `\\n`.
  The text is pure printable ASCII, so no character maps to `<unk>`.
- Licence: the King James Version text is in the public domain. The package's
  `/usr/share/doc/bible-kjv-text/copyright` says: "The copyright for the King James Version text of the Bible
  is expired since the translation was done in 1611 under King James the first of Great Britain."
  (The package's retrieval program is GPL-2+; none of it is used here beyond running it.)

## Held out

The last 2% of verses, {n_held_verses} verses from {held_first} to {held_last} ({held_text_chars:,} characters),
are never trained on. Training uses the other {n_train_verses:,} verses ({train_text_chars:,} characters).
`heldout.txt` is the first whole held-out verses that reach 4,000 characters ({heldout_file_verses} verses,
{held_first} to {heldout_file_last}).

**Held-out loss**, as defined for kvscope to reproduce: {eval_definition}.
On `heldout.txt` ({heldout_chars:,} characters) it is **{heldout_loss:.4f} nats per character**
({heldout_bits:.3f} bits); reference.json holds the full-precision figure {heldout_loss!r}.
The same measure over the whole held-out slice ({slice_chars:,} characters) is {slice_loss:.4f}, and over the
first {train_chars:,} characters of the training text (Genesis) it is {train_loss:.4f} (final train loss).
The mean training-batch loss over the last 50 steps was {final_batch_loss:.4f}.

## Tokenizer

Exactly 100 ids: 0 `<unk>`, 1 `<s>` (BOS), 2 `</s>` (EOS), 3 `<pad>`, 4 `\\n`, then printable ASCII 0x20..0x7E in
order as ids 5..99 (space is 5, `A` is 38, `a` is 70). Any other character is `<unk>`, one per character.
`tokenizer.json` is an HF BPE with this vocabulary, no merges, no normalizer and no pre-tokenizer, so it
tokenizes character by character; its post-processor adds `<s>`, and `tokenizer_config.json` sets
`add_bos_token` true and `add_eos_token` false. (Like any HF tokenizer, it also matches the four special
tokens' literal strings, such as `<s>`, as added tokens; the script never meets them in the text.)

## Training

```
/usr/bin/python3 scripts/train-char-model.py{argv_sp}
```

(Debian's `/usr/bin/python3` {python} with `python3-torch` {torch_package} (torch {torch_version}),
`python3-numpy` {numpy_version}, `python3-matplotlib`; BLAS: `{blas}`. Debian's torch calls whatever
`libblas.so.3` is; with the reference BLAS training is about 8 times slower, so install
`libopenblas0-pthread` first. Its results can differ in the last bits from another BLAS or CPU, so a rerun
elsewhere gives a model that is equivalent, not byte-identical.)

- Sequences: `<s>` followed by a random window of {context} characters of the training text (uniform start
  positions, from a `numpy.random.RandomState(seed)` stream); the model reads the first {context} tokens
  (`<s>` + {context_m1} characters, positions 0..{context_m1}) and predicts all {context} characters.
- Batch {batch} sequences, {steps} steps ({tokens:,} predicted characters, about {epochs:.2f} passes over the
  training text).
- AdamW (betas 0.9, 0.95, eps 1e-8, weight decay {weight_decay} on matrices and embeddings, none on norm
  weights), peak learning rate {lr} after {warmup} linear warm-up steps, cosine decay to {min_lr}; gradient norm
  clipped at 1.0. Initialisation as HF's: normal(0, 0.02) for every linear and embedding weight, ones for norms.
- Seed {seed} (`torch.manual_seed`, `numpy.random.seed`, the batch stream), `torch.use_deterministic_algorithms`.
- **{threads} threads** (`torch.set_num_threads({threads})` and the BLAS thread count) on a 2-core machine (CPU: {cpu}): **{train_minutes:.1f} minutes** of
  training ({train_seconds:.0f} s, held-out evaluations included, the final writes and checks not).
- Loss curves: `docs/img/kjv-char-loss.png` (the train loss of every batch; the held-out loss every
  {eval_every} steps on the first 128 chunks of the held-out slice, by the definition above).
- `training-log.json` holds those curves and the figures in this README;
  `scripts/train-char-model.py --rewrite-docs` rewrites this README and the PNG from it without training.

![loss curves](../../../docs/img/kjv-char-loss.png)

## Sample

Greedy (argmax, no sampling) continuation of `{prompt}` for 80 characters, from reference.json:

```
{prompt}{greedy_text}
```

## reference.json

What kvscope's tests check against, all computed in float32 by the script's own model, rebuilt from the
written `model.safetensors`, in eval mode:

- `prompt`, `prompt_ids` (with `<s>`), `greedy_ids`: 80 greedy ids, one token at a time, each step one forward
  pass over the whole growing sequence; `greedy_text` their decoded text.
- `logits_first_step`: the 100 logits at the last prompt position.
- `heldout`: the file, the context, the definition above, the loss and the number of characters.

The script also reads `model.safetensors` back (parses the header, checks offsets are contiguous and
non-overlapping, compares every tensor with the trained one) before it finishes.
"""
    f = dict(f)
    f["heldout_bits"] = f["heldout_loss"] / math.log(2)
    f["context_m1"] = f["context"] - 1
    f["tokens"] = f["steps"] * f["batch"] * f["context"]
    f["epochs"] = f["tokens"] / f["train_text_chars"]
    f["train_minutes"] = f["train_seconds"] / 60
    f["argv_sp"] = (" " + f["argv"]) if f["argv"] else ""
    with open(os.path.join(out_dir, "README.md"), "w") as fh:
        fh.write(text.format(**f))


def write_readme_copy(out_dir, f):
    text = """# copy-induction: a LLaMA of seed-tiny's shape trained to copy

A model whose attention is easy to read: HF `LlamaForCausalLM` with seed-tiny's exact shape (vocab 100, hidden
256, intermediate 512, 2 layers, 4 heads, 4 kv heads, untied lm_head; {n_params:,} float32 parameters) and the
same 100-id character tokenizer as `../kjv-char` (identical `tokenizer.json` and `tokenizer_config.json`),
trained on lines `<letters>|<the same letters>\\n`: a random string of 8 to 24 lower-case letters, the separator
`|`, the same string again. After the separator the model can only be right by looking back: at each copied
position an induction head in layer 1 attends to the character *after* the earlier occurrence of the current
character, which is the one to predict. The data is synthetic (numpy, seeded), so there is no licence question.

Made by `scripts/train-char-model.py --task copy`; every file here is that script's output. CI does not retrain.

## Training

```
/usr/bin/python3 scripts/train-char-model.py{argv_sp}
```

Sequences `<s>` + a random window of {context} characters of {train_text_chars:,} characters of copy lines (so
windows usually start mid-line); batch {batch}, {steps} steps, AdamW, peak learning rate {lr}, {warmup} warm-up
steps, cosine decay to {min_lr}, weight decay {weight_decay}, seed {seed}; {threads} thread (CPU: {cpu}),
{train_minutes:.1f} minutes. Same software as kjv-char (see its README). `config.json`'s `max_position_embeddings` is {context}, the training context.

## Held out and reference.json

`heldout.txt` is {heldout_chars:,} characters of copy lines from another seed. The held-out loss is defined as
for kjv-char: {eval_definition}. It is **{heldout_loss:.4f}** nats per character (about half of every line is
random letters, which cannot be predicted: log 26 = 3.26 nats each, so a perfect copier scores about
1.5-1.7). The whole held-out set ({slice_chars:,} characters) gives {slice_loss:.4f}.

reference.json holds the greedy continuation of `{prompt}` (80 ids, computed one token at a time over the
whole growing sequence), its first-step logits, and the held-out figure:

```
{prompt}{greedy_text}
```

## Attention

For the prompt and its greedy continuation, the mean attention weight each head puts, at each position of the
copy, on the position one after the earlier occurrence of the current character (the induction target):

{induction_table}

A head near 1.0 is an induction head: open this model in kvscope, type `{prompt}`, and the layer 1 heatmap shows
a clean diagonal shifted by one, parallel to the main diagonal, one string length back.
"""
    f = dict(f)
    f["train_minutes"] = f["train_seconds"] / 60
    f["argv_sp"] = (" " + f["argv"]) if f["argv"] else ""
    rows = ["| layer | head 0 | head 1 | head 2 | head 3 |", "|---|---|---|---|---|"]
    for layer, heads in f["induction"].items():
        rows.append("| %s | %s |" % (layer.split()[1], " | ".join("%.3f" % h for h in heads)))
    f["induction_table"] = "\n".join(rows)
    with open(os.path.join(out_dir, "README.md"), "w") as fh:
        fh.write(text.format(**f))


if __name__ == "__main__":
    main()
