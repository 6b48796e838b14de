#!/usr/bin/env bash
# Sets up, builds, and runs every test suite twice: in an optimised build and
# in an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs="$(nproc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
# The sanitizer build simulates the rtl engines at the small size only (the
# 32 x 32 model is the same RTL; it doubles the build for no new coverage).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCHM_SANITIZE=ON -DCHM_BUILD_BENCH=OFF -DCHM_RTL_SIZES=8
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")
# The kernels as Vitis HLS sees them (-D__SYNTHESIS__: full-width array
# loops, none of the native shortcuts), through the kernel suites, bit-exact
# against the same independent references; and through the Vitis tops
# (hls/top) behind the XRT stand-in, as the xrt backend calls them.
cmake -S . -B build-synth -DCMAKE_BUILD_TYPE=Release -DCHM_HLS_SYNTHESIS_PATH=ON \
  -DCHM_WITH_VERILATOR=OFF -DCHM_BUILD_BENCH=OFF -DCHM_BUILD_EXAMPLES=OFF
cmake --build build-synth -j"$jobs"
(cd build-synth && ctest --output-on-failure -j"$jobs" \
  -R '^(conv|fc|pool|add|requant|sparse_format|sparse|graph|xrt_(conv|fc|pool|add|sparse|graph))$')
