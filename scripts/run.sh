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

jppd, the HTTP/WebSocket daemon, is not written yet. This build holds libjpp: transactions, CashTokens,
addresses, the offline signer, invoices, verification, the SQLite store and the event bus. Here is its offline
payment example at work (an invoice created, paid by a signed transaction, verified, recorded and announced):

MSG
build/release/examples/offline_payment
