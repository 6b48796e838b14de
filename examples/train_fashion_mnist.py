#!/usr/bin/python3
"""Train the Fashion-MNIST demo CNN in float, quantize it to int8, write the model.

Run once by hand (CI does not run it); the results are committed next to this
script. Uses Debian's python3-torch and python3-numpy:

    apt-get install python3-torch python3-numpy dataset-fashion-mnist
    /usr/bin/python3 examples/train_fashion_mnist.py              # models/fmnist_cnn.chmq
    /usr/bin/python3 examples/train_fashion_mnist.py --prune 0.2  # models/fmnist_cnn_sparse.chmq

--prune D keeps a fraction D of every layer's weights (0.2 = 80% sparsity):
after the dense training, magnitude pruning in steps (keep 60%, 40%, 30%,
then D), each followed by two epochs of fine-tuning with the pruned
weights held at zero (Han et al., "Learning both Weights and Connections").

Network (NHWC on the device, int8 everywhere):
    conv 3x3 1->16 pad 1 + ReLU -> maxpool 2 -> conv 3x3 16->32 pad 1 + ReLU
    -> maxpool 2 -> fc 1568->64 + ReLU -> fc 64->10

Quantization follows TFLite's int8 scheme: activations asymmetric per tensor
(scale, zero point), weights symmetric per output channel, bias int32 at scale
s_in * s_w, requantization by a Q31 multiplier and a power-of-two shift.

File format (.chmq, little-endian), read by examples/cnn_model.c:
    "CHMQ" u32 version=1 u32 n_layers
    u32 H u32 W u32 C  f32 in_scale  i32 in_zp  f32 float_accuracy_percent
    then per layer: u32 type (1 conv, 2 maxpool, 3 fc) and
      conv:    u32 cin cout kh kw stride pad relu  i32 in_zp out_zp
               i8 w[cout][kh][kw][cin]  i32 bias[cout] mult[cout] shift[cout]
      maxpool: u32 k stride
      fc:      u32 in out relu  i32 in_zp out_zp
               i8 w[out][in]  i32 bias[out] mult[out] shift[out]
"""
import gzip
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "fmnist_cnn.chmq")


def load_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    if magic == 0x803:
        n, r, c = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, r, c)
    n = struct.unpack(">I", raw[4:8])[0]
    return np.frombuffer(raw, np.uint8, offset=8).reshape(n)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.f1 = nn.Linear(32 * 7 * 7, 64)
        self.f2 = nn.Linear(64, 10)

    def forward(self, x, taps=None):
        a1 = F.relu(self.c1(x))
        a2 = F.relu(self.c2(F.max_pool2d(a1, 2)))
        p2 = F.max_pool2d(a2, 2)
        a3 = F.relu(self.f1(p2.flatten(1)))
        a4 = self.f2(a3)
        if taps is not None:
            taps.extend([a1, a2, a3, a4])
        return a4


def quantize_multiplier(real):
    """TFLite's rule: real = q * 2^(shift - 31), q in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    frac, exp = math.frexp(real)
    q = int(round(frac * (1 << 31)))
    if q == (1 << 31):
        q //= 2
        exp += 1
    if exp < -31:  # too small to matter (a pruned-away channel): every output rounds to 0
        return 0, 0
    return q, exp


def act_qparams(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    zp = int(round(-128 - lo / scale))
    return scale, max(-128, min(127, zp))


def quant_layer(weight, bias, s_in, s_out):
    w = weight.detach().numpy().astype(np.float64)
    oc = w.shape[0]
    flat = w.reshape(oc, -1)
    s_w = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
    qw = np.clip(np.round(flat / s_w[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
    qb = np.round(bias.detach().numpy() / (s_in * s_w)).astype(np.int64)
    qb = np.clip(qb, -(1 << 31), (1 << 31) - 1).astype(np.int32)
    mult, shift = zip(*(quantize_multiplier(s_in * s_w[c] / s_out) for c in range(oc)))
    return qw, qb, np.array(mult, np.int32), np.array(shift, np.int32)


def train_epochs(net, xtr, ytr, xte, yte, epochs, masks=None, lr=1e-3):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for ep in range(epochs):
        perm = torch.randperm(len(xtr))
        net.train()
        for i in range(0, len(xtr), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(net(xtr[idx]), ytr[idx]).backward()
            opt.step()
            if masks:
                with torch.no_grad():
                    for p, m in masks:
                        p.mul_(m)
        net.eval()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item() * 100
        print(f"epoch {ep + 1}{' (pruned)' if masks else ''}: float test accuracy {acc:.2f}%",
              flush=True)


def prune(net, keep):
    """Masks keeping the largest |w| fraction `keep` of each layer's weights."""
    masks = []
    for layer in (net.c1, net.c2, net.f1, net.f2):
        w = layer.weight.data
        k = max(1, int(round(keep * w.numel())))
        thresh = w.abs().flatten().kthvalue(w.numel() - k + 1).values
        m = (w.abs() >= thresh).float()
        w.mul_(m)
        masks.append((layer.weight, m))
    return masks


def main():
    global OUT
    keep_final = None
    if len(sys.argv) == 3 and sys.argv[1] == "--prune":
        keep_final = float(sys.argv[2])
        OUT = OUT.replace("fmnist_cnn.chmq", "fmnist_cnn_sparse.chmq")
    torch.manual_seed(1)
    torch.set_num_threads(os.cpu_count() or 2)
    xtr = torch.tensor(load_idx("train-images-idx3-ubyte.gz"), dtype=torch.float32)[:, None] / 255.0
    ytr = torch.tensor(load_idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    xte = torch.tensor(load_idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32)[:, None] / 255.0
    yte = torch.tensor(load_idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)

    net = Net()
    train_epochs(net, xtr, ytr, xte, yte, int(os.environ.get("EPOCHS", "10")))
    if keep_final is not None:
        for keep in [k for k in (0.6, 0.4, 0.3) if k > keep_final] + [keep_final]:
            masks = prune(net, keep)
            print(f"pruned to keep {keep:.0%} of each layer's weights", flush=True)
            train_epochs(net, xtr, ytr, xte, yte, 2, masks, lr=5e-4)

    # Calibrate activation ranges on 5,000 training images.
    taps = []
    with torch.no_grad():
        net(xtr[:5000], taps)
    ranges = [(t.min().item(), t.max().item()) for t in taps]
    s_in, zp_in = 1.0 / 255.0, -128  # pixel p -> q = p - 128, exact
    qp = [act_qparams(lo, hi) for lo, hi in ranges]

    layers = []
    s_prev, zp_prev = s_in, zp_in
    convs = [(net.c1, qp[0]), (net.c2, qp[1])]
    for conv, (s_out, zp_out) in convs:
        qw, qb, m, sh = quant_layer(conv.weight, conv.bias, s_prev, s_out)
        qw = qw.transpose(0, 2, 3, 1)  # OIHW -> OHWI
        layers.append(("conv", dict(cin=qw.shape[3], cout=qw.shape[0], k=3, stride=1, pad=1, relu=1,
                                    in_zp=zp_prev, out_zp=zp_out, w=qw, b=qb, m=m, sh=sh)))
        layers.append(("pool", dict(k=2, stride=2)))
        s_prev, zp_prev = s_out, zp_out
    # fc1 sees the NHWC flatten (h, w, c); torch flattens (c, h, w).
    w1 = net.f1.weight.detach().reshape(64, 32, 7, 7).permute(0, 2, 3, 1).reshape(64, -1)
    fcs = [(w1, net.f1.bias, qp[2], 1), (net.f2.weight, net.f2.bias, qp[3], 0)]
    for w, b, (s_out, zp_out), relu in fcs:
        qw, qb, m, sh = quant_layer(w, b, s_prev, s_out)
        layers.append(("fc", dict(inp=qw.shape[1], out=qw.shape[0], relu=relu, in_zp=zp_prev,
                                  out_zp=zp_out, w=qw, b=qb, m=m, sh=sh)))
        s_prev, zp_prev = s_out, zp_out

    with torch.no_grad():
        facc = (net(xte).argmax(1) == yte).float().mean().item() * 100
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(b"CHMQ" + struct.pack("<II", 1, len(layers)))
        f.write(struct.pack("<IIIfif", 28, 28, 1, s_in, zp_in, facc))
        for kind, L in layers:
            if kind == "conv":
                f.write(struct.pack("<8I2i", 1, L["cin"], L["cout"], L["k"], L["k"], L["stride"],
                                    L["pad"], L["relu"], L["in_zp"], L["out_zp"]))
            elif kind == "pool":
                f.write(struct.pack("<3I", 2, L["k"], L["stride"]))
                continue
            else:
                f.write(struct.pack("<4I2i", 3, L["inp"], L["out"], L["relu"], L["in_zp"], L["out_zp"]))
            f.write(np.ascontiguousarray(L["w"], np.int8).tobytes())
            for key in ("b", "m", "sh"):
                f.write(np.ascontiguousarray(L[key], "<i4").tobytes())
    print(f"float test accuracy {facc:.2f}%; wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
