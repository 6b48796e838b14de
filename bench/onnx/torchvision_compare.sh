#!/usr/bin/env bash
# Quantized CNNs from outside this project on Chimera's emulated card and
# under ONNX Runtime's CPU provider, same model files and inputs: torchvision's
# ResNet-18, ResNet-50 and MobileNetV2, quantized by PyTorch's own eager-mode
# flow and written by torch.onnx.export (bench/onnx/torchvision_qdq.py), 64
# random inputs of 3 x 64 x 64 each. Prints, a model each, the card time and
# energy per input and how many of the 640 outputs equal ONNX Runtime's and
# PyTorch's own. Needs python3-torch and python3-torchvision (Debian;
# `apt-get install python3-torch python3-torchvision`, about 1 GB) and
# onnxruntime-node (npm, installed with --ignore-scripts into build/ort).
# Not part of the tests. Run after a build:
#   bash bench/onnx/torchvision_compare.sh [--full-range]
# --full-range: 8-bit activations (PyTorch's onednn default) instead of 7-bit;
# then ONNX Runtime is run twice, optimized (its QLinearConv kernels) and
# unoptimized (the QDQ nodes as written, in float).
set -euo pipefail
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
if ! $py -c "import torch, torchvision" 2>/dev/null; then
  echo "needs python3-torch and python3-torchvision: apt-get install python3-torch python3-torchvision" >&2
  exit 1
fi
ort=build/ort
if [ ! -d $ort/node_modules/onnxruntime-node ]; then
  mkdir -p $ort
  (cd $ort && npm install --silent --ignore-scripts --no-audit --no-fund onnxruntime-node)
fi
full=${1:-}
bits=7
[ -n "$full" ] && bits=8
out=build/tv
mkdir -p $out
for m in resnet18 resnet50 mobilenet_v2; do
  p=$out/$m${full:+_full}
  $py bench/onnx/torchvision_qdq.py $m 64 64 $p $full > $p.export.log 2>&1
  echo "== $m (torchvision, PyTorch $($py -c 'import torch; print(torch.__version__)'), $bits-bit activations)"
  CHIMERA_EMU_THREADS=1 ./build/chimera run $p.onnx --input $p.x.npy --output $p.chimera.bin > $p.run.log
  grep -E "^model|^total:|an input" $p.run.log
  scale=$(sed -n 's/^output.*scale \([0-9.e+-]*\),.*/\1/p' $p.run.log)
  for level in all ${full:+disabled}; do
    ORT_OPT=$level NODE_PATH=$PWD/$ort/node_modules node bench/onnx/ort_npy.js $p.onnx \
      $p.x.npy $p.chimera.bin "$scale" $p.torch.npy
  done
done
