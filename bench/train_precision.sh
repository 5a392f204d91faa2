#!/bin/sh
# Training speed and loss of the trainer's default recipe in float32 and in
# bfloat16 mixed precision (--precision), side by side in one run: the two
# precisions alternate (float32, bfloat16, float32, bfloat16), each run
# from the same seed for EPOCHS epochs of IMAGES photos at 128x128 (batch
# 16), and the last epoch of each run is reported (the first includes
# TorchScript's warm-up).
#
#   bench/train_precision.sh BUILD_DIR DATA_DIR [THREADS] [IMAGES] [EPOCHS] [WIDTH]
#
# Defaults: 2 threads, 160 photos (10 batches), 3 epochs, width 32. Images
# per CPU-second (process CPU time, all threads) is less sensitive to
# other load than images per second; the load average is printed.
set -eu
build=$1
data=$2
threads=${3:-2}
images=${4:-160}
epochs=${5:-3}
width=${6:-32}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| precision | images/s | images per CPU-second | training L1 | training class loss |"
echo "|---|---|---|---|---|"
for round in 1 2; do
  for precision in float32 bfloat16; do
    "$build/trainer/colorize-train" --data "$data" --out "$out/$precision-$round" --width "$width" \
      --epochs "$epochs" --decay-epochs 0 --max-images "$images" --val-fraction 0 --samples-every 0 \
      --threads "$threads" --workers 1 --seed 1 --precision "$precision" --quiet 2>/dev/null
    awk -F, -v p="$precision" -v n="$images" -v last="$((epochs + 1))" '
      NR == last { printf "| %s | %.2f | %.3f | %.4f | %.3f |\n", p, $10, n / $9, $4, $5 }' \
      "$out/$precision-$round/losses.csv"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
