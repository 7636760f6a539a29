#!/usr/bin/env bash
# Builds examples/hello-kit with the kit alone: two `dylink cc` commands (docs/getting-started.md), from the C sources
# of examples/hello (tests/fixtures/src/hello.c and host_main.c).
#   usage: examples/hello-kit/build.sh [OUTDIR]     (default: this directory)
# DYLINK is the dylink to use (default: the Release build of this checkout); CLANG the compiler (default clang-19).
# The output is reproducible: KitTests rebuilds it and compares the bytes with the committed files.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(mkdir -p "${1:-$HERE}" && cd "${1:-$HERE}" && pwd)
DYLINK=${DYLINK:-$HERE/../../src/Dylink.Cli/bin/Release/net10.0/dylink}
CLANG=${CLANG:-clang-19}
cd "$HERE/../../tests/fixtures/src"
"$DYLINK" cc --cc "$CLANG" -O2 -shared -o "$OUT/libhello.so" hello.c
"$DYLINK" cc --cc "$CLANG" -O2 -o "$OUT/host.wasm" host_main.c -L"$OUT" -lhello
