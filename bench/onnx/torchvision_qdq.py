#!/usr/bin/env python3
"""Quantized ONNX models from outside this project: torchvision's quantizable
CNNs (ResNet-18/50, MobileNetV2), quantized by PyTorch's own eager-mode flow
(fuse_model, prepare, calibrate, convert) and written by torch.onnx.export
(QDQ form, opset 13). Used by bench/onnx/torchvision_compare.sh.

No pretrained weights are downloaded: the weights are torchvision's seeded
initialisation, with batch-norm statistics gathered on random images first,
so every layer sees values of a realistic spread. The numbers the model
computes do not depend on what it was trained for; the point is the
producer (PyTorch's quantizer and exporter, not ours) and the architecture.

  torchvision_qdq.py NAME SIZE N OUT_PREFIX [--full-range]

writes OUT_PREFIX.onnx, OUT_PREFIX.x.npy (N inputs, float32 NCHW in [0, 1))
and OUT_PREFIX.torch.npy (PyTorch's own quantized outputs for them).
Activations are quantized with reduce_range (7-bit, as PyTorch's fbgemm
configuration does) unless --full-range: ONNX Runtime's x86 u8s8 kernels
may saturate 16-bit pair sums on machines without VNNI when 8-bit
activations meet int8 weights, so the 7-bit form is the one a CPU reference
computes exactly everywhere.
"""
import sys

import numpy as np
import torch
import torchvision
from torch.ao.quantization import (HistogramObserver, QConfig, convert,
                                   default_per_channel_weight_observer,
                                   get_default_qconfig, prepare)


def main():
    name, size, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    full_range = '--full-range' in sys.argv[5:]
    torch.manual_seed(0)
    torch.backends.quantized.engine = 'onednn'
    gen = torch.Generator().manual_seed(1)
    ctor = getattr(torchvision.models.quantization, name)
    m = ctor(weights=None, quantize=False, num_classes=10)
    m.train()
    with torch.no_grad():  # batch-norm running statistics from random images
        for _ in range(4):
            m(torch.rand(8, 3, size, size, generator=gen))
    m.eval()
    m.fuse_model()
    if full_range:
        m.qconfig = get_default_qconfig('onednn')
    else:
        m.qconfig = QConfig(activation=HistogramObserver.with_args(reduce_range=True),
                            weight=default_per_channel_weight_observer)
    prepare(m, inplace=True)
    with torch.no_grad():  # calibration
        for _ in range(8):
            m(torch.rand(4, 3, size, size, generator=gen))
    convert(m, inplace=True)
    x = torch.rand(n, 3, size, size, generator=gen)
    with torch.no_grad():
        y = m(x)
    torch.onnx.export(m, x, out + '.onnx', opset_version=13, input_names=['x'],
                      output_names=['y'], dynamic_axes={'x': {0: 'n'}, 'y': {0: 'n'}})
    np.save(out + '.x.npy', x.numpy().astype(np.float32))
    np.save(out + '.torch.npy', y.numpy().astype(np.float32))


if __name__ == '__main__':
    main()
