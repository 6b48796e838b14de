#!/usr/bin/python3
"""Quantized ONNX models for test_onnx, written with python3-onnx (no
framework needed), and their expected outputs from an independent numpy
reference that reads the ONNX graph's own tensors (NCHW, OIHW) and applies
either of the card's requantization rules.

    make_models.py OUTDIR CHMQ_DENSE CHMQ_SPARSE

writes into OUTDIR:
  fmnist_qdq.onnx, fmnist_sparse_qdq.onnx  the demo's models in QDQ form (the
        pruned one with its weights as sparse_initializer)
  ops_qdq.onnx + ops_qdq_{in,out,float}.pb  a CNN touching every supported
        op: odd sizes, asymmetric pads, dilation, groups, depthwise, strides,
        residual Add, ReLU6, pools, Flatten, Gemm, MatMul; QDQ form
  ops_qop.onnx + ops_qop_{in,out,float}.pb  QOperator form, uint8 activations
  bad_*.onnx  models each refused for one reason
*_out.pb is the reference with TFLite's fixed-point rule in every conv and
matmul layer (chm_model_opts.fixed_point_requant); *_float.pb with ONNX
Runtime's float32 rule there (rint(float32(acc) * scale), the importer's
default). Add and the pools round as the card does under either.

  make_models.py --rewrite-chmq CHMQ
rewrites a .chmq's multipliers as the float32 scales of its ONNX export give
them (ONNX keeps scales as float32; .chmq kept 31-bit multipliers), so the
two files describe the same integer network. Done once for the committed
models; running it again changes nothing.
"""
import math
import struct
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
F32 = np.float32

# ------------------------------------------------------------ fixed point


def quantize_multiplier(real):
    """chm_quantize_multiplier: real = q * 2^(shift - 31), ties away from zero."""
    if real == 0.0:
        return 0, 0
    frac, exp = math.frexp(real)
    q = int(math.floor(frac * 2147483648.0 + 0.5))
    if q == 1 << 31:
        q //= 2
        exp += 1
    if exp < -31:
        return 0, 0
    return q, exp


def requant(acc, mult, shift):
    """gemmlowp: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT."""
    acc = np.asarray(acc, np.int64)
    mult = np.asarray(mult, np.int64)
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    x = np.clip(acc * (np.int64(1) << left), -(1 << 31), (1 << 31) - 1)
    p = x * mult + (1 << 30)
    hi = np.floor_divide(p, np.int64(1) << 31)
    half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
    pos = (hi + half) >> right
    neg = -((-hi + half) >> right)
    return np.where(hi >= 0, pos, neg)


def pad_nchw(x, pads, value):
    t, l, b, r = pads
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def conv_acc(x, xzp, w, stride, pads, dil, group):
    """Integer convolution on ONNX's layouts: x NCHW (zero point off), w OIHW."""
    xs = pad_nchw(x.astype(np.int64) - xzp, pads, 0)
    n, c, h, wd = xs.shape
    m, cg, kh, kw = w.shape
    oh = (h - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for g in range(group):
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dil[0], kx * dil[1]
                patch = xs[:, g * cg:(g + 1) * cg,
                           y0:y0 + stride[0] * (oh - 1) + 1:stride[0],
                           x0:x0 + stride[1] * (ow - 1) + 1:stride[1]]
                wk = w[g * mg:(g + 1) * mg, :, ky, kx].astype(np.int64)
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wk)
    return out


def finish(acc, xs, ws, ys, zp, lo, hi, rule, bias_axis=1):
    """A layer's output stage by either of the card's rules. 'fixed': TFLite's,
    the ratio xs * ws / ys in double precision as a Q31 multiplier. 'float':
    ONNX Runtime's, rint(float32(acc) * scale) with scale = xs * ws / ys
    evaluated in float32, every rounding to nearest even."""
    shape = [1] * acc.ndim
    shape[bias_axis] = -1
    ws = np.broadcast_to(np.asarray(ws, F32), (acc.shape[bias_axis],))
    if rule == "fixed":
        real = [float(F32(xs)) * float(w) / float(F32(ys)) for w in ws]
        mult, shift = zip(*(quantize_multiplier(r) for r in real))
        v = requant(acc, np.array(mult).reshape(shape), np.array(shift).reshape(shape))
    else:
        scale = (F32(xs) * ws) / F32(ys)
        v = np.rint(acc.astype(F32) * scale.reshape(shape)).astype(np.int64)
    return np.clip(v + zp, lo, hi)


def pool(x, k, stride, pads, avg, zp=0):
    """On integer values (zero point kept: a pool keeps the scale); padding never counts.
    An average is ONNX's Q(mean(DQ(x))) at one scale: zp + the mean of x - zp, rounded to
    nearest with ties to even (a tie is a half-integer, exact in float64)."""
    n, c, h, w = x.shape
    t, l, b, r = pads
    oh = (h + t + b - k[0]) // stride[0] + 1
    ow = (w + l + r - k[1]) // stride[1] + 1
    out = np.zeros((n, c, oh, ow), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * stride[0] - t, ox * stride[1] - l
            ys, xs = max(y0, 0), max(x0, 0)
            ye, xe = min(y0 + k[0], h), min(x0 + k[1], w)
            win = x[:, :, ys:ye, xs:xe].astype(np.int64)
            if avg:
                s = win.sum(axis=(2, 3))
                cnt = (ye - ys) * (xe - xs)
                out[:, :, oy, ox] = zp + np.rint((s - cnt * zp) / cnt).astype(np.int64)
            else:
                out[:, :, oy, ox] = win.max(axis=(2, 3))
    return out


def add_fixed(a, azp, asc, b, bzp, bsc, osc, ozp, lo, hi):
    ls = 20
    twice = 2.0 * max(float(asc), float(bsc))
    am, ash = quantize_multiplier(float(asc) / twice)
    bm, bsh = quantize_multiplier(float(bsc) / twice)
    om, osh = quantize_multiplier(twice / ((1 << ls) * float(osc)))
    ra = requant((a.astype(np.int64) - azp) << ls, am, ash)
    rb = requant((b.astype(np.int64) - bzp) << ls, bm, bsh)
    return np.clip(requant(ra + rb, om, osh) + ozp, lo, hi)


# ---------------------------------------------------------- graph builder


class G:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, arr, base="c"):
        nm = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    def node(self, op, ins, attrs=None, base=None, domain=None):
        out = self.name(base or op.lower())
        kw = dict(attrs or {})
        if domain:
            kw["domain"] = domain
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **kw))
        return out

    def q(self, x, s, zp, dt=np.int8):
        return self.node("QuantizeLinear", [x, self.const(F32(s)), self.const(dt(zp))])

    def dq(self, x, s, zp, dt=np.int8, axis=None):
        at = {"axis": axis} if axis is not None else None
        return self.node("DequantizeLinear",
                         [x, self.const(np.asarray(s, F32)), self.const(np.asarray(zp, dt))], at)

    def model(self, inp, out, opset=OPSET, sparse=None, extra_opsets=()):
        g = helper.make_graph(self.nodes, "g", [inp], [out], self.inits,
                              sparse_initializer=sparse or [])
        ops = [helper.make_opsetid("", opset)] + list(extra_opsets)
        m = helper.make_model(g, opset_imports=ops, producer_name="chimera-tests")
        m.ir_version = 8
        return m


def rng_w(rng, shape, lo=-127, hi=127):
    return rng.integers(lo, hi + 1, size=shape).astype(np.int8)


# ------------------------------------------------------------- ops (QDQ)


def ops_qdq(rng, rule):
    g = G()
    N, C, H, W = 40, 3, 11, 9
    x_f = rng.uniform(-1.0, 1.0, size=(N, C, H, W)).astype(F32)
    s_in, z_in = F32(2.0 / 255), 3
    xq = np.clip(np.rint(x_f / s_in) + z_in, -128, 127).astype(np.int64)
    cur = g.q("input", s_in, z_in)
    cur_s, cur_z = s_in, z_in
    ref = xq

    def conv(cur, cur_s, cur_z, ref, m, k, stride=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1),
             group=1, act=None, out_s=None, out_z=0):
        cg = ref.shape[1] // group
        w = rng_w(rng, (m, cg, k, k))
        ws = rng.uniform(0.002, 0.02, size=m).astype(F32)
        b = rng.integers(-3000, 3000, size=m).astype(np.int32)
        wn = g.dq(g.const(w, "w"), ws, np.zeros(m, np.int8), axis=0)
        bn = g.dq(g.const(b, "b"), (F32(cur_s) * ws).astype(F32), np.zeros(m, np.int32), np.int32,
                  axis=0)
        attrs = {"kernel_shape": [k, k], "strides": list(stride), "pads": [pads[0], pads[1],
                 pads[2], pads[3]], "dilations": list(dil), "group": group}
        y = g.node("Conv", [g.dq(cur, cur_s, cur_z), wn, bn], attrs)
        lo, hi = -128, 127
        if act == "relu":
            y = g.node("Relu", [y])
            lo = out_z
        elif act == "relu6":
            y = g.node("Clip", [y, g.const(F32(0)), g.const(F32(6))])
            lo, hi = out_z, min(127, out_z + int(np.rint(F32(6) / F32(out_s))))
        y = g.q(y, out_s, out_z)
        acc = conv_acc(ref, cur_z, w, stride, pads, dil, group) + b.reshape(1, m, 1, 1)
        return y, F32(out_s), out_z, finish(acc, cur_s, ws, out_s, out_z, lo, hi, rule)

    c1, s1, z1, r1 = conv(cur, cur_s, cur_z, ref, 8, 3, pads=(1, 0, 2, 1), act="relu",
                          out_s=0.05, out_z=-20)
    c2, s2, z2, r2 = conv(c1, s1, z1, r1, 8, 3, pads=(2, 2, 2, 2), dil=(2, 2), group=8,
                          act="relu6", out_s=0.04, out_z=-100)
    c3, s3, z3, r3 = conv(c1, s1, z1, r1, 8, 1, out_s=0.06, out_z=5)
    # residual add + ReLU (the card's add has TFLite's rule under either)
    s4, z4 = F32(0.07), -30
    a = g.node("Add", [g.dq(c2, s2, z2), g.dq(c3, s3, z3)])
    a = g.q(g.node("Relu", [a]), s4, z4)
    r4 = add_fixed(r2, z2, s2, r3, z3, s3, s4, z4, z4, 127)
    # max pool 3x3 stride 2 pad 1, then average 2x2 stride 1 (same scales)
    mp = g.q(g.node("MaxPool", [g.dq(a, s4, z4)], {"kernel_shape": [3, 3], "strides": [2, 2],
                                                    "pads": [1, 1, 1, 1]}), s4, z4)
    r5 = pool(r4, (3, 3), (2, 2), (1, 1, 1, 1), False)
    ap = g.q(g.node("AveragePool", [g.dq(mp, s4, z4)], {"kernel_shape": [2, 2],
                                                         "strides": [1, 1]}), s4, z4)
    r6 = pool(r5, (2, 2), (1, 1), (0, 0, 0, 0), True, z4)
    c7, s7, z7, r7 = conv(ap, s4, z4, r6, 16, 3, stride=(2, 2), group=2, out_s=0.08, out_z=0)
    gp = g.q(g.node("GlobalAveragePool", [g.dq(c7, s7, z7)]), s7, z7)
    r8 = pool(r7, (r7.shape[2], r7.shape[3]), (1, 1), (0, 0, 0, 0), True, z7)
    fl = g.node("Flatten", [g.dq(gp, s7, z7)], {"axis": 1})
    # Gemm 16 -> 12, transB = 1, per-channel weights, + ReLU
    M1 = 12
    w9 = rng_w(rng, (M1, 16))
    ws9 = rng.uniform(0.005, 0.02, size=M1).astype(F32)
    b9 = rng.integers(-500, 500, size=M1).astype(np.int32)
    s9, z9 = F32(0.03), -128
    gm = g.node("Gemm", [fl, g.dq(g.const(w9, "w"), ws9, np.zeros(M1, np.int8), axis=0),
                         g.dq(g.const(b9, "b"), (s7 * ws9).astype(F32), np.zeros(M1, np.int32),
                              np.int32, axis=0)], {"transB": 1})
    gm = g.q(g.node("Relu", [gm]), s9, z9)
    acc9 = (r8.reshape(N, 16) - z7) @ w9.astype(np.int64).T + b9
    r9 = finish(acc9, s7, ws9, s9, z9, z9, 127, rule)
    # MatMul 12 -> 5 (weights [K, M], per-tensor scale), no bias; float output
    w10 = rng_w(rng, (M1, 5))
    ws10 = F32(0.01)
    s10, z10 = F32(0.02), 7
    mm = g.q(g.node("MatMul", [g.dq(gm, s9, z9), g.dq(g.const(w10, "w"), ws10, np.int8(0))]),
             s10, z10)
    out = g.dq(mm, s10, z10)
    r10 = finish((r9 - z9) @ w10.astype(np.int64), s9, ws10, s10, z10, -128, 127, rule)
    g.nodes[-1].output[0] = "output"
    model = g.model(helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", C, H, W]),
                    helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 5]))
    deq = lambda q: ((q - z10).astype(F32) * s10).astype(F32)
    return model, x_f, deq(r10)


# -------------------------------------------------------- ops (QOperator)


def ops_qop(rng, rule):
    g = G()
    N, C, H, W = 40, 4, 7, 10
    xu = rng.integers(0, 256, size=(N, C, H, W)).astype(np.uint8)
    s0, z0 = F32(0.02), 128

    def qconv(x, xs, xz, ref, m, k, pads, ys, yz, group=1, stride=(1, 1)):
        cg = ref.shape[1] // group
        w = rng_w(rng, (m, cg, k, k))
        ws = rng.uniform(0.002, 0.02, size=m).astype(F32)
        b = rng.integers(-2000, 2000, size=m).astype(np.int32)
        ins = [x, g.const(F32(xs)), g.const(np.uint8(xz)), g.const(w, "w"), g.const(ws),
               g.const(np.zeros(m, np.int8)), g.const(F32(ys)), g.const(np.uint8(yz)),
               g.const(b, "b")]
        y = g.node("QLinearConv", ins, {"kernel_shape": [k, k], "pads": list(pads),
                                        "group": group, "strides": list(stride)})
        acc = conv_acc(ref, xz, w, stride, pads, (1, 1), group) + b.reshape(1, m, 1, 1)
        return y, finish(acc, xs, ws, ys, yz, 0, 255, rule)

    y1, r1 = qconv("input", s0, z0, xu, 6, 3, (1, 1, 1, 1), 0.1, 120)
    y2, r2 = qconv(y1, 0.1, 120, r1, 6, 3, (1, 1, 1, 1), 0.09, 110, group=3)
    s3, z3 = F32(0.15), 100
    ad = g.node("QLinearAdd", [y1, g.const(F32(0.1)), g.const(np.uint8(120)), y2,
                               g.const(F32(0.09)), g.const(np.uint8(110)), g.const(s3),
                               g.const(np.uint8(z3))], domain="com.microsoft")
    r3 = add_fixed(r1, 120, F32(0.1), r2, 110, F32(0.09), s3, z3, 0, 255)
    mp = g.node("MaxPool", [ad], {"kernel_shape": [2, 2], "strides": [2, 2]})
    r4 = pool(r3, (2, 2), (2, 2), (0, 0, 0, 0), False)
    fl = g.node("Flatten", [mp], {"axis": 1})
    K = r4.shape[1] * r4.shape[2] * r4.shape[3]
    M = 7
    wb = rng_w(rng, (K, M))
    sb = rng.uniform(0.001, 0.004, size=M).astype(F32)
    s5, z5 = F32(0.05), 90
    mm = g.node("QLinearMatMul", [fl, g.const(s3), g.const(np.uint8(z3)), g.const(wb, "w"),
                                  g.const(sb), g.const(np.zeros(M, np.int8)), g.const(s5),
                                  g.const(np.uint8(z5))])
    acc = (r4.reshape(N, K) - z3) @ wb.astype(np.int64)
    r5 = finish(acc, s3, sb, s5, z5, 0, 255, rule)
    out = g.dq(mm, s5, np.uint8(z5), np.uint8)
    g.nodes[-1].output[0] = "output"
    del out
    model = g.model(helper.make_tensor_value_info("input", TensorProto.UINT8, [N, C, H, W]),
                    helper.make_tensor_value_info("output", TensorProto.FLOAT, [N, M]),
                    extra_opsets=[helper.make_opsetid("com.microsoft", 1)])
    deq = lambda q: ((q - z5).astype(F32) * s5).astype(F32)
    return model, xu, deq(r5)


# ------------------------------------------------------------ FMNIST .chmq


def read_chmq(path):
    b = open(path, "rb").read()
    assert b[:4] == b"CHMQ"
    off = 4
    ver, n, H, W, C = struct.unpack_from("<5I", b, off)
    off += 20
    s_in, zp_in, acc = struct.unpack_from("<fif", b, off)
    off += 12
    layers = []
    h, w, c = H, W, C
    for _ in range(n):
        (kind,) = struct.unpack_from("<I", b, off)
        off += 4
        if kind == 2:
            k, st = struct.unpack_from("<II", b, off)
            off += 8
            layers.append(dict(kind="pool", k=k, stride=st, at=None))
            h, w = (h - k) // st + 1, (w - k) // st + 1
            continue
        if kind == 1:
            cin, cout, kh, kw, st, pad, relu, izp, ozp = struct.unpack_from("<7I2i", b, off)
            off += 36
            nw = cout * kh * kw * cin
        else:
            cin, cout, relu, izp, ozp = struct.unpack_from("<3I2i", b, off)
            off += 20
            kh = kw = st = 1
            pad = 0
            nw = cout * cin
        L = dict(kind="conv" if kind == 1 else "fc", cin=cin, cout=cout, k=kh, stride=st, pad=pad,
                 relu=relu, izp=izp, ozp=ozp, hwc=(h, w, c))
        L["w"] = np.frombuffer(b, np.int8, nw, off).copy()
        off += nw
        L["bias"] = np.frombuffer(b, np.int32, cout, off).copy()
        off += 4 * cout
        L["mult_at"] = off
        L["mult"] = np.frombuffer(b, np.int32, cout, off).copy()
        off += 4 * cout
        L["shift"] = np.frombuffer(b, np.int32, cout, off).copy()
        off += 4 * cout
        layers.append(L)
        if kind == 1:
            h, w, c = (h + 2 * pad - kh) // st + 1, (w + 2 * pad - kh) // st + 1, cout
        else:
            h, w, c = 1, 1, cout
    assert off == len(b)
    return dict(H=H, W=W, C=C, s_in=F32(s_in), zp_in=zp_in, layers=layers, raw=bytearray(b))


# Activation scale given to every layer's output: .chmq keeps the products
# in_scale * w_scale / out_scale only, so the export fixes out_scale and
# derives w_scale from it (the integer network is the same for any choice).
ACT_SCALE = F32(1.0 / 32)


def chmq_scales(mdl):
    """Per conv/fc layer: (s_in, float32 weight scales, s_out) and the multipliers they give."""
    s = mdl["s_in"]
    out = []
    for L in mdl["layers"]:
        if L["kind"] == "pool":
            continue
        real = L["mult"].astype(np.float64) * np.exp2(L["shift"].astype(np.float64) - 31)
        ws = (real * float(ACT_SCALE) / float(s)).astype(F32)
        ws = np.where(ws > 0, ws, F32(1e-30)).astype(F32)
        mult, shift = zip(*(quantize_multiplier(float(s) * float(x) / float(ACT_SCALE))
                            for x in ws))
        out.append((s, ws, ACT_SCALE, np.array(mult, np.int32), np.array(shift, np.int32)))
        s = ACT_SCALE
    return out


def rewrite_chmq(path):
    mdl = read_chmq(path)
    b = mdl["raw"]
    sc = iter(chmq_scales(mdl))
    changed = 0
    for L in mdl["layers"]:
        if L["kind"] == "pool":
            continue
        _, _, _, mult, shift = next(sc)
        changed += int(np.sum((mult != L["mult"]) | (shift != L["shift"])))
        n = L["cout"]
        b[L["mult_at"]:L["mult_at"] + 4 * n] = mult.astype("<i4").tobytes()
        b[L["mult_at"] + 4 * n:L["mult_at"] + 8 * n] = shift.astype("<i4").tobytes()
    open(path, "wb").write(bytes(b))
    print(f"{path}: {changed} multipliers rewritten")


def fmnist_onnx(path, sparse=False):
    mdl = read_chmq(path)
    g = G()
    sc = iter(chmq_scales(mdl))
    cur = g.q("image", mdl["s_in"], mdl["zp_in"])
    cur_s, cur_z = mdl["s_in"], mdl["zp_in"]
    sparse_inits = []
    for i, L in enumerate(mdl["layers"]):
        if L["kind"] == "pool":
            k, st = L["k"], L["stride"]
            cur = g.q(g.node("MaxPool", [g.dq(cur, cur_s, cur_z)],
                             {"kernel_shape": [k, k], "strides": [st, st]}), cur_s, cur_z)
            continue
        s_in, ws, s_out, _, _ = next(sc)
        assert L["izp"] == cur_z
        n = L["cout"]
        if L["kind"] == "conv":
            k = L["k"]
            w = L["w"].reshape(n, k, k, L["cin"]).transpose(0, 3, 1, 2)  # OHWI -> OIHW
        else:
            h, wd, c = L["hwc"]
            # the card flattens NHWC, ONNX's Flatten NCHW: columns from (h,w,c) to (c,h,w) order
            w = L["w"].reshape(n, h, wd, c).transpose(0, 3, 1, 2).reshape(n, h * wd * c)
        w = np.ascontiguousarray(w)
        if sparse:
            wname = g.name("w")
            idx = np.flatnonzero(w).astype(np.int64)
            sparse_inits.append(helper.make_sparse_tensor(
                numpy_helper.from_array(w.reshape(-1)[idx], wname),
                numpy_helper.from_array(idx, wname + "_idx"), list(w.shape)))
        else:
            wname = g.const(w, "w")
        wn = g.dq(wname, ws, np.zeros(n, np.int8), axis=0)
        bn = g.dq(g.const(L["bias"], "b"), (s_in * ws).astype(F32), np.zeros(n, np.int32),
                  np.int32, axis=0)
        x = g.dq(cur, cur_s, cur_z)
        if L["kind"] == "conv":
            p = L["pad"]
            y = g.node("Conv", [x, wn, bn], {"kernel_shape": [k, k], "pads": [p] * 4,
                                              "strides": [L["stride"]] * 2})
        else:
            if mdl["layers"][i - 1]["kind"] != "fc":
                x = g.node("Flatten", [x], {"axis": 1})
            y = g.node("Gemm", [x, wn, bn], {"transB": 1})
        if L["relu"]:
            y = g.node("Relu", [y])
        cur = g.q(y, s_out, L["ozp"])
        cur_s, cur_z = s_out, L["ozp"]
    g.nodes[-1].output[0] = "logits"
    ncls = mdl["layers"][-1]["cout"]
    return g.model(
        helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                      ["N", mdl["C"], mdl["H"], mdl["W"]]),
        helper.make_tensor_value_info("logits", TensorProto.INT8, ["N", ncls]),
        sparse=sparse_inits)


# --------------------------------------------------------------- refusals


def bad_models(outdir, good_bytes):
    rng = np.random.default_rng(7)

    def save(m, name):
        onnx.save(m, f"{outdir}/bad_{name}.onnx")

    def simple(op_after=None, opset=OPSET, w=None, wzp=0, wdt=np.int8, ws=None, clip=None,
               out_scale=0.2):
        g = G()
        x = g.q("input", F32(0.1), 0)
        w = rng_w(rng, (4, 2, 3, 3)) if w is None else w
        ws = np.full(4, 0.01, F32) if ws is None else ws
        y = g.node("Conv", [g.dq(x, F32(0.1), 0),
                            g.dq(g.const(w, "w"), ws, np.full(len(ws), wzp, wdt), wdt, axis=0)],
                   {"kernel_shape": [3, 3]}, base="conv")
        if op_after:
            y = g.node(op_after, [y], base="act")
        if clip:
            y = g.node("Clip", [y, g.const(F32(clip[0])), g.const(F32(clip[1]))], base="clip")
        y = g.q(y, F32(out_scale), 0)
        g.nodes[-1].output[0] = "output"
        return g.model(helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 6, 6]),
                       helper.make_tensor_value_info("output", TensorProto.INT8, [1, 4, 4, 4]),
                       opset=opset)

    save(simple(), "none")  # a control: this one loads
    save(simple("Sigmoid"), "unsupported_op")
    save(simple(opset=7), "opset")
    # loads: ReLU6 whose bound, 6 / 1e-12 steps, is far past int8 (it overflowed an int once)
    save(simple(clip=(0.0, 6.0), out_scale=1e-12), "none_relu6_tiny_scale")
    save(simple(w=rng.integers(0, 256, (4, 2, 3, 3)).astype(np.uint8), wzp=100, wdt=np.uint8),
         "uint8_weights")
    m = simple()
    t = [i for i in m.graph.initializer if i.name.startswith("w_")][0]
    t.dims[0] = 5  # 5 x 2 x 3 x 3 declared, 4 x 2 x 3 x 3 stored
    save(m, "dims")
    g = G()
    x = g.dq(g.q("input", F32(0.1), 0), F32(0.1), 0)
    y = g.node("Conv", [x, g.const(rng.uniform(-1, 1, (4, 2, 3, 3)).astype(F32), "w")],
               {"kernel_shape": [3, 3]}, base="float_conv")
    g.q(y, F32(0.2), 0)
    g.nodes[-1].output[0] = "output"
    save(g.model(helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 6, 6]),
                 helper.make_tensor_value_info("output", TensorProto.INT8, [1, 4, 4, 4])),
         "float_conv")
    # casts the card cannot do: a quantized activation to another type, a constant to a type
    # that cannot hold it
    m = torch_style(simple())
    cast = [nd for nd in m.graph.node if nd.op_type == "Cast"][0]
    cast.attribute[0].i = TensorProto.UINT8  # after an int8 QuantizeLinear
    save(m, "cast_activation")
    m = torch_style(simple())
    w = [nd for nd in m.graph.node if nd.op_type == "Constant" and nd.output[0].startswith("w_")][0]
    big = numpy_helper.from_array(np.full((4, 2, 3, 3), 300, np.int32), w.output[0])
    w.attribute[0].t.CopyFrom(big)
    cw = helper.make_node("Cast", [w.output[0]], ["w_cast"], name="w_cast", to=TensorProto.INT8)
    for nd in m.graph.node:
        nd.input[:] = ["w_cast" if x == w.output[0] else x for x in nd.input]
    m.graph.node.insert(list(m.graph.node).index(w) + 1, cw)
    save(m, "cast_overflow")
    # a ConstantOfShape asking for 2^40 elements (a few bytes in the file)
    m = torch_style(simple())
    shp = [nd for nd in m.graph.node if nd.op_type == "ConstantOfShape"]
    assert not shp  # simple() has no bias: add a zero point made that way
    dq = [nd for nd in m.graph.node if nd.op_type == "DequantizeLinear"][0]
    m.graph.node.insert(0, helper.make_node("Constant", [], ["huge_shape"], name="huge_shape",
                                            value_ints=[1 << 20, 1 << 20]))
    m.graph.node.insert(1, helper.make_node("ConstantOfShape", ["huge_shape"], ["huge_zp"],
                                            name="huge_zp",
                                            value=numpy_helper.from_array(np.array([0], np.int8))))
    dq.input[2] = "huge_zp"
    save(m, "constant_of_shape_huge")
    # a chain of Casts over a ConstantOfShape of 2^20 elements: 17 copies pass 2^24 in all
    m = torch_style(simple())
    m.graph.node.insert(0, helper.make_node("Constant", [], ["big_shape"], name="big_shape",
                                            value_ints=[1 << 20]))
    m.graph.node.insert(1, helper.make_node("ConstantOfShape", ["big_shape"], ["big_0"],
                                            name="big_0"))
    for k in range(17):
        m.graph.node.insert(2 + k, helper.make_node("Cast", [f"big_{k}"], [f"big_{k + 1}"],
                                                    name=f"big_{k + 1}", to=TensorProto.FLOAT))
    save(m, "cast_chain")
    # truncated: cut inside the weights of the FMNIST model, so a length
    # field reaches past the end of the file
    open(f"{outdir}/bad_truncated.onnx", "wb").write(good_bytes[:len(good_bytes) // 2])
    open(f"{outdir}/bad_empty_tail.onnx", "wb").write(good_bytes[:-3])


def torch_style(m):
    """The same model written the way torch.onnx.export (PyTorch 1.13) writes quantized
    models: every initializer a Constant node (scalar scales as value_float, as other
    exporters write them), a Cast to the same type after each
    QuantizeLinear, and a per-channel bias's zero points one value made by ConstantOfShape
    and a Cast to int32 (one value for every channel: past the spec's same-shape rule, as
    that exporter writes it and ONNX Runtime takes it)."""
    g = m.graph
    elem = {i.name: i.data_type for i in g.initializer}
    def constant(i):  # a scalar float as value_float, an int64 vector as value_ints
        a = numpy_helper.to_array(i)
        if i.data_type == TensorProto.FLOAT and a.ndim == 0:
            return helper.make_node("Constant", [], [i.name], name="const_" + i.name,
                                    value_float=float(a))
        if i.data_type == TensorProto.INT64 and a.ndim == 1:
            return helper.make_node("Constant", [], [i.name], name="const_" + i.name,
                                    value_ints=[int(v) for v in a])
        return helper.make_node("Constant", [], [i.name], name="const_" + i.name, value=i)

    nodes = [constant(i) for i in g.initializer]
    rename, n = {}, 0
    for nd in g.node:
        nd = onnx.NodeProto.FromString(nd.SerializeToString())
        nd.input[:] = [rename.get(x, x) for x in nd.input]
        if nd.op_type == "DequantizeLinear" and len(nd.input) == 3 and \
                elem.get(nd.input[0]) == TensorProto.INT32:
            n += 1
            shape, zeros, cast = f"ts_shape_{n}", f"ts_zeros_{n}", f"ts_zp_{n}"
            nodes.append(helper.make_node("Constant", [], [shape], name=shape,
                                          value=numpy_helper.from_array(np.array([1], np.int64))))
            nodes.append(helper.make_node("ConstantOfShape", [shape], [zeros], name=zeros,
                                          value=numpy_helper.from_array(np.array([0], np.int32))))
            nodes.append(helper.make_node("Cast", [zeros], [cast], name=cast,
                                          to=TensorProto.INT32))
            nd.input[2] = cast
        nodes.append(nd)
        if nd.op_type == "QuantizeLinear" and nd.output[0] not in [o.name for o in g.output]:
            n += 1
            cast = f"ts_cast_{n}"
            nodes.append(helper.make_node("Cast", [nd.output[0]], [cast], name=cast,
                                          to=elem[nd.input[2]]))
            rename[nd.output[0]] = cast
    out = onnx.ModelProto.FromString(m.SerializeToString())
    del out.graph.node[:], out.graph.initializer[:]
    out.graph.node.extend(nodes)
    return out


def save_pb(arr, path, name):
    open(path, "wb").write(numpy_helper.from_array(np.ascontiguousarray(arr), name)
                           .SerializeToString())


def main():
    if sys.argv[1] == "--rewrite-chmq":
        for p in sys.argv[2:]:
            rewrite_chmq(p)
        return
    outdir, dense, sparse = sys.argv[1:4]
    rng = np.random.default_rng(2026)
    for name, fn in (("ops_qdq", ops_qdq), ("ops_qop", ops_qop)):
        state = rng.bit_generator.state
        m, x, ref = fn(rng, "fixed")
        rng2 = np.random.default_rng()
        rng2.bit_generator.state = state
        m2, _, flt = fn(rng2, "float")
        assert m2.SerializeToString() == m.SerializeToString()
        onnx.checker.check_model(m)
        onnx.save(m, f"{outdir}/{name}.onnx")
        save_pb(x, f"{outdir}/{name}_in.pb", "input")
        save_pb(ref.astype(F32), f"{outdir}/{name}_out.pb", "output")
        save_pb(flt.astype(F32), f"{outdir}/{name}_float.pb", "output")
        if name == "ops_qdq":  # the same model and numbers in PyTorch's exporter's dialect
            onnx.save(torch_style(m), f"{outdir}/ops_qdq_torch.onnx")
            for suffix in ("in", "out", "float"):
                shutil.copyfile(f"{outdir}/{name}_{suffix}.pb", f"{outdir}/ops_qdq_torch_{suffix}.pb")
    m = fmnist_onnx(dense)
    onnx.checker.check_model(m)
    onnx.save(m, f"{outdir}/fmnist_qdq.onnx")
    m = fmnist_onnx(sparse, sparse=True)
    onnx.checker.check_model(m)
    onnx.save(m, f"{outdir}/fmnist_sparse_qdq.onnx")
    bad_models(outdir, open(f"{outdir}/fmnist_qdq.onnx", "rb").read())


if __name__ == "__main__":
    main()
