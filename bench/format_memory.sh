#!/bin/sh
# Peak memory and wall time of the colorize program on big PNG and TIFF
# files, for two builds side by side: one with libvips (PNG, TIFF and WebP
# streamed) and one configured with -Dvips=disabled (read whole through
# OpenCV). The pictures are gray 24 MP (6000x4000) and 96 MP (12000x8000)
# pictures with grain made from one photo by libvips' command-line tools
# (libvips-tools), kept in WORKDIR.
#
#   bench/format_memory.sh COLORIZE_VIPS COLORIZE_OPENCV MODEL PHOTO WORKDIR
#
# Each cell: best wall time of 2 runs (s) / highest peak RSS (MB), GNU time.
set -eu
with=$1 without=$2 model=$3 photo=$4 dir=$5
mkdir -p "$dir"
cd "$dir"
for size in "6000 4000 24" "12000 8000 96"; do
  set -- $size
  [ -f "gray$3.png" ] && [ -f "gray$3.tif" ] && continue
  vips colourspace "$photo" g.v b-w
  vips resize g.v r.v "$(echo "$1 / $(vipsheader -f width g.v)" | bc -l)" \
    --vscale "$(echo "$2 / $(vipsheader -f height g.v)" | bc -l)"
  vips gaussnoise n.v "$1" "$2" --sigma 6 --mean 0
  vips add r.v n.v s.v
  vips cast s.v c.v uchar
  vips crop c.v p.v 0 0 "$1" "$2"
  vips pngsave p.v "gray$3.png" --compression 1
  vips tiffsave p.v "gray$3.tif"
  rm -f g.v r.v n.v s.v c.v p.v
done

run() {  # best wall / highest RSS of 2 runs of build $1 on file $2
  best=999999 most=0
  for i in 1 2; do
    /usr/bin/time -f '%e %M' -o time.txt "$1" --model "$model" --device cpu --output "out-$2" "$2" >/dev/null 2>&1
    read -r wall rss <time.txt
    best=$(echo "if ($wall < $best) $wall else $best" | bc)
    [ "$rss" -gt "$most" ] && most=$rss
  done
  rm -f "out-$2" time.txt
  printf '%.2f / %d' "$best" $((most / 1024))
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| picture | libvips (streamed) | OpenCV (read whole) |"
echo "|---|---|---|"
for f in gray24.png gray96.png gray24.tif gray96.tif; do
  echo "| $f | $(run "$with" "$f") | $(run "$without" "$f") |"
done
