#!/bin/sh
# Runs a GIMP 2.10 batch script whose plug-in call is interactive, on a
# private Xvfb display: sets the dialog's strength to 0 and presses OK,
# with xdotool.
#   interactive.sh GIMP_ARGS...   (the gimp-console-2.10 command line)
# Exit 77 when Xvfb or xdotool is missing; otherwise GIMP's output.
set -u
command -v Xvfb >/dev/null && command -v xdotool >/dev/null || exit 77

fifo=$(mktemp -u) && mkfifo "$fifo" || exit 1
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$fifo" 2>/dev/null &
xvfb=$!
read -r display <"$fifo"
rm -f "$fifo"
export DISPLAY=":$display"

"$@" &
gimp=$!
# the dialog's title is "Colorize (Pix2Pix)" (translated, hence Pix2Pix)
if window=$(timeout 120 xdotool search --sync --name 'Pix2Pix' | head -n 1); then
  sleep 2  # let the first preview render
  xdotool windowfocus "$window" 2>/dev/null
  # Strength 0 (its mnemonic, select all, type), then OK
  xdotool key --window "$window" alt+s ctrl+a
  xdotool type --window "$window" 0
  xdotool key --window "$window" Tab
  sleep 1
  xdotool key --window "$window" alt+o
  echo "INTERACTIVE dialog shown, strength set to 0, confirmed"
fi
wait "$gimp"
status=$?
kill "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null
exit "$status"
