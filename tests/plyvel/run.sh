#!/usr/bin/env bash
# plyvel's own test suite (plyvel 1.5.0, the version Debian's python3-plyvel
# is built from) against a LevelDB library, through Debian's binding.
#
#   run.sh WORKDIR [LIBDIR]
#
# WORKDIR   where the plyvel source distribution is downloaded (once: it is
#           reused when present and its checksum matches) and the suite runs.
# LIBDIR    optional: a directory holding the library to test as
#           libleveldb.so.1d; it goes first on LD_LIBRARY_PATH. Without it
#           the binding uses the distro's LevelDB 1.23.
#
# Installs nothing. Needs: Debian's python3-plyvel and python3-pytest (for
# /usr/bin/python3, or $PYTHON), and pip (or $PIP) able to reach the Python
# package index for the one download.
#
# Prints "library: PATH" (the libleveldb the binding's extension mapped),
# then one "OUTCOME test-id" line per test, sorted, then the counts line
# "summary: N passed, N failed, N error, N skipped". Exits 0 whenever the
# suite ran, whatever its results: the caller compares outcomes.
set -euo pipefail

work=${1:?usage: run.sh WORKDIR [LIBDIR]}
libdir=${2:-}
python=${PYTHON:-/usr/bin/python3}
version=1.5.0
sdist=plyvel-$version.tar.gz
sha256=cd918e0b31690abcd3d202a8742caf951ab2fe1573de7af71c38456847f9202b

mkdir -p "$work"
cd "$work"

have_sdist() { [ -f "$sdist" ] && echo "$sha256  $sdist" | sha256sum -c --quiet - 2>/dev/null; }
if ! have_sdist; then
  rm -f "$sdist"
  pip=${PIP:-}
  if [ -z "$pip" ]; then
    if command -v pip >/dev/null; then pip=pip; else pip="$python -m pip"; fi
  fi
  $pip download --quiet --no-deps --no-binary :all: "plyvel==$version" -d . >&2
  have_sdist || { echo "run.sh: $sdist checksum mismatch" >&2; exit 1; }
fi

# Only the test module, alone in its directory: the source tree's own
# plyvel/ package must not shadow the installed binding.
rm -rf suite
mkdir suite
tar -xzf "$sdist" -O "plyvel-$version/test/test_plyvel.py" > suite/test_plyvel.py

if [ -n "$libdir" ]; then
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  unset LD_LIBRARY_PATH
fi

# Which library the binding really loads (import failures show here too).
"$python" - <<'PY' || echo "library: (plyvel failed to import)"
import plyvel  # noqa: F401
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split()[-1]
        if "/libleveldb" in path:
            print("library:", path)
            break
PY

cd suite
set +e
"$python" -m pytest -q -rA -p no:cacheprovider test_plyvel.py > pytest.out 2>&1
status=$?
set -e
# pytest: 0 all passed, 1 some failed, 2 interrupted (e.g. import error in
# collection); anything else means pytest itself did not run the suite.
if [ "$status" -gt 2 ]; then
  cat pytest.out >&2
  echo "run.sh: pytest exited $status" >&2
  exit 1
fi
grep -E '^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) ' pytest.out \
  | awk '{print $1, $2}' | sort
count() { grep -cE "^$1 " pytest.out || true; }
echo "summary: $(count PASSED) passed, $(count FAILED) failed, $(count ERROR) error, $(count SKIPPED) skipped"
