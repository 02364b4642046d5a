#!/usr/bin/env bash
# The main job: qeild planning and enforcing on the twin of the default board. Installs what is
# missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --native
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/native -j "$(nproc)"

echo
echo "qeild and the board twin are not built yet: there is no daemon to run on a twin."
echo "What exists today is the hardware abstraction layer; its sampling pass on the fakes:"
if [ -x build/native/bench/hal_tick ]; then
  build/native/bench/hal_tick --short
fi
