#!/bin/sh
# plot_undervolt.sh - draws undervolt_bench's voltage table (Fashion-MNIST accuracy, logits
# equal to the nominal run's, and dynamic energy an image, against the on-chip memory rail;
# no protection, ECC, ECC + ABFT) as a PNG. Needs gnuplot (Debian: gnuplot-nox).
#   bash scripts/plot_undervolt.sh [CSV [PNG]]
# Without an existing CSV it runs the bench first (2,000 images, about a minute).
set -eu
cd "$(dirname "$0")/.."
csv=${1:-build/undervolt.csv}
png=${2:-docs/undervolt.png}
command -v gnuplot >/dev/null || { echo "plot_undervolt.sh: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -f "$csv" ] || ./build/bench/undervolt_bench --images 2000 --csv "$csv"
mkdir -p "$(dirname "$png")"
gnuplot <<GP
set terminal pngcairo size 900,760 font ",10"
set output "$png"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 2,1 title "Fashion-MNIST on emu:u250, CNN tile buffers' rail lowered (undervolt\\\\_bench --images 2000)"
set xrange [1.01:0.535]
set grid
set xlabel "on-chip memory rail, V / Vnom (Vnom 850 mV; Vmin 0.61, crash 0.54)"
set ylabel "% of images"
set yrange [0:105]
set key bottom left box opaque
plot "$csv" using 1:5 with linespoints lw 2 pt 7 title "logits = nominal, no protection", \
     "" using 1:7 with linespoints lw 2 pt 5 title "logits = nominal, ECC", \
     "" using 1:10 with linespoints lw 2 pt 9 dt 2 title "logits = nominal, ECC + ABFT", \
     "" using 1:4 with lines lw 1 lc rgb "gray40" title "accuracy, no protection"
set ylabel "dynamic energy an image, % of nominal"
set yrange [*:*]
set key top right box opaque
plot "$csv" using 1:12 with linespoints lw 2 pt 7 title "no protection", \
     "" using 1:13 with linespoints lw 2 pt 9 title "ECC + ABFT (reruns and recomputes included)"
unset multiplot
GP
echo "wrote $png from $csv"
