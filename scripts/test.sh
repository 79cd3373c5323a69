#!/usr/bin/env bash
# Installs what is missing, builds moesim with warnings as errors and runs the
# whole test suite; then, under -fsanitize=address,undefined, the core's unit
# tests, the moesim binary's command-line error cases and small runs of each
# engine and fidelity, and the fuzz targets' saved inputs; then each libFuzzer
# target for FUZZ_SECONDS (default 10) from its seeds (tests/fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOESIM_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMOESIM_SANITIZE=ON -DMOESIM_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs" --target moesim moesim_core_tests moesim_property_tests moesim_fuzz_replay
(cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
   MOESIM_CLI_TIMEOUT=600 ctest --output-on-failure -j"$jobs" -L sanitized)

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DMOESIM_FUZZ=ON -DMOESIM_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_all
FINDINGS=build-fuzz/findings bash tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-10}"
echo "all tests passed"
