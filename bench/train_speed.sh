#!/bin/sh
# Training speed of colorize-train vs the same recipe in PyTorch Python
# (bench/train_speed.py), run back to back on the same machine.
#
#   bench/train_speed.sh BUILD_DIR DATA_DIR [SIZE] [THREADS] [IMAGES]
#
# C++: colorize-train on IMAGES photos (default 96, i.e. 6 batches of 16),
# 2 L1-only epochs then 2 GAN + L1 epochs; the second epoch of each phase is
# reported (the first includes TorchScript's warm-up). Python: the same number of steps of each
# after 2 warm-up steps (IMAGES / 16 steps). Both use U-Net depth 7 / width 32 + PatchGAN 64,
# batch 16, THREADS LibTorch threads. The load average is printed: wall-clock
# timings on a busy machine are not comparable between runs; images per
# CPU-second (process CPU time, all threads) is much less sensitive to other
# load, best measured with THREADS = 1 (no OpenMP spin-waiting).
set -eu
build=$1
data=$2
size=${3:-128}
threads=${4:-2}
images=${5:-96}
here=$(dirname "$0")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The Pix2Pix recipe train_speed.py implements (transposed decoder, dropout 0.5,
# no colour classes), not the trainer's defaults.
"$build/trainer/colorize-train" --data "$data" --out "$out/run" --size "$size" --depth 7 --width 32 \
  --upsample transposed --dropout 0.5 --decay-epochs 0 \
  --batch 16 --epochs 4 --pretrain-epochs 2 --max-images "$images" --val-fraction 0 --samples-every 0 \
  --threads "$threads" --workers 1 --quiet 2>/dev/null
awk -F, -v s="$size" -v n="$images" '
  NR == 3 { printf "C++ colorize-train %sx%s: L1 only %.2f images/s, %.3f images per CPU-second\n", s, s, $10, n / $9 }
  NR == 5 { printf "C++ colorize-train %sx%s: GAN + L1 %.2f images/s, %.3f images per CPU-second\n", s, s, $10, n / $9 }' \
  "$out/run/losses.csv"
echo "load average between: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$here/train_speed.py" --size "$size" --threads "$threads" --steps $((images / 16)) --warmup 2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
