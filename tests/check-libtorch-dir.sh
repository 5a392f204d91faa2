#!/usr/bin/env bash
# -Dlibtorch_dir and -Dcuda at configure time, on LibTorch folders laid out
# as a pip-installed PyTorch lays out its torch folder (include/, lib/,
# share/cmake/Torch/), made of links to the system LibTorch:
#  - the folder is taken: headers found, libraries linked from it;
#  - a folder of the old C++ ABI is refused, naming the ABI;
#  - a folder that is no LibTorch is refused;
#  - -Dcuda=enabled on a LibTorch without CUDA is refused.
# Usage: check-libtorch-dir.sh SOURCE_ROOT
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lib=$(g++ -print-file-name=libtorch.so)
[[ $lib == /* ]] || { echo "no system libtorch.so"; exit 77; }
libdir=$(dirname "$(realpath "$lib")")
config=$(dirname "$lib")/cmake/Torch/TorchConfig.cmake
[[ -f $config ]] || config=$libdir/cmake/Torch/TorchConfig.cmake
[[ -f $config ]] || { echo "no TorchConfig.cmake beside $lib"; exit 77; }

# $1: folder to make; $2: the C++ ABI its TorchConfig.cmake names
make_torch() {
  mkdir -p "$1/include" "$1/lib" "$1/share/cmake/Torch"
  for d in ATen c10 caffe2 torch; do ln -s "/usr/include/$d" "$1/include/$d"; done
  for l in torch torch_cpu c10; do ln -s "$libdir/lib$l.so" "$1/lib/lib$l.so"; done
  sed "s/_GLIBCXX_USE_CXX11_ABI=[01]/_GLIBCXX_USE_CXX11_ABI=$2/" "$config" >"$1/share/cmake/Torch/TorchConfig.cmake"
}

failed=0
# $1: name; $2: expected exit (0 or 1); $3: text the output must hold; rest: meson options
configure() {
  local name=$1 want=$2 text=$3 rc=0
  shift 3
  meson setup "$work/build-$name" "$src" -Dtrainer=false -Dtests=false -Dbench=false -Dgimp=disabled \
    -Dman=disabled "$@" >"$work/$name.log" 2>&1 || rc=1
  if [[ $rc != "$want" ]] || ! grep -qF -- "$text" "$work/$name.log"; then
    echo "FAIL $name: exit $rc (want $want), looking for: $text"
    tail -n 15 "$work/$name.log"
    failed=1
  else
    echo "ok   $name: $text"
  fi
}

make_torch "$work/pip-new/torch" 1
make_torch "$work/pip-old/torch" 0
mkdir -p "$work/empty"

configure pip 0 "LibTorch     : $work/pip-new/torch" -Dlibtorch_dir="$work/pip-new/torch"
if [[ $failed == 0 ]]; then
  # the libraries are linked from the given folder, with a run path to it
  grep -qF -- "-Wl,-rpath,$work/pip-new/torch/lib" "$work/build-pip/build.ninja" ||
    { echo "FAIL pip: no run path to $work/pip-new/torch/lib in build.ninja"; failed=1; }
fi
configure old-abi 1 "uses the old C++ ABI (_GLIBCXX_USE_CXX11_ABI=0" -Dlibtorch_dir="$work/pip-old/torch"
configure not-torch 1 "not a LibTorch folder" -Dlibtorch_dir="$work/empty"
if [[ ! -e $libdir/libtorch_cuda.so ]]; then
  configure no-cuda 1 "-Dcuda=enabled: this LibTorch has no libtorch_cuda" -Dcuda=enabled
fi
exit $failed
