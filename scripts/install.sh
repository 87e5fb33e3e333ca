#!/bin/sh
# Installs Strata as LevelDB 1.23 under PREFIX: the shared library with its
# SONAME and development links, the static library, the headers and a
# pkg-config file. Needs only a POSIX shell (and cargo, unless the library
# is already built).
#
#   scripts/install.sh PREFIX
#
# Environment: STRATA_LIB_DIR  directory holding an already built
#                              libleveldb.so and libleveldb.a (skips cargo)
#              LIBDIR          library directory (default PREFIX/lib)
#              DESTDIR         staging root prepended to every path written
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
PREFIX=$1
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=$PREFIX/include
DESTDIR=${DESTDIR:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "${STRATA_LIB_DIR:-}" ]; then
  BUILT=$STRATA_LIB_DIR
else
  (cd "$ROOT" && cargo build --release --lib)
  BUILT=$ROOT/target/release
fi
for f in libleveldb.so libleveldb.a; do
  if [ ! -f "$BUILT/$f" ]; then
    echo "$0: $BUILT/$f not found" >&2
    exit 1
  fi
done

mkdir -p "$DESTDIR$LIBDIR/pkgconfig" "$DESTDIR$INCLUDEDIR/leveldb/helpers"
cp "$BUILT/libleveldb.so" "$DESTDIR$LIBDIR/libleveldb.so.1.23.0"
chmod 755 "$DESTDIR$LIBDIR/libleveldb.so.1.23.0"
ln -sf libleveldb.so.1.23.0 "$DESTDIR$LIBDIR/libleveldb.so.1"
ln -sf libleveldb.so.1 "$DESTDIR$LIBDIR/libleveldb.so"
cp "$BUILT/libleveldb.a" "$DESTDIR$LIBDIR/libleveldb.a"
chmod 644 "$DESTDIR$LIBDIR/libleveldb.a"
# Every public header: c.h, LevelDB's C++ headers and helpers/memenv.h.
for src in "$ROOT"/include/leveldb/*.h "$ROOT"/include/leveldb/helpers/*.h; do
  h=${src#"$ROOT/include/leveldb/"}
  cp "$src" "$DESTDIR$INCLUDEDIR/leveldb/$h"
  chmod 644 "$DESTDIR$INCLUDEDIR/leveldb/$h"
done
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" \
  "$ROOT/leveldb.pc.in" > "$DESTDIR$LIBDIR/pkgconfig/leveldb.pc"
echo "installed Strata (LevelDB 1.23 API) into $DESTDIR$PREFIX"
