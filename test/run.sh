#!/bin/sh
# The whole suite in one run of Node's test runner: unit (no root), lab (real sshd in network
# namespaces, root) and vm (real kernel IPVS in qemu, root). Lab and VM suites skip with a message
# when not root. test/pack installs the packed package into a temp prefix (npm pack → npm install -g).
# test/vagrant (real VMs under libvirt, CPU-heavy) runs after everything else, on its own.
# Usage: sh test/run.sh [unit|pack|lab|vm|vagrant|all] [extra node --test args]
set -e
cd "$(dirname "$0")/.."
kind=${1:-all}
[ $# -gt 0 ] && shift
case $kind in
  unit) dirs="test/unit" ;;
  lab) dirs="test/lab" ;;
  vm) dirs="test/vm" ;;
  pack) dirs="test/pack" ;;
  vagrant) dirs="test/vagrant" ;;
  all) dirs="test/unit test/pack test/lab test/vm" ;;
  *) echo "usage: sh test/run.sh [unit|pack|lab|vm|vagrant|all]" >&2; exit 2 ;;
esac
# The whole suite starts with lint (Biome + tsc): a red lint fails CI like a red test.
if [ "$kind" = all ]; then npm run -s lint; fi
files=$(find $dirs -name '*.test.ts' 2>/dev/null | sort)
[ -n "$files" ] || { echo "no test files under $dirs" >&2; exit 1; }
if [ "$kind" = all ]; then
  node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "$@" $files
  exec node --import tsx --test "$@" $(find test/vagrant -name '*.test.ts' | sort)
fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "$@" $files
