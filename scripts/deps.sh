# Sourced by the set-up scripts: install_packages PKG... installs, with apt-get, those not installed yet.
install_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
}

# What building libjpp and jppd needs on Debian 12 (protobuf for jppd's BIP70; node-llhttp's C sources for jppd's
# request parser; libhttp-parser-dev for the node RPC client's replies and URLs; libcurl for webhook deliveries;
# libpq for the PostgreSQL store; prometheus-cpp for the metrics; help2man for jppd's man page; dpkg-dev, whose
# dpkg-shlibdeps gives the Debian packages their Depends).
BUILD_PACKAGES=(g++ cmake ninja-build pkg-config libssl-dev libsecp256k1-dev rapidjson-dev libsqlitecpp-dev
  libsqlite3-dev libcli11-dev doctest-dev libasio-dev libhttp-parser-dev node-llhttp libqrencode-dev
  libprotobuf-dev protobuf-compiler libcurl4-openssl-dev libpq-dev prometheus-cpp-dev help2man dpkg-dev)
# What the tests need on top: clang's libFuzzer and sanitizer runtimes, Python's test runner and installer for
# the bindings and jppd's integration tests, jsonschema (jppd's answers checked against its OpenAPI document), curl
# for the README's example, websocket-client, headless Chromium (with a font) and zbar (to read the invoice page's
# QR code back) for the WebSocket and browser tests, python3-protobuf (with protoc) to decode BIP70 independently,
# and Node.js (below) for the libauth cross-checks, the bcash regtest node, the Node ws client,
# bitcore-wallet-client and the OpenAPI validator; a PostgreSQL server for the store tests (tests/postgres) and
# HAProxy for the several-instance tests; openssl to make a certificate; ccache so that a second run recompiles
# only what changed; Prometheus's server, which scrapes jppd in the metrics test; for the package test, systemd
# (systemd-analyze, systemd-sysusers), strace (the sandbox) and groff-base (the man page).
TEST_PACKAGES=(ccache clang libclang-rt-14-dev python3 python3-pytest python3-setuptools python3-pip python3-jsonschema
  curl openssl python3-websocket chromium fonts-dejavu-core zbar-tools python3-protobuf postgresql haproxy prometheus
  systemd strace groff-base)

install_node() {
  command -v node > /dev/null && command -v npm > /dev/null && return 0
  install_packages nodejs npm
}
