#!/usr/bin/env bash
# Configures (the first time) and builds CMake presets: release (default),
# asan, debug. Binaries land in build/<preset>/, e.g.
# build/release/src/app/emporium.
#
#   scripts/build.sh                 # release
#   scripts/build.sh release asan
#
# The asan preset builds what the ASan + UBSan suite runs (target asan_suite,
# tests/CMakeLists.txt); EMPORIUM_BUILD_ALL=1 builds every target of a preset.
#
# EMPORIUM_UNITY_BUILD=1 configures a new build directory as a unity build
# (CMake compiles the sources of a target 16 at a time as one file):
# scripts/test.sh sets it, and on a fresh clone it halves each build, as the
# headers (Asio, Beast, GoogleTest) are parsed and their templates compiled
# once per 16 files instead of once per file. It does not change an existing
# directory, so a developer's incremental build stays one object per source.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

presets=("$@")
((${#presets[@]})) || presets=(release)

# CMakeLists.txt uses ccache when it is installed; keep its cache across
# builds and checkouts.
export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.cache/ccache}"
mkdir -p "$CCACHE_DIR"
# Paths under the checkout are hashed relative to it, and the build directory
# is not hashed, so another clone or worktree (CI's fresh clone, a second
# checkout) hits the same cache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(pwd)}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
# The test sources share a precompiled header (tests/CMakeLists.txt); ccache
# caches the objects built with it only under these sloppiness settings.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

for preset in "${presets[@]}"; do
  start=$SECONDS
  # Configure only once: later builds re-run CMake by themselves when a
  # CMakeLists.txt changes.
  if [[ ! -f "build/$preset/build.ninja" ]]; then
    unity=()
    if [[ "${EMPORIUM_UNITY_BUILD:-0}" == 1 ]]; then
      unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
    fi
    cmake --preset "$preset" "${unity[@]}"
  fi
  if [[ "${EMPORIUM_BUILD_ALL:-0}" == 1 ]]; then
    cmake --build "build/$preset" -j"$(nproc)"
  else
    cmake --build --preset "$preset" -j"$(nproc)"
  fi
  echo "build.sh: $preset built in $((SECONDS - start))s"
done
