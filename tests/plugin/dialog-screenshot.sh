#!/bin/sh
# Takes a picture of the plug-in's dialog, for the plug-in's documentation:
# opens IMAGE in GIMP on a private Xvfb display with the plug-in of
# BUILD_DIR and the repository's default model, shows the dialog, waits for
# the preview (with ZOOM 1: switches it to 100 %) and writes the dialog
# window to OUT.png. GIMP 2.10 runs on this machine; GIMP 3.0 (VERSION 3,
# BUILD_DIR a build of .ci/test-gimp3) in the Debian 13 chroot of
# .ci/trixie-chroot, on this machine's display (needs root).
#
#   tests/plugin/dialog-screenshot.sh VERSION BUILD_DIR IMAGE OUT.png [ZOOM]
#
# Needs Xvfb, xdotool and ImageMagick's import on this machine.
set -eu
[ $# -ge 4 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
version=$1 build=$(realpath "$2") image=$(realpath "$3") out=$(realpath -m "$4")
zoom=${5:-0}
repo=$(cd "$(dirname "$0")/../.." && pwd -P)

tmp=$(mktemp -d)
trap 'kill "$xvfb" 2>/dev/null; rm -rf "$tmp"' EXIT
plugin=$tmp/profile/plug-ins/gimp-colorize-pix2pix
mkdir -p "$plugin/models" "$tmp/home"
ln -s "$build/plugin/gimp-colorize-pix2pix" "$plugin/"
ln -s "$build/po" "$plugin/locale"
ln -s "$repo/models/colorize-default.pt" "$plugin/models/"

mkfifo "$tmp/display"
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$tmp/display" 2>/dev/null &
xvfb=$!
read -r display <"$tmp/display"
export DISPLAY=":$display"

if [ "$version" = 3 ]; then
  printf '(plug-in-path "%s:%s")\n' "$tmp/profile/plug-ins" \
    /usr/lib/x86_64-linux-gnu/gimp/3.0/plug-ins >"$tmp/gimprc"
  TRIXIE_BIND="/tmp/.X11-unix:$tmp:$(dirname "$image")" \
    bash "$repo/.ci/trixie-chroot" run env HOME="$tmp/home" \
    GIMP3_DIRECTORY="$tmp/profile" DISPLAY="$DISPLAY" \
    gimp-console-3.0 -i -d -f --gimprc="$tmp/gimprc" \
    --batch-interpreter=python-fu-eval -b "
from gi.repository import Gimp, Gio
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path('$image'))
proc = Gimp.get_pdb().lookup_procedure('plug-in-colorize-pix2pix')
config = proc.create_config()
config.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
config.set_property('image', image)
config.set_core_object_array('drawables', image.get_layers()[:1])
proc.run(config)" --quit >"$tmp/gimp.log" 2>&1 &
else
  GIMP2_DIRECTORY=$tmp/profile gimp-console-2.10 -i -d -f -b "
    (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$image\" \"$image\")))
           (d (car (gimp-image-get-active-drawable img))))
      (plug-in-colorize-pix2pix RUN-INTERACTIVE img d \"\" 0 0 1.0 0))" \
    -b '(gimp-quit 0)' >"$tmp/gimp.log" 2>&1 &
fi
gimp=$!
window=$(timeout 180 xdotool search --sync --name 'Pix2Pix' | head -n 1) ||
  { cat "$tmp/gimp.log" >&2; exit 1; }
sleep 10  # the first preview: model load and pass
if [ "$zoom" = 1 ]; then
  xdotool windowfocus --sync "$window"
  xdotool key alt+z Down
  sleep 6
fi
import -window "$window" "$out"
kill "$gimp"
echo "wrote $out"
