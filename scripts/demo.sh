#!/usr/bin/env bash
# Sets up, builds, and runs the demos on the emulated card:
#   demo.sh [ARGS]          Fashion-MNIST (CNN mode; ARGS go to it), then the Cora GCN (GRAPH mode)
#   demo.sh fashion [ARGS]  only Fashion-MNIST (e.g. --sparse x, --device emu:u280, --trace t.json)
#   demo.sh cora [ARGS]     only the Cora GCN (e.g. --device emu:u280, --trace t.json)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
case "${1:-}" in
  fashion) shift; ./build/examples/fashion_mnist "$@" ;;
  cora) shift; ./build/examples/cora_gcn "$@" ;;
  *) ./build/examples/fashion_mnist "$@"; echo; ./build/examples/cora_gcn ;;
esac
