#!/usr/bin/env bash
# Installs what is missing (apt-get, npm), builds everything with warnings as errors, and runs every test:
# unit and vector tests, the libauth cross-checks, the install test, the Debian packages, jppd's integration tests
# (with a bcash regtest node) and the README's run command, the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, the concurrency tests under ThreadSanitizer, and a short run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
install_node
npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error
# (tests/integration's lock file leaves out cbor-extract's optional per-platform builds, which bitcore-wallet-client
# pulls in deep down and never needs, and which the registry does not always carry: npm ci would refuse otherwise.)
npm ci --prefix tests/integration --no-audit --no-fund --loglevel=error

# ccache, when there: a machine that runs this again recompiles only what changed. Paths are hashed relative to
# the checkout, so another clone of the same sources hits the same cache.
if command -v ccache > /dev/null; then
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi

echo "== build and test (RelWithDebInfo, -Werror)"
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJPP_WARNINGS_AS_ERRORS=ON > /dev/null
cmake --build build/test
ctest --test-dir build/test --output-on-failure

echo "== the same tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJPP_WARNINGS_AS_ERRORS=ON \
  -DJPP_SANITIZE=address,undefined -DJPP_BUILD_BENCH=OFF > /dev/null
cmake --build build/asan
ctest --test-dir build/asan --output-on-failure

echo "== the concurrency tests under ThreadSanitizer"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJPP_WARNINGS_AS_ERRORS=ON -DJPP_SANITIZE=thread \
  -DJPP_BUILD_BENCH=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build/tsan --target jpp_unit_tests jppd_unit_tests jppd jpp_test_wallet
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
build/tsan/tests/jpp_unit_tests
build/tsan/tests/jppd_unit_tests
# The daemon's threads under load: the HTTP server, WebSocket fan-out, payments with a node, the chain follower
# beside them, the fault tests (group commit among them), the metrics listener, TLS (handshakes, WSS watchers, a
# reload under open connections), the cache of invoices' answers with readers racing a payment. A race report
# stops jppd with a non-zero status, which the tests check on every stop.
JPPD_BIN=build/tsan/jppd/jppd JPP_TEST_WALLET=build/tsan/tests/jpp_test_wallet /usr/bin/python3 -m pytest -q -rs \
  -p no:cacheprovider tests/integration/test_http_api.py tests/integration/test_http_hardening.py \
  tests/integration/test_websocket.py \
  tests/integration/test_node_payments.py tests/integration/test_wallet_protocols.py tests/integration/test_faults.py \
  tests/integration/test_payment_safety.py tests/integration/test_webhooks.py \
  tests/integration/test_chain_following.py tests/integration/test_address_payments.py \
  tests/integration/test_observability.py tests/integration/test_tls.py tests/integration/test_invoice_cache.py
unset TSAN_OPTIONS

echo "== fuzzers, ${JPP_FUZZ_SECONDS:-15}s each"
tests/fuzz/run.sh "${JPP_FUZZ_SECONDS:-15}" build/fuzz
