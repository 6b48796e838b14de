#!/usr/bin/python3
"""Train the Cora demo's 2-layer GCN in float and write its weights.

Run once by hand (CI does not run it); the result is committed next to this
script. Uses Debian's python3-torch and python3-numpy; reads Cora where the
workspace keeps it (never copied into the repository):

    apt-get install python3-torch python3-numpy
    /usr/bin/python3 examples/train_cora_gcn.py [CORA_DIR]   # models/cora_gcn.chmg

Model (Kipf & Welling, ICLR 2017): features row-normalised,
A_hat = D^-1/2 (A + I) D^-1/2,
    H = relu(A_hat X W1^T + b1),  logits = A_hat H W2^T + b2,
16 hidden units, dropout 0.5, Adam lr 0.01, weight decay 5e-4, 200 epochs,
trained on the 140 Planetoid training nodes, the epoch with the best
validation accuracy kept.

File format (.chmg, little-endian), read by examples/cora_gcn.c:
    "CHMG" u32 version=1 u32 F u32 H u32 C u32 N  f32 float_test_accuracy_percent
    f32 W1[H][F] f32 b1[H] f32 W2[C][H] f32 b2[C]
    u8 pred[N]   the float model's class for every node (PyTorch, eval mode)
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CORA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "cora")
OUT = os.path.join(HERE, "models", "cora_gcn.chmg")


def read_mtx(path):
    with open(path) as f:
        banner = f.readline().split()
        line = f.readline()
        while line.startswith("%"):
            line = f.readline()
        rows, cols, nnz = (int(t) for t in line.split())
        ent = [l.split() for l in f if l.strip() and not l.startswith("%")]
    assert len(ent) == nnz
    i = np.array([int(e[0]) - 1 for e in ent])
    j = np.array([int(e[1]) - 1 for e in ent])
    v = np.array([float(e[2]) for e in ent]) if banner[3] != "pattern" else np.ones(nnz)
    return rows, cols, i, j, v, banner[4] == "symmetric"


def ids(name):
    with open(os.path.join(CORA, name)) as f:
        return torch.tensor([int(l) for l in f if l.strip()])


def main():
    torch.manual_seed(0)
    n, _, i, j, _, sym = read_mtx(os.path.join(CORA, "cora.adj.mtx"))
    assert sym
    a = np.zeros((n, n), dtype=np.float64)
    a[i, j] = 1
    a[j, i] = 1
    a += np.eye(n)
    d = a.sum(1)
    a_hat = torch.tensor(a / np.sqrt(np.outer(d, d)), dtype=torch.float32)
    rows, cols, i, j, v, _ = read_mtx(os.path.join(CORA, "cora.features.mtx"))
    x = np.zeros((rows, cols), dtype=np.float32)
    x[i, j] = v
    s = x.sum(1, keepdims=True)
    x = torch.tensor(x / np.where(s == 0, 1, s))
    with open(os.path.join(CORA, "cora.labels.txt")) as f:
        y = torch.tensor([int(l) for l in f if l.strip()])
    train, val, test = ids("cora.train.txt"), ids("cora.val.txt"), ids("cora.test.txt")
    classes, hidden = int(y.max()) + 1, 16
    w1 = torch.nn.Parameter(torch.empty(hidden, cols))
    w2 = torch.nn.Parameter(torch.empty(classes, hidden))
    torch.nn.init.xavier_uniform_(w1)
    torch.nn.init.xavier_uniform_(w2)
    b1 = torch.nn.Parameter(torch.zeros(hidden))
    b2 = torch.nn.Parameter(torch.zeros(classes))
    params = [w1, b1, w2, b2]
    opt = torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)

    def forward(train_mode):
        # the bias joins after aggregation, as in Kipf & Welling and PyG's GCNConv
        h = F.dropout(x, 0.5, train_mode)
        h = F.relu(a_hat @ (h @ w1.t()) + b1)
        h = F.dropout(h, 0.5, train_mode)
        return a_hat @ (h @ w2.t()) + b2

    best, state = -1.0, None
    for epoch in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(forward(True)[train], y[train])
        loss.backward()
        opt.step()
        with torch.no_grad():
            pred = forward(False).argmax(1)
            acc = (pred[val] == y[val]).float().mean().item()
        if acc > best:
            best, state = acc, [p.detach().clone() for p in params]
    with torch.no_grad():
        for p, s_ in zip(params, state):
            p.copy_(s_)
        pred = forward(False).argmax(1)
    test_acc = 100.0 * (pred[test] == y[test]).float().mean().item()
    print(f"validation {100 * best:.1f}%, test {test_acc:.1f}%")
    with open(OUT, "wb") as f:
        f.write(b"CHMG" + struct.pack("<5If", 1, cols, hidden, classes, n, test_acc))
        for p in params:
            f.write(p.detach().numpy().astype("<f4").tobytes())
        f.write(pred.numpy().astype(np.uint8).tobytes())
    print("wrote", OUT)


if __name__ == "__main__":
    main()
