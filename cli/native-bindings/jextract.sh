#!/usr/bin/env bash
# Regenerates the command's own libc FFM bindings in ./java from ./libc.h: the glibc version and the
# page size that `nativemem stats` prints. The library's bindings are ../../native-bindings.
# Requires an installed jextract (see JEXTRACT_VERSION); override with JEXTRACT=/path/to/bin/jextract.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JEXTRACT="${JEXTRACT:-jextract}"
PKG=io.nativemem.cli.libc
OUT="$HERE/java"

FUNCTIONS=(gnu_get_libc_version sysconf)
CONSTANTS=(_SC_PAGESIZE)

args=()
for f in "${FUNCTIONS[@]}"; do args+=(--include-function "$f"); done
for c in "${CONSTANTS[@]}"; do args+=(--include-constant "$c"); done

# Start from a clean package directory so removed symbols don't leave stale files.
rm -rf "$OUT/${PKG//.//}"
mkdir -p "$OUT"

"$JEXTRACT" \
  --output "$OUT" \
  --target-package "$PKG" \
  --header-class-name Libc \
  "${args[@]}" \
  "$HERE/libc.h"
