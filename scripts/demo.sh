#!/usr/bin/env bash
# Sets up, builds, and runs the demos on the emulated card:
#   demo.sh [ARGS]          Fashion-MNIST (CNN mode; ARGS go to it), the same model from ONNX,
#                           then the Cora GCN (GRAPH mode)
#   demo.sh fashion [ARGS]  only Fashion-MNIST (e.g. --sparse x, --device emu:u280, --trace t.json)
#   demo.sh cora [ARGS]     only the Cora GCN (e.g. --device emu:u280, --trace t.json)
#   demo.sh onnx [ARGS]     only the Fashion-MNIST model from its QDQ ONNX export (chimera run)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
fm=/usr/share/datasets/fashion-mnist
onnx_demo() {
  ./build/chimera run build/tests/onnx_models/fmnist_qdq.onnx --input $fm/t10k-images-idx3-ubyte.gz \
    --labels $fm/t10k-labels-idx1-ubyte.gz "$@"
}
case "${1:-}" in
  fashion) shift; ./build/examples/fashion_mnist "$@" ;;
  cora) shift; ./build/examples/cora_gcn "$@" ;;
  onnx) shift; onnx_demo "$@" ;;
  *) ./build/examples/fashion_mnist "$@"; echo; onnx_demo; echo; ./build/examples/cora_gcn ;;
esac
