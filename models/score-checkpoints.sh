#!/usr/bin/env bash
# Scores checkpoints of a default-model run on the validation photos
# (models/validation-photos.txt) through the colorize pipeline, for choosing
# the checkpoint and its decoding (blend of the colour-class head).
#
#   models/score-checkpoints.sh RUN_DIR TRAIN_DIR EXTRA_DIR EPOCH[:BLEND[:TEMPERATURE[:AVERAGE]]]...
#
# For each spec, exports RUN_DIR/train/checkpoints/epoch-EPOCH as a float16
# model file RUN_DIR/scored/eEPOCH-bBLEND-tT[-aN].pt (AVERAGE N: the mean of
# the generator weights of epochs EPOCH-N+1..EPOCH), runs `colorize-train eval`
# on it (table appended to RUN_DIR/scored/scores.txt) and writes a contact
# sheet of 24 validation photos beside it (.jpg). COLORIZE_TRAIN names the
# colorize-train program (default: build/trainer/colorize-train); RUN_FOLDER
# the run's folder under RUN_DIR (default train; e.g. hints for
# models/train-hints.sh), whose scores go to RUN_DIR/scored-RUN_FOLDER.
set -euo pipefail
if (($# < 4)); then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
train_exe=${COLORIZE_TRAIN:-$repo/build/trainer/colorize-train}
run=$1 train=$2 extra=$3
shift 3
folder=${RUN_FOLDER:-train}
out=$run/scored${RUN_FOLDER:+-$RUN_FOLDER}
mkdir -p "$out"
for spec in "$@"; do
  IFS=: read -r epoch blend temperature average <<<"$spec"
  ckpt=$(printf '%s/%s/checkpoints/epoch-%04d' "$run" "$folder" "$((10#$epoch))")
  [[ -d $ckpt ]] || { echo "score-checkpoints: $ckpt: no such checkpoint" >&2; exit 2; }
  name=e$epoch${blend:+-b$blend}${temperature:+-t$temperature}${average:+-a$average}
  args=()
  [[ -n $blend ]] && args+=(--blend "$blend")
  [[ -n $temperature ]] && args+=(--temperature "$temperature")
  [[ -n $average ]] && args+=(--average "$average")
  "$train_exe" export --checkpoint "$ckpt" --out "$out/$name.pt" --half "${args[@]}"
  {
    echo "== $name"
    "$train_exe" eval --model "$out/$name.pt" --data "$train" --data "$extra" \
      --list "$repo/models/validation-photos.txt" --grid "$out/$name.jpg" --grid-count 24 \
      --grid-columns 8 2>>"$out/eval.log"
  } | tee -a "$out/scores.txt"
done
