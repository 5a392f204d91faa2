#!/usr/bin/env bash
# The project's one line width (.clang-format, plugin/.clang-format): no
# line of C or C++ source is longer than 120 characters.
#   check-line-width.sh SOURCE_ROOT
set -euo pipefail
cd "$1"
export LC_ALL=C.UTF-8  # characters, not bytes
long=$(find core cli plugin trainer bench tests \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \) -print0 |
         xargs -0 grep -nP '^.{121,}' | cut -c1-160 || true)
if [[ -n $long ]]; then
  echo "lines over 120 characters:" >&2
  echo "$long" >&2
  exit 1
fi
echo "no line over 120 characters"
