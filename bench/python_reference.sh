#!/bin/sh
# The colorize program against a Python reference pipeline
# (bench/python_reference.py: PyTorch + scikit-image, whole pictures in
# memory) on the same picture with the same model, side by side in one run:
# each runs as a fresh process (cold, as a user runs it), the two taking
# turns, ROUNDS times. Prints the best wall time and the highest peak RSS of
# each (GNU time), their ratio, and how far the two results differ.
#
#   bench/python_reference.sh COLORIZE MODEL PICTURE.jpg [ROUNDS] [THREADS]
#
# Needs /usr/bin/python3 with python3-torch, python3-skimage and
# python3-pil (apt-get install python3-skimage python3-pil).
set -eu
exe=$1 model=$2 picture=$3 rounds=${4:-2} threads=${5:-2}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
best_c=999999 best_p=999999 rss_c=0 rss_p=0
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$rounds" ]; do
  /usr/bin/time -f '%e %M' -o "$out/t" "$exe" --model "$model" --device cpu --threads "$threads" \
    --quality 90 --output "$out/colorize.jpg" "$picture" >/dev/null 2>&1
  read -r wall rss <"$out/t"
  best_c=$(echo "if ($wall < $best_c) $wall else $best_c" | bc)
  [ "$rss" -gt "$rss_c" ] && rss_c=$rss
  /usr/bin/time -f '%e %M' -o "$out/t" /usr/bin/python3 "$here/python_reference.py" --threads "$threads" \
    "$model" "$picture" "$out/python.jpg" >/dev/null 2>&1
  read -r wall rss <"$out/t"
  best_p=$(echo "if ($wall < $best_p) $wall else $best_p" | bc)
  [ "$rss" -gt "$rss_p" ] && rss_p=$rss
  i=$((i + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| pipeline | wall (s, best of $rounds) | peak RSS (MB) |"
echo "|---|---|---|"
echo "| colorize | $best_c | $((rss_c / 1024)) |"
echo "| Python reference | $best_p | $((rss_p / 1024)) |"
echo "colorize is $(echo "scale=1; $best_p / $best_c" | bc)x faster"
/usr/bin/python3 - "$out/colorize.jpg" "$out/python.jpg" <<'PY'
import sys
import numpy as np
from PIL import Image
a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.float64) for p in sys.argv[1:3])
d = np.abs(a - b)
print(f"results differ by {d.mean():.2f} on average (0-255), 99th percentile {np.percentile(d, 99):.0f}")
PY
