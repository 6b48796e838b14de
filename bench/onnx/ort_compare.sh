#!/usr/bin/env bash
# The Fashion-MNIST ONNX exports (dense, and pruned with sparse_initializer
# weights) on Chimera's emulated card and under ONNX Runtime's CPU provider,
# same model file, same 10,000 images: agreement and time side by side.
# ONNX Runtime comes from the npm registry (onnxruntime-node bundles
# libonnxruntime.so; installed with --ignore-scripts into build/ort). Not
# part of the tests. Run after a build: bash bench/onnx/ort_compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
fm=/usr/share/datasets/fashion-mnist
ort=build/ort
if [ ! -d $ort/node_modules/onnxruntime-node ]; then
  mkdir -p $ort
  (cd $ort && npm install --silent --ignore-scripts --no-audit --no-fund onnxruntime-node)
fi
for m in fmnist_qdq fmnist_sparse_qdq; do
  model=build/tests/onnx_models/$m.onnx
  echo "== $m"
  CHIMERA_EMU_THREADS=1 ./build/chimera run $model --input $fm/t10k-images-idx3-ubyte.gz \
    --labels $fm/t10k-labels-idx1-ubyte.gz --batch 100 --output build/$m.chimera.bin |
    grep -E "inputs in batches|an input|accuracy"
  NODE_PATH=$PWD/$ort/node_modules node bench/onnx/ort_run.js $model \
    $fm/t10k-images-idx3-ubyte.gz $fm/t10k-labels-idx1-ubyte.gz build/$m.chimera.bin 1
done
