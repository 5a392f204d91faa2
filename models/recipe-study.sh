#!/usr/bin/env bash
# Trains one arm of the recipe study (models/README.md, "Recipe study") for a
# fixed budget of CPU time on one thread, with the same data, held-out
# photos and seed as the default model, inside the Debian 13 chroot
# (LibTorch 2.6).
#
#   models/recipe-study.sh STUDY_DIR TRAIN_DIR EXTRA_DIR ARM [MINUTES]
#
# ARM is one of
#   pix2pix     transposed-convolution U-Net, PatchGAN + 100 x L1 from the
#               start, dropout 0.5 (the previous default's recipe)
#   l1          resize-convolution U-Net, L1 regression only
#   classes     the default recipe: resize-convolution U-Net with the a,b
#               regression head and the colour-class head, no GAN
#   classes-bf16  the same in bfloat16 mixed precision (--precision bfloat16)
# MINUTES (default 25) is the budget in CPU minutes: the arm stops after the
# first epoch that ends past it. Checkpoints land in STUDY_DIR/ARM/train; score them with
#   COLORIZE_TRAIN=STUDY_DIR/build-trainer/trainer/colorize-train \
#     models/score-checkpoints.sh STUDY_DIR/ARM TRAIN_DIR EXTRA_DIR EPOCH[:BLEND:T]
# (run inside the chroot, or with a host build of colorize-train).
set -euo pipefail
if (($# < 4)); then
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
study=$(realpath -m "$1") train=$(realpath "$2") extra=$(realpath "$3") arm=$4 minutes=${5:-25}
case $arm in
  pix2pix) recipe=(--upsample transposed --pretrain-epochs 0 --dropout 0.5) ;;
  l1) recipe=(--class-weight 0 --pretrain-epochs 1000) ;;
  classes) recipe=(--pretrain-epochs 1000) ;;
  classes-bf16) recipe=(--pretrain-epochs 1000 --precision bfloat16) ;;
  *) echo "recipe-study: unknown arm '$arm' (choose pix2pix, l1, classes, classes-bf16)" >&2; exit 2 ;;
esac
[[ $minutes =~ ^[0-9]+$ ]] || { echo "recipe-study: MINUTES must be a whole number" >&2; exit 2; }
for d in "$train" "$extra"; do [[ -d $d ]] || { echo "recipe-study: $d: no such folder" >&2; exit 2; }; done
mkdir -p "$study/$arm"

bash "$repo/.ci/trixie-chroot" create
export TRIXIE_BIND="$study:$train:$extra"
exec bash "$repo/.ci/trixie-chroot" run /bin/bash -euo pipefail -c '
  repo=$1 study=$2 train=$3 extra=$4 arm=$5 budget=$(($6 * 60)); shift 6
  cd "$repo"
  build=$study/build-trainer
  [[ -f $build/build.ninja ]] || meson setup "$build" -Dgimp=disabled -Dtests=false >"$study/build.log"
  meson compile -C "$build" trainer/colorize-train >>"$study/build.log"
  out=$study/$arm/train
  args=(--data "$train" --data "$extra" --val-list "$repo/models/validation-photos.txt"
        --prefix-weight utk=0.25 --seed 1 --threads 1 --epochs 1000 --decay-epochs 0 --samples-every 0)
  compgen -G "$out/checkpoints/epoch-*/state.json" >/dev/null && args=(--resume)
  "$build/trainer/colorize-train" --out "$out" -q "${args[@]}" "$@" &
  trainer=$!
  trap "kill $trainer 2>/dev/null" EXIT
  # The budget is CPU time, summed over the finished epochs (losses.csv,
  # column cpu_seconds), so that arms trained side by side are measured
  # alike: the arm stops after the first epoch that ends past it.
  while kill -0 "$trainer" 2>/dev/null; do
    sleep 20
    [[ -f $out/losses.csv ]] || continue
    cpu=$(awk -F, '\''NR > 1 { s += $9 } END { printf "%d", s }'\'' "$out/losses.csv")
    if ((cpu >= budget)); then
      echo "recipe-study: $arm: $(($(wc -l <"$out/losses.csv") - 1)) epochs, ${cpu} CPU seconds; stopping"
      kill "$trainer"
      wait "$trainer" || true
      exit 0
    fi
  done
  wait "$trainer"
' recipe-study "$repo" "$study" "$train" "$extra" "$arm" "$minutes" "${recipe[@]}"
