#!/bin/sh
# `cmake --install` of a build tree into a temporary prefix: the programs, the board files, the
# systemd unit (pointing at the installed qeild) and the sysusers file land where they should.
# Then `systemd-analyze verify` on the unit when systemd-analyze is installed.
# usage: install_check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_check: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/usr" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
[ -x "$tmp/usr/sbin/qeild" ] || fail "no executable usr/sbin/qeild"
[ -x "$tmp/usr/bin/qeilctl" ] || fail "no executable usr/bin/qeilctl"
for cfg in "$src"/board-configs/*.cfg; do
  name=$(basename "$cfg")
  cmp -s "$cfg" "$tmp/usr/share/qeil/board-configs/$name" ||
    fail "board file $name missing or different in share/qeil/board-configs"
done
unit="$tmp/usr/lib/systemd/system/qeild.service"
[ -f "$unit" ] || fail "no lib/systemd/system/qeild.service"
[ -f "$tmp/usr/lib/sysusers.d/qeil.conf" ] || fail "no lib/sysusers.d/qeil.conf"
grep -q '^Type=notify$' "$unit" || fail "the unit is not Type=notify"
grep -q '^WatchdogSec=' "$unit" || fail "the unit has no watchdog"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "ExecReload does not send HUP"
# The unit names the qeild of the prefix the build was configured for.
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
grep -q "^ExecStart=$prefix/sbin/qeild --board" "$unit" ||
  fail "ExecStart does not run $prefix/sbin/qeild"
# The installed qeild runs and validates an installed board file.
"$tmp/usr/sbin/qeild" --check-config "$tmp/usr/share/qeil/board-configs/rk3588.cfg" >/dev/null ||
  fail "the installed qeild rejects the installed rk3588.cfg"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "install_check: systemd-analyze is not installed: the unit was not verified"
  exit 0
fi
# verify checks that the programs the unit runs exist: point it at the installed ones.
sed "s|$prefix/sbin/qeild|$tmp/usr/sbin/qeild|g" "$unit" >"$tmp/qeild.service"
if ! systemd-analyze verify "$tmp/qeild.service" >"$tmp/verify.log" 2>&1; then
  cat "$tmp/verify.log" >&2
  fail "systemd-analyze verify rejects the unit"
fi
# Warnings about this unit (not about the host's other units) fail too.
if grep -i "qeild.service" "$tmp/verify.log" >&2; then fail "systemd-analyze warns about the unit"; fi
echo "install_check: ok"
