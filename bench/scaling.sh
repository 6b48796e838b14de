#!/usr/bin/env bash
# Scale-out figures of the README ("Several hosts"), all modelled card and
# link time from ranks on this one machine:
#   1. the partitioned GCN run over 1, 2, 4, 8 MPI ranks (R-MAT, 16,384 vertices),
#      each checked against one card;
#   2. the projection of the same graph, Cora and a Reddit-size R-MAT to 64 cards
#      (--reddit: the last takes ~13 minutes and ~6 GB);
#   3. data-parallel Fashion-MNIST over 1, 2, 4, 8 ranks.
# Run after a build: bash bench/scaling.sh [--reddit]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ex=build/examples
for np in 1 2 4 8; do
  mpirun -np $np --oversubscribe $ex/gcn_mpi --rmat 14 --part metis | grep -E "^(fp32|int8)|one card|outputs"
done
$ex/gcn_mpi --rmat 14 --project 1,2,4,8,16,32,64
cora=../shared/data/cora
if [ -f $cora/cora.adj.mtx ]; then
  $ex/gcn_mpi --data $cora --project 1,2,3,4,8,16
  $ex/gcn_mpi --data $cora --part rcm --project 2,4,8
fi
if [ "${1:-}" = "--reddit" ]; then
  $ex/gcn_mpi --rmat 18 --degree 218 --features 602 --project 1,2,4,8,16,32,64
fi
for np in 1 2 4 8; do
  echo "== $np ranks"
  mpirun -np $np --oversubscribe $ex/fashion_mnist_mpi --limit 1600 --batch 100 |
    grep -E "device time|communication|agreement"
done
