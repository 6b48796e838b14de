#!/usr/bin/env bash
# Sets up, builds, and runs the Fashion-MNIST demo on the emulated U250.
# Extra arguments go to the demo (e.g. --device emu:u280 --trace trace.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
./build/examples/fashion_mnist "$@"
