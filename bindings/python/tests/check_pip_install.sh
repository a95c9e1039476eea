#!/bin/sh
# usage: check_pip_install.sh PACKAGE_DIR LIBRARY: pip installs the package offline into a scratch folder and
# imports it from there, as a user without network access would.
set -eu
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Build from a copy, so setuptools' build/ and egg-info land in the scratch folder, not in the source tree.
cp -r "$1" "$scratch/source"
target="$scratch/site"
python3 -m pip install --quiet --no-index --no-build-isolation --target "$target" "$scratch/source"
cd "$target"
JPP_LIBRARY="$2" PYTHONPATH="$target" python3 -c 'import jpp; assert jpp.decode_transaction("01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000")["txid"] == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"; print("installed and imported jpp", jpp.__version__)'
