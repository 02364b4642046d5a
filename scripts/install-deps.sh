#!/usr/bin/env bash
# Installs every build and test dependency of qeil on Debian 12 (bookworm), native and arm64 cross.
# Idempotent: packages already present are not touched, and a machine that has everything only
# pays for a few dpkg queries.
#
#   scripts/install-deps.sh              native + arm64 (toolchain, qemu-user, :arm64 -dev packages)
#   scripts/install-deps.sh --native     native only
#
# Exit status: 0 all installed; 1 the native part failed; 3 the native part is installed but the
# arm64 part could not be (mirror trouble, usually). The arm64 failure is printed in a banner and
# the caller decides whether to go on without the cross build.
set -euo pipefail

want_arm64=1
[ "${1:-}" = "--native" ] && want_arm64=0

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o Acquire::Retries=3 -o Dpkg::Use-Pty=0)
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

# clang builds the libFuzzer targets; libFuzzer itself (libclang_rt.fuzzer-x86_64.a) is in
# libclang-rt-14-dev, which clang-14 only recommends.
NATIVE=(build-essential cmake pkg-config clang-format clang-tidy clang libclang-rt-14-dev
  libgpiod-dev libi2c-dev libevent-dev libconfig++-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev rapidjson-dev)
# rapidjson-dev (bench/twin_validate reads board-data.json) is Architecture: all, header-only:
# nothing for arm64, where the benches are not built.
# libevent-dev is not Multi-Arch: same in bookworm: libevent-dev:arm64 would remove the native one.
# The arm64 runtime libraries come from apt and only the arm64 lib dir of libevent-dev:arm64 is
# unpacked beside them (the headers are identical for amd64 and arm64).
ARM64=(crossbuild-essential-arm64 qemu-user
  libgpiod-dev:arm64 libi2c-dev:arm64 libconfig++-dev:arm64 zlib1g-dev:arm64
  libgtest-dev:arm64 libgmock-dev:arm64 libbenchmark-dev:arm64
  libevent-2.1-7:arm64 libevent-core-2.1-7:arm64 libevent-extra-2.1-7:arm64
  libevent-pthreads-2.1-7:arm64 libevent-openssl-2.1-7:arm64)

log() { echo "[deps] $*"; }

# Prints the packages of "$@" that are not installed.
missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

updated=0
apt_update() {
  [ "$updated" -eq 1 ] && return 0
  "${SUDO[@]}" "${APT[@]}" update && updated=1
}

install_set() {
  local todo
  mapfile -t todo < <(missing "$@")
  [ "${#todo[@]}" -eq 0 ] && return 0
  log "installing: ${todo[*]}"
  apt_update || return 1
  "${SUDO[@]}" "${APT[@]}" install --no-install-recommends "${todo[@]}"
}

install_native() {
  install_set "${NATIVE[@]}" || return 1
  pkg-config --exists libgpiod libevent libconfig++ zlib
}

install_arm64() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${SUDO[@]}" dpkg --add-architecture arm64
    updated=0
  fi
  install_set "${ARM64[@]}" || return 1
  if [ ! -e /usr/lib/aarch64-linux-gnu/pkgconfig/libevent.pc ]; then
    local tmp
    tmp=$(mktemp -d)
    chmod 777 "$tmp"
    (cd "$tmp" && apt-get download -q libevent-dev:arm64) || { rm -rf "$tmp"; return 1; }
    dpkg-deb --fsys-tarfile "$tmp"/libevent-dev_*_arm64.deb |
      "${SUDO[@]}" tar -x -C / ./usr/lib/aarch64-linux-gnu
    rm -rf "$tmp"
  fi
  aarch64-linux-gnu-pkg-config --exists libgpiod libevent libconfig++ zlib
}

if ! install_native; then
  log "FAILED: the native dependencies could not be installed"
  exit 1
fi
log "native: ok"
[ "$want_arm64" -eq 1 ] || exit 0

if ! install_arm64; then
  cat >&2 <<'EOF'
[deps] ##############################################################################
[deps] ## arm64 cross dependencies could NOT be installed (see the apt output above).  ##
[deps] ## Native builds work; the aarch64 build and its qemu tests cannot run here.    ##
[deps] ##############################################################################
EOF
  exit 3
fi
log "arm64: ok"
