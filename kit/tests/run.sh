#!/usr/bin/env bash
# Builds the kit's end-to-end program (main.c + libfoo.so -> libbar.so, libplugin.so
# opened with dlopen) against kit/sysroot with the command lines of kit/README.md,
# runs it under `dylink run`, and compares its output with expected.txt.
#
# usage: kit/tests/run.sh [clang-19|clang-22|clang-14 ...]   (default: clang-19 clang-22)
#   DYLINK=path/to/dylink (default: src/Dylink.Cli/bin/Release/net10.0/dylink;
#   build it with `dotnet build src/Dylink.Cli -c Release`).
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
S=$ROOT/kit/sysroot
DYLINK=${DYLINK:-$ROOT/src/Dylink.Cli/bin/Release/net10.0/dylink}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dylink-kit-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

status=0
for cc in "${@:-clang-19 clang-22}"; do
  for c in $cc; do
    d=$WORK/$c
    mkdir -p "$d/data"
    cp "$HERE"/*.c "$d/"
    echo "hello from a preopened file" >"$d/data/in.txt"
    (
      cd "$d"
      case $c in
        clang-14)
          # LLVM 14: PIC only with the emscripten triple, whose driver neither finds
          # the kit nor links shared; wasi headers need __wasi__; main is not renamed.
          CC="clang-14 --target=wasm32-unknown-emscripten -D__wasi__ -nostdinc -isystem $(clang-14 -print-resource-dir)/include -isystem $S/include/wasm32-wasi -fPIC -fvisibility=default"
          for f in bar foo plugin; do $CC -O2 -c "$f.c"; done
          $CC -O2 -Dmain=__main_argc_argv -c main.c
          L="wasm-ld-14 -shared --experimental-pic --no-entry --export-dynamic --export=__wasm_call_ctors"
          NS=$S/lib/wasm32-wasi/libc_nonshared.o
          $L -o libbar.so bar.o "$NS" "$S/lib/wasm32-wasi/libc.so"
          $L -o libfoo.so foo.o libbar.so "$NS" "$S/lib/wasm32-wasi/libc.so"
          $L -o libplugin.so plugin.o "$NS" "$S/lib/wasm32-wasi/libc.so"
          wasm-ld-14 -pie --experimental-pic --import-memory --export-dynamic -o main.wasm \
            "$S/lib/wasm32-wasi/crt1-command.o" main.o libfoo.so libbar.so "$S/lib/wasm32-wasi/libc.so"
          ;;
        *)
          # clang-22 deprecates wasm32-wasi for wasm32-wasip1, whose sysroot dirs the kit does not have.
          T="--target=wasm32-wasi --sysroot=$S -Wno-deprecated"
          SIDE="$c $T -fPIC -fvisibility=default -shared -nostartfiles -nodefaultlibs -Wl,--no-entry -Wl,--export-if-defined=__wasm_call_ctors"
          $c $T -O2 -fPIC -fvisibility=default -c bar.c foo.c plugin.c main.c
          NS=$S/lib/wasm32-wasi/libc_nonshared.o
          $SIDE -Wl,--unresolved-symbols=import-dynamic -o libbar.so bar.o $NS -lc
          $SIDE -o libfoo.so foo.o -L. -lbar $NS -lc
          $SIDE -Wl,--unresolved-symbols=import-dynamic -o libplugin.so plugin.o $NS -lc
          $c $T -fPIC -fvisibility=default -nodefaultlibs -Wl,-pie -Wl,--import-memory -Wl,--export-dynamic \
            -o main.wasm main.o -L. -lfoo -lbar -lc
          ;;
      esac
    ) >"$d/build.log" 2>&1 || { echo "FAIL $c: build"; grep -v 'not yet stable' "$d/build.log"; status=1; continue; }
    (cd "$d" && "$DYLINK" run -L "$S/lib/wasm32-wasi" --dir data --env KIT_GREETING=hi main.wasm one two) \
      >"$d/out.txt" 2>&1 || { echo "FAIL $c: exit $?"; cat "$d/out.txt"; status=1; continue; }
    if diff -u "$HERE/expected.txt" "$d/out.txt"; then echo "ok   $c"; else echo "FAIL $c: output differs"; status=1; fi
  done
done
exit $status
