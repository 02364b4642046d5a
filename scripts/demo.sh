#!/usr/bin/env bash
# The demo: the board twin of the default board (rk3588) reproducing published measurements,
# then the HAL's sampling pass. Installs what is missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --native
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/native -j "$(nproc)"

echo
echo "The twin of the default board (board-configs/rk3588.cfg) against the published runs on"
echo "RK3588 boards (../shared/data/boards/board-data.json), read through the real backends:"
build/native/bench/twin_validate --board rk3588
echo
echo "The hardware abstraction layer's sampling pass on the fakes:"
build/native/bench/hal_tick --short
