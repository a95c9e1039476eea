#!/bin/sh
# usage: check_exports.sh LIBRARY: fails unless the library exports jpp_ functions and nothing else.
set -eu
symbols=$(nm -D --defined-only "$1" | awk '{print $3}')
ours=$(printf '%s\n' "$symbols" | grep -c '^jpp_' || true)
others=$(printf '%s\n' "$symbols" | grep -v -x -e 'jpp_.*' -e 'JPP_0' || true)
echo "$ours jpp_ symbols exported"
if [ "$ours" -lt 24 ]; then echo "expected the 24 functions of jpp.h"; exit 1; fi
if [ -n "$others" ]; then echo "unexpected exports:"; echo "$others"; exit 1; fi
