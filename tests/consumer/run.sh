#!/usr/bin/env bash
# usage: run.sh BUILD_DIR CONSUMER_SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"

echo "== find_package(jpp)"
cmake -S "$source" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$scratch/prefix" > "$scratch/configure.log"
cmake --build "$scratch/cmake-build" > "$scratch/build.log"
"$scratch/cmake-build/consumer"

echo "== pkg-config jpp"
export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig:$scratch/prefix/lib/x86_64-linux-gnu/pkgconfig"
c++ -std=c++20 "$source/main.cpp" -o "$scratch/consumer-pkgconfig" \
    $(pkg-config --cflags jpp) $(pkg-config --libs --static jpp)
"$scratch/consumer-pkgconfig"
