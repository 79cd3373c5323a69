#!/usr/bin/env bash
# Installs what is missing, builds moesim with warnings as errors, runs the
# whole test suite, then builds the pure core's unit tests with
# -fsanitize=address,undefined and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOESIM_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMOESIM_CORE_ONLY=ON -DMOESIM_SANITIZE=ON -DMOESIM_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
   ctest --output-on-failure -j"$jobs")
echo "all tests passed"
