#!/usr/bin/env bash
# Fine-tunes the default model into a hint-capable one (colour hints: L plus
# a user's dots of a,b in, a,b out; format_version 2) on LibTorch 2.6 inside
# the Debian 13 chroot of .ci/trixie-chroot. It starts from the weights of
# models/colorize-default.pt (the result of models/train-default.sh) with the
# hint inputs at zero weight, so the first step behaves exactly like the
# default model, and trains on simulated hints (none in one example of eight)
# in three stages: epochs 1-14 at lr 5e-5 (decaying over 8-14), then a warm
# restart at 2e-4 for epochs 15-24 (decaying over 17-24), which the hint
# inputs (starting from zero weights) need to be used at all, then a second
# restart at 2e-4 for epochs 25-38 (constant to 30, decaying over 31-38).
#
#   models/train-hints.sh RUN_DIR TRAIN_DIR EXTRA_DIR [colorize-train options...]
#
# TRAIN_DIR and EXTRA_DIR are the two photo folders named in the model card;
# the photos listed in models/validation-photos.txt are held out of them.
# RUN_DIR receives the trainer build (build-trainer/) and the run (hints/).
# Run the same command again after any stop: it resumes from the last
# complete checkpoint. Needs root (chroot).
set -euo pipefail
if (($# < 3)); then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
run=$(realpath -m "$1") train=$(realpath "$2") extra=$(realpath "$3")
shift 3
for d in "$train" "$extra"; do [[ -d $d ]] || { echo "train-hints: $d: no such folder" >&2; exit 2; }; done
mkdir -p "$run"

bash "$repo/.ci/trixie-chroot" create
export TRIXIE_BIND="$run:$train:$extra"
exec bash "$repo/.ci/trixie-chroot" run /bin/bash -euo pipefail -c '
  repo=$1 run=$2 train=$3 extra=$4; shift 4
  cd "$repo"
  build=$run/build-trainer
  [[ -f $build/build.ninja ]] || meson setup "$build" -Dgimp=disabled -Dtests=false >"$run/build.log"
  meson compile -C "$build" trainer/colorize-train >>"$run/build.log"
  args=(--out "$run/hints" --threads 1)
  if compgen -G "$run/hints/checkpoints/epoch-*/state.json" >/dev/null; then
    args+=(--resume)
    last=$(compgen -G "$run/hints/checkpoints/epoch-*/state.json" | sort | tail -1)
    last=${last%/state.json}
    if ((10#${last##*-} == 14)); then  # the end of stage 1: stage 2 starts
      args+=(--epochs 24 --pretrain-epochs 24 --decay-epochs 8 --lr 2e-4)
    elif ((10#${last##*-} == 24)); then  # the end of stage 2: stage 3 starts
      args+=(--epochs 38 --pretrain-epochs 38 --decay-epochs 8 --lr 2e-4)
    fi
  else
    args+=(--data "$train" --data "$extra" --val-list "$repo/models/validation-photos.txt"
           --prefix-weight utk=0.25 --seed 1 --half
           --hints --init "$repo/models/colorize-default.pt"
           --epochs 14 --pretrain-epochs 14 --decay-epochs 7 --lr 5e-5
           --name "colorize default"
           --license "Weights trained on photos under research and non-commercial terms; see models/README.md")
  fi
  exec "$build/trainer/colorize-train" "${args[@]}" "$@"
' train-hints "$repo" "$run" "$train" "$extra" "$@"
