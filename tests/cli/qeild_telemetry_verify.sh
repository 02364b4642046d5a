#!/bin/sh
# qeild on the twin with --telemetry-dir, driven by qeilctl: the files rotate within their bound,
# `qeilctl telemetry export` prints what zcat reads (one header), and `qeilctl verify` feeds a
# session until the daemon says stop and deletes it.
#   qeild_telemetry_verify.sh QEILD QEILCTL BOARD_FILE
set -u
qeild=$1
qeilctl=$2
board=$3
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
has() {  # has FILE TEXT
  grep -qF -- "$2" "$1" || { fail "$1 lacks '$2':"; cat "$1"; }
}
export QEIL_SOCKET="$tmp/q.sock"

# 64 KiB in 8 files of 8 KiB: a few hundred samples per file, so it rotates.
"$qeild" --board "$board" --twin --speed 100 --socket "$QEIL_SOCKET" --root "$tmp/root" \
  --telemetry-dir "$tmp/tel" --telemetry-max-mib 0.0625 2>"$tmp/qeild.err" &
pid=$!
for _ in $(seq 50); do [ -S "$QEIL_SOCKET" ] && break; sleep 0.1; done
[ -S "$QEIL_SOCKET" ] || { fail "qeild did not start"; cat "$tmp/qeild.err"; exit 1; }
sleep 3

"$qeilctl" --json status >"$tmp/status" || fail "qeilctl status"
has "$tmp/status" "\"dir\":\"$tmp/tel\""
has "$tmp/status" '"write_errors":0'
"$qeilctl" --json run --priority 2 -- llm >"$tmp/run.json" || fail "qeilctl run --priority"
has "$tmp/run.json" '"priority":2'
"$qeilctl" run --priority high -- llm 2>/dev/null
[ $? -eq 2 ] || fail "qeilctl run --priority high: not a usage error"
"$qeilctl" status >"$tmp/status.txt" || fail "qeilctl status"
grep -Eq '^loop +tick [0-9.]+ ms \(longest [0-9.]+\), re-plan [0-9.]+ ms' "$tmp/status.txt" ||
  { fail "no loop line in qeilctl status"; cat "$tmp/status.txt"; }
# The default directory is the one the daemon reports; its current file ends early, no error.
"$qeilctl" telemetry export >"$tmp/live.csv" 2>"$tmp/live.err" || fail "export while running"
[ -s "$tmp/live.err" ] && { fail "export while running wrote errors"; cat "$tmp/live.err"; }
head -1 "$tmp/live.csv" | grep -q '^time_s,' || fail "export does not start with the header"
[ "$(grep -c '^time_s' "$tmp/live.csv")" -eq 1 ] || fail "more than one header"
"$qeilctl" telemetry export --since 1 >"$tmp/since.csv" || fail "export --since"
rows=$(($(wc -l <"$tmp/since.csv") - 1))
[ "$rows" -ge 9 ] && [ "$rows" -le 12 ] || fail "--since 1 gave $rows rows, expected 11 (10 Hz)"

# verify: answers until SPRT's margin of 3 is reached; the session is deleted afterwards.
printf '18,120\n$18.00,100\n17,90\n18,110\n18,95\n18,80\n18,99\n' >"$tmp/samples"
"$qeilctl" verify --rule sprt "$tmp/samples" >"$tmp/verify.out" || fail "qeilctl verify"
has "$tmp/verify.out" "stop (margin reached) after 5 of 40 samples (sprt rule): answer 18"
[ "$(grep -c 'continue' "$tmp/verify.out")" -eq 4 ] || { fail "4 continues expected"; cat "$tmp/verify.out"; }
"$qeilctl" --json verify <"$tmp/samples" >"$tmp/verify.json" || fail "qeilctl --json verify"
has "$tmp/verify.json" '"stop":true'
"$qeilctl" --json verify --rule nonsense <"$tmp/samples" 2>"$tmp/verify.err" && fail "bad rule accepted"
has "$tmp/verify.err" "rule: one of csvet"
serving=$("$qeilctl" --json status >/dev/null && echo ok)
[ "$serving" = ok ] || fail "the daemon stopped serving"

kill -TERM "$pid"
wait "$pid" || fail "qeild exited non-zero"
pid=
n=$(ls "$tmp/tel" | wc -l)
[ "$n" -ge 2 ] && [ "$n" -le 8 ] || fail "$n files, expected 2..8"
for f in "$tmp"/tel/*.csv.gz; do
  size=$(wc -c <"$f")
  [ "$size" -le 8192 ] || fail "$f is $size bytes, over its 8 KiB bound"
done
# After a clean stop every file is complete: zcat and the export agree exactly.
zcat "$tmp"/tel/qeil-telemetry-*.csv.gz | awk 'NR == 1 || !/^time_s/' >"$tmp/zcat.csv" ||
  fail "zcat failed"
"$qeilctl" telemetry export --dir "$tmp/tel" >"$tmp/export.csv" || fail "export after stop"
cmp -s "$tmp/zcat.csv" "$tmp/export.csv" || fail "zcat and qeilctl telemetry export differ"
[ "$(wc -l <"$tmp/export.csv")" -gt 500 ] || fail "too few rows exported"
"$qeilctl" telemetry export --dir "$tmp/none" 2>"$tmp/none.err" && fail "missing dir accepted"
has "$tmp/none.err" "$tmp/none"

[ "$failures" -eq 0 ] && echo "ok" && exit 0
exit 1
