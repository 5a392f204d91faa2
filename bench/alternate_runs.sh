#!/bin/sh
# Two builds of the colorize program on the same picture and model, each
# run as a fresh process (cold, as a user runs it), taking turns run by run:
# on a machine whose speed drifts, both see the same drift, which batches of
# consecutive runs (hyperfine) do not give. Prints, per build, the mean and
# spread of the wall time, the mean CPU time (user + system) and the highest
# peak RSS (GNU time).
#
#   bench/alternate_runs.sh COLORIZE_A COLORIZE_B MODEL PICTURE.jpg [RUNS] [THREADS]
set -eu
a=$1 b=$2 model=$3 picture=$4 runs=${5:-6} threads=${6:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$runs" ]; do
  for side in a b; do
    if [ "$side" = a ]; then exe=$a; else exe=$b; fi
    /usr/bin/time -f "$side %e %U %S %M" -a -o "$out/times" "$exe" --model "$model" --device cpu \
      --threads "$threads" --quality 90 --output "$out/$side.jpg" "$picture" >/dev/null 2>&1
  done
  i=$((i + 1))
done
awk -v a="$a" -v b="$b" '
  { n[$1]++; w[$1] += $2; ww[$1] += $2 * $2; c[$1] += $3 + $4; if ($5 > r[$1]) r[$1] = $5 }
  END {
    for (s = 0; s < 2; s++) {
      k = s ? "b" : "a"; m = w[k] / n[k]; sd = sqrt((ww[k] - n[k] * m * m) / (n[k] - 1))
      printf "%s: wall %.3f s +- %.3f, CPU %.2f s, peak RSS %d MB (%d runs)\n", s ? b : a, m, sd,
             c[k] / n[k], r[k] / 1024, n[k]
    }
  }' "$out/times"
