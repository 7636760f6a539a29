#!/usr/bin/env bash
# Rebuilds the kit's sysroot into a temp dir (via build.sh) and compares each file
# byte for byte with the committed kit/sysroot/. Prints every differing, missing or
# extra file; exits 1 if there is any.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dylink-kit-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

"$HERE/build.sh" "$TMP"

list() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
status=0
while read -r f; do
  if [[ ! -f $HERE/sysroot/$f ]]; then
    echo "NEW (not committed): sysroot/$f"; status=1
  elif ! cmp -s "$TMP/sysroot/$f" "$HERE/sysroot/$f"; then
    echo "DIFFERS: sysroot/$f"; status=1
  fi
done < <(list "$TMP/sysroot")
while read -r f; do
  [[ -f $TMP/sysroot/$f ]] || { echo "NOT REBUILT (stale?): sysroot/$f"; status=1; }
done < <(list "$HERE/sysroot")

if ((status)); then
  echo "kit/check.sh: the rebuilt sysroot differs from the committed one" >&2
else
  echo "kit/check.sh: all $(list "$HERE/sysroot" | wc -l) files in kit/sysroot/ are byte-identical to a fresh build"
fi
exit $status
