#!/bin/sh
# qeild --check-config as a user runs it: a good file, a bad one (written here), both, and
# usage errors. Exit status and output are checked.
#   qeild_check_config.sh QEILD GOOD_FILE
set -u
qeild=$1
good=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run EXPECTED_STATUS ARGS...: runs qeild, keeping stdout and stderr in $tmp/out and $tmp/err.
run() {
  expected=$1
  shift
  "$qeild" "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
  [ "$status" -eq "$expected" ] || fail "qeild $* exited $status, expected $expected"
}
has() {  # has FILE TEXT
  grep -qF -- "$2" "$1" || { fail "$1 lacks '$2':"; cat "$1"; }
}

# Line 3 has a type error, line 6 an unknown key; nothing else is wrong with the file.
sed -e 's/^base_w = .*/base_w = "two";/' -e 's/^ambient_c = .*/ambient_c = 25.0; colour = 1;/' \
  "$good" >"$tmp/bad.cfg"
bad_base=$(grep -n '^base_w' "$tmp/bad.cfg" | cut -d: -f1)
bad_colour=$(grep -n 'colour' "$tmp/bad.cfg" | cut -d: -f1)

run 0 --check-config "$good"
has "$tmp/out" "$good: ok"
[ -s "$tmp/err" ] && fail "stderr not empty for a good file"

run 1 --check-config "$tmp/bad.cfg"
has "$tmp/err" "$tmp/bad.cfg:$bad_base: base_w: expected a number, got a string"
has "$tmp/err" "$tmp/bad.cfg:$bad_colour: colour: unknown setting"
[ "$(wc -l <"$tmp/err")" -eq 2 ] || fail "expected exactly 2 error lines"
[ -s "$tmp/out" ] && fail "stdout not empty for a bad file"

run 1 --check-config "$good" "$tmp/bad.cfg"
has "$tmp/out" "$good: ok"
has "$tmp/err" "$tmp/bad.cfg:$bad_base:"

run 1 --check-config "$tmp/none.cfg"
has "$tmp/err" "$tmp/none.cfg: cannot open"

run 2
run 2 --check-config
run 2 --board "$good" --speed 2
has "$tmp/err" "qeild: --speed and --ambient-c need --twin"
run 2 --colour
has "$tmp/err" "qeild: --colour: unknown option"
run 0 --help
has "$tmp/out" "--check-config FILE..."

[ "$failures" -eq 0 ] && echo "all passed"
exit "$failures"
