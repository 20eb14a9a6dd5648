#!/usr/bin/env bash
# Regenerates the libc FFM bindings in ./java from ./libc.h.
# Requires an installed jextract (see JEXTRACT_VERSION); override with JEXTRACT=/path/to/bin/jextract.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JEXTRACT="${JEXTRACT:-jextract}"
PKG=io.nativemem.internal.libc
OUT="$HERE/java"

FUNCTIONS=(
  malloc calloc free posix_memalign memset memcpy
  mmap munmap msync madvise mincore
  sysconf getpagesize malloc_usable_size
  open close ftruncate strerror __errno_location
)
CONSTANTS=(
  PROT_NONE PROT_READ PROT_WRITE
  MAP_SHARED MAP_PRIVATE MAP_FAILED
  MS_ASYNC MS_SYNC MS_INVALIDATE
  MADV_NORMAL MADV_RANDOM MADV_SEQUENTIAL MADV_WILLNEED MADV_DONTNEED
  _SC_PAGESIZE _SC_PAGE_SIZE
  O_RDONLY O_WRONLY O_RDWR O_CREAT O_CLOEXEC
  EINTR ENOMEM EINVAL EAGAIN
)

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
