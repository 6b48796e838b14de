#!/usr/bin/env bash
# Installs the Debian packages Chimera builds, tests and demos with, if any
# is missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

# libdnnl-dev (+ the OpenCL headers its CMake config asks for): conv_bench's
# oneDNN column only; everything else builds without it. Open MPI: the
# chimera_comm library and its mpirun tests (its launcher wants an ssh
# client present even for ranks on one machine). ONNX: protoc-c compiles
# libonnx-dev's onnx.proto for the importer; python3-onnx writes the test
# models; libonnx-testdata holds ONNX's own node tests. METIS partitions
# graphs for the GCN across MPI ranks (gcn_mpi).
pkgs=(build-essential cmake pkg-config clang libcunit1-dev zlib1g-dev libopenblas-dev libjson-c-dev libsodium-dev valgrind verilator yosys
      dataset-fashion-mnist libdnnl-dev ocl-icd-opencl-dev libopenmpi-dev openmpi-bin openssh-client
      protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata python3-onnx libmetis-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
