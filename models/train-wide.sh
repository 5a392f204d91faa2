#!/usr/bin/env bash
# The next candidate for the default model: the shipped recipe and schedule
# (models/train-default.sh: 48 epochs, no GAN, the learning rate decaying
# over the last 14) with a 1.5x wider generator (--width 48: filters
# 48-96-192-384-384-384-384, about 2.2x the parameters and compute of width
# 32) trained with simulated colour hints from the first epoch (--hints), so
# one run gives a hint-capable model, in bfloat16 mixed precision (the same
# per epoch as float32, faster), and one LibTorch thread (the machine is
# shared with builds and tests). Same folders, held-out photos, prefix
# weights and seed as the default model.
#
#   models/train-wide.sh RUN_DIR TRAIN_DIR EXTRA_DIR [colorize-train options...]
#
# Run the same command again after any stop: it resumes from the last
# complete checkpoint in RUN_DIR/train. Score it as the default model:
#   models/score-checkpoints.sh RUN_DIR TRAIN_DIR EXTRA_DIR EPOCH:BLEND:0.38:5
set -euo pipefail
if (($# < 3)); then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
exec "$(dirname "${BASH_SOURCE[0]}")/train-default.sh" "$1" "$2" "$3" \
  --width 48 --hints --precision bfloat16 --threads 1 "${@:4}"
