#!/usr/bin/env bash
# Installs what is missing (apt-get), builds libjpp, and runs what there is to run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_packages "${BUILD_PACKAGES[@]}"

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF > /dev/null
cmake --build build/release

if [ -x build/release/jppd/jppd ]; then
  exec build/release/jppd/jppd "$@"
fi
cat <<'MSG'

jppd, the HTTP/WebSocket daemon, is not written yet. This build holds libjpp's chain layer (transactions,
CashTokens, addresses, hashing, the offline signer); here is its embedding example at work:

MSG
build/release/examples/offline_payment
