#!/bin/sh
# The whole suite in one run of Node's test runner: unit (no root), lab (real sshd in network
# namespaces, root) and vm (real kernel IPVS in qemu, root). Lab and VM suites skip with a message
# when not root. test/pack installs the packed package into a temp prefix (npm pack → npm install -g).
# Usage: sh test/run.sh [unit|pack|lab|vm|all] [extra node --test args]
set -e
cd "$(dirname "$0")/.."
kind=${1:-all}
[ $# -gt 0 ] && shift
case $kind in
  unit) dirs="test/unit" ;;
  lab) dirs="test/lab" ;;
  vm) dirs="test/vm" ;;
  pack) dirs="test/pack" ;;
  all) dirs="test/unit test/pack test/lab test/vm" ;;
  *) echo "usage: sh test/run.sh [unit|pack|lab|vm|all]" >&2; exit 2 ;;
esac
# The whole suite starts with lint (Biome + tsc): a red lint fails CI like a red test.
if [ "$kind" = all ]; then npm run -s lint; fi
files=$(find $dirs -name '*.test.ts' 2>/dev/null | sort)
[ -n "$files" ] || { echo "no test files under $dirs" >&2; exit 1; }
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "$@" $files
