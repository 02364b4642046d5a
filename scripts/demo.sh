#!/usr/bin/env bash
# The demo: the board twin of the default board (rk3588) reproducing published measurements,
# qeild on that twin queried with qeilctl, then the HAL's sampling pass. Installs what is
# missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --native
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/native -j "$(nproc)"

echo
echo "The twin of the default board (board-configs/rk3588.cfg) against the published runs on"
echo "RK3588 boards (../shared/data/boards/board-data.json), read through the real backends:"
rc=0
build/native/bench/twin_validate --board rk3588 || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]  # 77: the shared data is not beside this clone
echo
echo "qeild on the twin of the default board (10 simulated seconds per second), driven by"
echo "qeilctl over its UNIX socket, then stopped with SIGTERM (it restores what it wrote):"
sock=$(mktemp -u /tmp/qeild-demo-XXXXXX.sock)
build/native/agent/qeild --board board-configs/rk3588.cfg --twin --speed 10 --socket "$sock" &
qeild_pid=$!
trap 'kill -TERM "$qeild_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -S "$sock" ] && break
  sleep 0.1
done
ctl() { build/native/agent/qeilctl --socket "$sock" "$@"; }
# A small mix: two TinyLlama 1.1B Q4 runs and a 3B-class one, planned and placed by qeild.
ctl run --output-tokens 100000 -- llama-cli -m tinyllama-1.1b-q4.gguf
ctl run --output-tokens 100000 -- llama-cli -m tinyllama-1.1b-q4.gguf
ctl run --params 3.2e9 --layers 28 --hidden 3072 --kv-width 1024 --output-tokens 100000 \
  -- llama-cli -m llama-3.2-3b-q4.gguf
sleep 2  # twenty simulated seconds of decoding
ctl status
echo
ctl workloads
echo
ctl rails
echo
ctl plan explain
kill -TERM "$qeild_pid"
status=0
wait "$qeild_pid" || status=$?
trap - EXIT
echo "qeild exited with status $status"
[ "$status" -eq 0 ]
echo
echo "The hardware abstraction layer's sampling pass on the fakes:"
build/native/bench/hal_tick --short
