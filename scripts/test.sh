#!/usr/bin/env bash
# Installs what is missing, builds moesim with warnings as errors and runs the
# whole test suite; then, in one clang build under -fsanitize=address,undefined,
# the tests labelled sanitized (the core's unit tests, the moesim binary's
# command-line error cases and small runs of each engine and fidelity, and the
# fuzz targets' saved inputs) and each libFuzzer target for FUZZ_SECONDS
# (default 10) from its seeds (tests/fuzz/run.sh). Compiles go through ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
# ccache keys on paths relative to the clone, so a fresh clone reuses the last one's objects.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
cache=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOESIM_WERROR=ON "${cache[@]}" >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

# build-fuzz: the libFuzzer targets and the sanitized tests, from the same objects.
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DMOESIM_SANITIZE=ON -DMOESIM_FUZZ=ON -DMOESIM_WERROR=ON \
  "${cache[@]}" >/dev/null
cmake --build build-fuzz -j"$jobs" --target moesim moesim_core_tests moesim_property_tests fuzz_all
(cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
   MOESIM_CLI_TIMEOUT=600 ctest --output-on-failure -j"$jobs" -L sanitized)
FINDINGS=build-fuzz/findings bash tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-10}"
echo "all tests passed"
