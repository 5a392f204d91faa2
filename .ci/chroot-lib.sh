# Shared by .ci/trixie-chroot and .ci/package (sourced): the host's Debian
# mirror, pristine Debian chroots made once with debootstrap, and running a
# command inside a chroot in a private mount namespace. Needs root.

chroot_cache=${COLORIZE_CHROOT_CACHE:-/var/cache/gimp-colorize}

chroot_die() { echo "${0##*/}: error: $*" >&2; exit 1; }
chroot_say() { echo "${0##*/}: $*" >&2; }

# The Debian mirror of the host's apt sources (deb822 or one-line format):
# the first http(s) source of a Debian release suite with component main.
host_mirror() {
  local suites_re='^(bookworm|trixie|bullseye|stable|testing|unstable|sid)(-updates)?$'
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v re="$suites_re" '
      function flush() { if (uris != "" && ok && main) { print uris; found = 1; exit } uris = ""; ok = 0; main = 0 }
      /^[ \t]*$/ { flush(); next }
      /^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { uris = $i; break } }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ re) ok = 1 }
      /^Components:/ { for (i = 2; i <= NF; i++) if ($i == "main") main = 1 }
      END { if (!found) flush() }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v re="$suites_re" '$1 == "deb" && $2 ~ /^https?:/ && $3 ~ re {
      for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
}

# rm -rf must never descend into a bind mount of the host (a leaked mount
# from a killed run would otherwise take the repository with it).
refuse_if_mounted() {
  [[ -e $1 ]] || return 0
  if grep -q " $(realpath "$1")[/ ]" /proc/self/mounts; then
    chroot_die "something is mounted under $1; unmount it first"
  fi
}

# Runs "$@" inside the chroot folder $1 with /proc, /sys, /dev, a fresh /tmp
# and $CHROOT_REPO (when set) plus each folder of $CHROOT_BIND ("DIR[:DIR]")
# bind-mounted at their host paths, all in a private mount namespace.
in_chroot() {
  local dir=$1; shift
  unshare -m --propagation private -- /bin/bash -euo pipefail -c '
    dir=$1; shift
    mount -t proc proc "$dir/proc"
    mount --rbind /sys "$dir/sys"
    mount --rbind /dev "$dir/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$dir/tmp"
    IFS=: read -r -a binds <<<"${CHROOT_REPO:-}:${CHROOT_BIND:-}"
    for b in "${binds[@]}"; do
      [[ -n $b ]] || continue
      mkdir -p "$dir/$b"
      mount --bind "$b" "$dir/$b"
    done
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$dir" /usr/bin/env -i \
      PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
      HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
      DEBIAN_FRONTEND=noninteractive "$@"
  ' in_chroot "$dir" "$@"
}

# Prints the folder of a pristine minbase chroot of Debian suite $1 from
# $2 (the mirror), made with debootstrap on first use and kept in the cache;
# package scripts cannot start services there. Copy it before changing it.
debian_base() {
  local suite=$1 mirror=$2
  local base=$chroot_cache/base-$suite
  [[ $(id -u) == 0 ]] || chroot_die "must run as root (debootstrap, chroot, mounts)"
  command -v debootstrap >/dev/null || chroot_die "debootstrap is not installed (apt-get install debootstrap)"
  command -v unshare >/dev/null || chroot_die "unshare (util-linux) is not installed"
  [[ -n $mirror ]] || chroot_die "no Debian mirror found in the host's apt sources"
  [[ -e /usr/share/debootstrap/scripts/$suite ]] ||
    chroot_die "this debootstrap does not know the suite '$suite'; upgrade debootstrap"
  if [[ ! -f $base/.debootstrap-ok ]] || [[ $(cat "$base/.debootstrap-ok") != "$suite $mirror" ]]; then
    mkdir -p "$chroot_cache"
    refuse_if_mounted "$base"
    rm -rf --one-file-system "$base"
    chroot_say "debootstrap $suite ($mirror) into $base"
    debootstrap --variant=minbase "$suite" "$base" "$mirror" >"$chroot_cache/debootstrap-$suite.log" 2>&1 ||
      chroot_die "debootstrap failed; see $chroot_cache/debootstrap-$suite.log"
    printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
    chmod +x "$base/usr/sbin/policy-rc.d"
    echo "$suite $mirror" >"$base/.debootstrap-ok"
  fi
  echo "$base"
}

# Makes the chroot folder $1 of Debian suite $2 from mirror $3 with the apt
# components $4 ("main", or e.g. "main contrib non-free") and the packages
# that follow, from a copy of the pristine base; kept as it is while the
# suite, mirror, components and packages stay the same (its stamp file).
# CHROOT_PRESEED: debconf answers (debconf-set-selections lines) given
# before the packages are installed.
# Downloaded packages are kept in $chroot_cache/apt-SUITE for the next one.
make_chroot() {
  local root=$1 suite=$2 mirror=$3 components=$4
  shift 4
  local stamp
  stamp=$(printf 'suite=%s\nmirror=%s\n' "$suite" "$mirror"
          [[ $components == main ]] || printf 'components=%s\n' "$components"
          [[ -z ${CHROOT_PRESEED:-} ]] || printf 'preseed=%s\n' "$CHROOT_PRESEED"
          printf 'packages=%s\n' "$*")
  if [[ -f $root/.colorize-stamp ]] && [[ $(cat "$root/.colorize-stamp") == "$stamp" ]]; then
    return 0
  fi
  [[ -e $root ]] && chroot_say "package list changed: rebuilding $root"

  local base new=$root.new parent archives=$chroot_cache/apt-$suite
  parent=$(dirname "$root")
  local t0=$SECONDS
  base=$(debian_base "$suite" "$mirror")
  refuse_if_mounted "$new"
  rm -rf --one-file-system "$new"
  cp -a "$base" "$new"
  rm -f "$new/.debootstrap-ok"
  echo "deb $mirror $suite $components" >"$new/etc/apt/sources.list"
  # no docs or man pages
  printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\n' \
    >"$new/etc/dpkg/dpkg.cfg.d/01-nodoc"

  if [[ -n ${CHROOT_PRESEED:-} ]]; then
    printf '%s\n' "$CHROOT_PRESEED" | in_chroot "$new" debconf-set-selections ||
      chroot_die "debconf-set-selections in the chroot failed"
  fi
  chroot_say "installing $*"
  mkdir -p "$archives/partial"
  local log=$parent/apt-${root##*/}.log
  CHROOT_BIND=$archives in_chroot "$new" apt-get update -q >"$log" 2>&1 ||
    chroot_die "apt-get update in the chroot failed; see $log"
  CHROOT_BIND=$archives in_chroot "$new" apt-get install -y -q --no-install-recommends \
    -o Dir::Cache::Archives="$archives" "$@" >>"$log" 2>&1 ||
    chroot_die "apt-get install in the chroot failed; see $log"

  printf '%s\n' "$stamp" >"$new/.colorize-stamp"
  refuse_if_mounted "$root"
  rm -rf --one-file-system "$root"
  mv "$new" "$root"
  chroot_say "ready: $root ($((SECONDS - t0)) s)"
}
