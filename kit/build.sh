#!/usr/bin/env bash
# Builds the kit's sysroot (kit/README.md): wasi-libc as a PIC side module libc.so,
# its headers plus dlfcn.h, and PIC start files, from Debian bookworm's wasi-libc
# SOURCE package, with clang-19 and wasm-ld-19.
#
# usage: kit/build.sh [OUTROOT]
#   OUTROOT defaults to kit/ itself; the output goes to OUTROOT/sysroot/ (emptied
#   first). check.sh builds into a temp OUTROOT and compares.
#
# Needs: clang-19 lld-19 libclang-rt-19-dev-wasm32 wabt make xz-utils, and apt with
# access to a Debian mirror (deb-src is enabled here when missing, with sudo when
# not root). Override tools with CLANG=… WASMLD=… BUILTINS=… WASM_OBJDUMP=…;
# KIT_SOURCE_DIR=dir takes the three source package files from dir instead of apt.
# KIT_JOBS (default 2) is make's -j.
#
# Reproducibility: a fixed scratch layout, the source tree mapped to "wasi-libc"
# by -ffile-prefix-map, no debug info (--strip-debug drops compiler-rt's), objects
# linked in sorted order, fixed output names, LC_ALL=C.
set -euo pipefail
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTROOT=${1:-$HERE}
mkdir -p "$OUTROOT"
OUTROOT=$(cd "$OUTROOT" && pwd)

# ------------------------------------------------------------------ pins
PKG=wasi-libc
PKG_VERSION=0.0~git20220510.9886d3d-2                    # Debian 12 bookworm
ORIG_TAR=wasi-libc_0.0~git20220510.9886d3d.orig.tar.xz
ORIG_SHA256=8f9b802736a856942839d32966937c389f46e9f156415a549a6675b7535e5f74
DEBIAN_TAR=wasi-libc_0.0~git20220510.9886d3d-2.debian.tar.xz
DEBIAN_SHA256=d29dd149f8e2cd8ac72952801a3b03ead259d90c164bf51c8aa0daf1cee64476

CLANG=${CLANG:-clang-19}
WASMLD=${WASMLD:-wasm-ld-19}
WASM_OBJDUMP=${WASM_OBJDUMP:-wasm-objdump}
BUILTINS=${BUILTINS:-/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a}
JOBS=${KIT_JOBS:-2}

# The compiler flags of every libc object (the Makefile adds its own after these):
# wasi-libc's default -O2 -DNDEBUG, plus PIC with default visibility so that libc.so
# exports its API (wasm's default visibility is hidden; musl's internal symbols stay
# hidden through their own attributes).
LIBC_CFLAGS="-O2 -DNDEBUG -fPIC -fvisibility=default"

# ------------------------------------------------------------------ tools
missing=()
for t in "$CLANG" "$WASMLD" "$WASM_OBJDUMP" make tar xz sha256sum git apt-get; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[[ -f $BUILTINS ]] || missing+=("libclang-rt-19-dev-wasm32 ($BUILTINS)")
if ((${#missing[@]})); then
  echo "kit/build.sh: missing: ${missing[*]}" >&2
  echo "install: apt-get install -y --no-install-recommends clang-19 lld-19 libclang-rt-19-dev-wasm32 wabt make xz-utils git" >&2
  exit 1
fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dylink-kit.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/dl"

# ------------------------------------------------------------------ 1. source package
fetch_source() {
  (cd "$WORK/dl" && apt-get source --download-only -qq "$PKG=$PKG_VERSION") >"$WORK/apt.log" 2>&1
}
if [[ -n ${KIT_SOURCE_DIR:-} ]]; then
  cp "$KIT_SOURCE_DIR/$ORIG_TAR" "$KIT_SOURCE_DIR/$DEBIAN_TAR" "$WORK/dl/"
elif ! fetch_source; then
  # A fresh Debian has no deb-src entry: add one for bookworm (the Types: line of
  # debian.sources lists only "deb"), refresh the index, and try again.
  echo "kit/build.sh: enabling deb-src for bookworm (/etc/apt/sources.list.d/dylink-kit-src.sources)" >&2
  printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
    | as_root tee /etc/apt/sources.list.d/dylink-kit-src.sources >/dev/null
  as_root apt-get update -qq
  fetch_source || { cat "$WORK/apt.log" >&2; echo "kit/build.sh: apt-get source $PKG=$PKG_VERSION failed" >&2; exit 1; }
fi
check_sum() {
  local file=$1 want=$2 got
  got=$(sha256sum "$WORK/dl/$file" | cut -d' ' -f1)
  [[ $got == "$want" ]] || { echo "kit/build.sh: $file: SHA-256 $got, expected $want" >&2; exit 1; }
}
check_sum "$ORIG_TAR" "$ORIG_SHA256"
check_sum "$DEBIAN_TAR" "$DEBIAN_SHA256"

# Unpack as dpkg-source would (orig tarball, then debian/ with its quilt series),
# into a fixed directory name.
SRC=$WORK/wasi-libc
mkdir -p "$SRC"
tar -xJf "$WORK/dl/$ORIG_TAR" -C "$SRC" --strip-components=1
tar -xJf "$WORK/dl/$DEBIAN_TAR" -C "$SRC"
# git apply works as plain patch(1) outside a repository; the ceiling keeps it from
# finding one around TMPDIR.
export GIT_CEILING_DIRECTORIES=$WORK
while read -r p; do
  [[ -z $p || $p == \#* ]] && continue
  (cd "$SRC" && git apply -p1 "debian/patches/$p")
done <"$SRC/debian/patches/series"
# The kit's own patches, in name order.
for p in "$HERE"/patches/*.patch; do
  (cd "$SRC" && git apply -p1 "$p")
done

# ------------------------------------------------------------------ 2. objects (the Makefile's rules)
make -C "$SRC" -f Makefile -f "$HERE/src/kit.mk" -j"$JOBS" --no-print-directory \
  CC="$CLANG" EXTRA_CFLAGS="$LIBC_CFLAGS -ffile-prefix-map=$SRC=wasi-libc" \
  SYSROOT="$WORK/sysroot" OBJDIR="$WORK/obj" kit-objects >"$WORK/make.log" 2>&1 \
  || { tail -40 "$WORK/make.log" >&2; echo "kit/build.sh: make failed" >&2; exit 1; }

# ------------------------------------------------------------------ 3. libc.so
# compiler-rt's builtins are hidden, so --export-dynamic would not export them: list
# the archive's global definitions (a throw-away module with --export-all) and
# export each by name, which also pulls each one's archive member into libc.so.
# Programs then take __multi3, __extenddftf2, … from libc.so. Left out:
# __gcc_personality_v0, the C personality routine of an _Unwind_* unwinder (which
# wasm has not; it would make libc.so import _Unwind_GetIP and friends).
mkdir -p "$WORK/builtins"
(cd "$WORK/builtins" && "$WASMLD" -shared --experimental-pic --no-entry --export-all --strip-debug \
  --unresolved-symbols=import-dynamic -o builtins.so --whole-archive "$BUILTINS" 2>/dev/null)
"$WASM_OBJDUMP" -x -j Export "$WORK/builtins/builtins.so" \
  | sed -n 's/.* -> "\(.*\)"$/\1/p' | grep -v '^__wasm_\|^__dso_handle$\|^__gcc_personality_v0$' \
  | sort -u >"$WORK/builtins.txt"
[[ -s $WORK/builtins.txt ]] || { echo "kit/build.sh: no symbols found in $BUILTINS" >&2; exit 1; }

# The kit's own objects: stack_chk.o (into libc.so), the start files, and libc_nonshared.o (into each side module:
# the library's own atexit, see the source).
mkdir -p "$WORK/kit"
cp "$HERE/src/stack_chk.c" "$HERE/src/crt1-command.c" "$HERE/src/crt1-reactor.c" "$HERE/src/libc_nonshared.c" "$WORK/kit/"
for c in stack_chk crt1-command crt1-reactor libc_nonshared; do
  (cd "$WORK/kit" && "$CLANG" --target=wasm32-wasi -O2 -fPIC -fvisibility=default -nostdinc \
    -ffile-prefix-map="$WORK/kit=." -c -o "$c.o" "$c.c")
done

# -shared --experimental-pic: a dylink.0 side module. --export-dynamic: every
# default-visibility symbol. --unresolved-symbols=import-dynamic: __heap_base
# (dlmalloc's start, which the loader defines) and the program's __main_argc_argv
# (weak) become imports; the check below makes sure nothing else does.
(cd "$WORK/obj" && "$WASMLD" -shared --experimental-pic --no-entry --export-dynamic --strip-debug \
  --unresolved-symbols=import-dynamic --export-if-defined=__wasm_call_ctors \
  $(sed 's/^/--export=/' "$WORK/builtins.txt") \
  -o libc.so $(cat kit-objects.txt) "$WORK/kit/stack_chk.o" "$BUILTINS")

# Every env function import must be one of libc.so's own (weak, interposable)
# definitions, except the program's main; every GOT.mem import likewise, except
# __heap_base. Anything else would be an undefined symbol of libc itself.
"$WASM_OBJDUMP" -x -j Import "$WORK/obj/libc.so" | sed -n 's/.* <- \(env\|GOT\.mem\|GOT\.func\)\.\(.*\)$/\1 \2/p' \
  | grep -v '^env \(memory\|__indirect_function_table\|__stack_pointer\|__memory_base\|__table_base\)$' \
  | sort >"$WORK/imports.txt"
"$WASM_OBJDUMP" -x -j Export "$WORK/obj/libc.so" | sed -n 's/.* -> "\(.*\)"$/\1/p' | sort -u >"$WORK/exports.txt"
unresolved=$(while read -r _ name; do grep -qxF "$name" "$WORK/exports.txt" || echo "$name"; done <"$WORK/imports.txt" \
  | sort -u | tr '\n' ' ')
if [[ $unresolved != "__heap_base __main_argc_argv " ]]; then
  echo "kit/build.sh: libc.so has unexpected undefined symbols: $unresolved" >&2
  exit 1
fi
for s in __multi3 __extenddftf2 __umodti3 __stack_chk_fail printf errno environ; do
  grep -qxF "$s" "$WORK/exports.txt" || { echo "kit/build.sh: libc.so does not export $s" >&2; exit 1; }
done

# ------------------------------------------------------------------ 4. the sysroot
OUT=$OUTROOT/sysroot
rm -rf "$OUT"
mkdir -p "$OUT/include/wasm32-wasi" "$OUT/lib/wasm32-wasi"
cp -R "$WORK/sysroot/include/." "$OUT/include/wasm32-wasi/"
cp "$HERE/src/dlfcn.h" "$OUT/include/wasm32-wasi/dlfcn.h"
cp "$WORK/obj/libc.so" "$WORK/kit/crt1-command.o" "$WORK/kit/crt1-reactor.o" "$WORK/kit/libc_nonshared.o" "$OUT/lib/wasm32-wasi/"
chmod -R u+rwX,go+rX,go-w "$OUT"
chmod a-x "$OUT/lib/wasm32-wasi/libc.so"

echo "kit/build.sh: $OUT: libc.so $(wc -c <"$OUT/lib/wasm32-wasi/libc.so") bytes," \
  "$(find "$OUT/include" -type f | wc -l) headers, $(wc -l <"$WORK/builtins.txt") compiler-rt builtins exported"
