#!/bin/sh
# plot_undervolt.sh - draws undervolt_bench's voltage table (Fashion-MNIST accuracy, logits
# equal to the nominal run's, and dynamic energy an image, against the on-chip memory rail;
# no protection, ECC, ECC + ABFT) and undervolt_gcn's (Cora test accuracy, fp32 and int8,
# without and with ECC) as a PNG. Needs gnuplot (Debian: gnuplot-nox).
#   bash scripts/plot_undervolt.sh [CSV [PNG [GCN_CSV]]]
# Without existing CSVs it runs the benches first (2,000 images: under a minute).
set -eu
cd "$(dirname "$0")/.."
csv=${1:-build/undervolt.csv}
png=${2:-docs/undervolt.png}
gcn=${3:-build/undervolt_gcn.csv}
command -v gnuplot >/dev/null || { echo "plot_undervolt.sh: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -f "$csv" ] || ./build/bench/undervolt_bench --images 2000 --csv "$csv"
[ -f "$gcn" ] || ./build/bench/undervolt_gcn --csv "$gcn"
mkdir -p "$(dirname "$png")"
gnuplot <<GP
set terminal pngcairo size 900,1080 font ",10"
set output "$png"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 3,1 title "emu:u250 with its regions' on-chip memory rail lowered (undervolt\\\\_bench --images 2000, undervolt\\\\_gcn)"
set xrange [1.01:0.535]
set grid
set xlabel "on-chip memory rail, V / Vnom (Vnom 850 mV; Vmin 0.61, crash 0.54)"
set title "Fashion-MNIST CNN (CNN tile buffers)"
set ylabel "% of images"
set yrange [0:105]
set key bottom left box opaque
plot "$csv" using 1:5 with linespoints lw 2 pt 7 title "logits = nominal, no protection", \
     "" using 1:7 with linespoints lw 2 pt 5 title "logits = nominal, ECC", \
     "" using 1:10 with linespoints lw 2 pt 9 dt 2 title "logits = nominal, ECC + ABFT", \
     "" using 1:4 with lines lw 1 lc rgb "gray40" title "accuracy, no protection"
set title "Fashion-MNIST CNN: energy"
set ylabel "dynamic energy an image, % of nominal"
set yrange [*:*]
set key top right box opaque
plot "$csv" using 1:12 with linespoints lw 2 pt 7 title "no protection", \
     "" using 1:13 with linespoints lw 2 pt 9 title "ECC + ABFT (reruns and recomputes included)"
set title "Cora GCN (GRAPH window and weight banks): test accuracy; with ECC a stopped inference is rerun at nominal"
set ylabel "test accuracy, %"
set yrange [0:100]
set key bottom left box opaque
plot "$gcn" using 1:3 with linespoints lw 2 pt 7 title "fp32, no ECC", \
     "" using 1:7 with linespoints lw 2 pt 5 title "int8, no ECC", \
     "" using 1:5 with linespoints lw 2 pt 9 dt 2 title "fp32, ECC", \
     "" using 1:9 with linespoints lw 2 pt 11 dt 3 title "int8, ECC"
unset multiplot
GP
echo "wrote $png from $csv and $gcn"
