#!/usr/bin/env bash
# Trains the default model (models/colorize-default.pt) with the trainer's
# default recipe and the shipped model's schedule (48 epochs without GAN, the
# learning rate decaying over the last 14) on LibTorch 2.6, inside the Debian 13 chroot of
# .ci/trixie-chroot (2-5x faster on a CPU than Debian 12's LibTorch 1.13).
#
#   models/train-default.sh RUN_DIR TRAIN_DIR EXTRA_DIR [colorize-train options...]
#
# TRAIN_DIR and EXTRA_DIR are the two photo folders named in the model card;
# the photos listed in models/validation-photos.txt are held out of them.
# RUN_DIR receives the trainer build (build-trainer/) and the run (train/:
# checkpoints, losses, samples). Run the same command again after any stop,
# even kill -9: it resumes from the last complete checkpoint. Needs root
# (chroot); the first call builds the chroot and the trainer (~10 minutes).
set -euo pipefail
if (($# < 3)); then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
run=$(realpath -m "$1") train=$(realpath "$2") extra=$(realpath "$3")
shift 3
for d in "$train" "$extra"; do [[ -d $d ]] || { echo "train-default: $d: no such folder" >&2; exit 2; }; done
mkdir -p "$run"

bash "$repo/.ci/trixie-chroot" create
export TRIXIE_BIND="$run:$train:$extra"
exec bash "$repo/.ci/trixie-chroot" run /bin/bash -euo pipefail -c '
  repo=$1 run=$2 train=$3 extra=$4; shift 4
  cd "$repo"
  build=$run/build-trainer
  [[ -f $build/build.ninja ]] || meson setup "$build" -Dgimp=disabled -Dtests=false >"$run/build.log"
  meson compile -C "$build" trainer/colorize-train >>"$run/build.log"
  args=(--out "$run/train" --threads 2)
  if compgen -G "$run/train/checkpoints/epoch-*/state.json" >/dev/null; then
    args+=(--resume)
  else
    args+=(--data "$train" --data "$extra" --val-list "$repo/models/validation-photos.txt"
           --prefix-weight utk=0.25 --seed 1 --half
           --epochs 48 --pretrain-epochs 48 --decay-epochs 14
           --name "colorize default"
           --license "Weights trained on photos under research and non-commercial terms; see models/README.md")
  fi
  exec "$build/trainer/colorize-train" "${args[@]}" "$@"
' train-default "$repo" "$run" "$train" "$extra" "$@"
