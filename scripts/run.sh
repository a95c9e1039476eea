#!/usr/bin/env bash
# Installs what is missing (apt-get), builds jppd (Release) and runs it. Without arguments it starts in
# development mode on 127.0.0.1:8000 with the database ./jppd.sqlite3: payments are verified and recorded but
# not broadcast (it says so). With arguments, they are jppd's own (see --help), e.g. --node-rpc URL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_packages "${BUILD_PACKAGES[@]}"

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_BENCH=OFF \
  -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build/release --target jppd

if [ $# -eq 0 ]; then
  exec build/release/jppd/jppd --dev-mode
fi
exec build/release/jppd/jppd "$@"
