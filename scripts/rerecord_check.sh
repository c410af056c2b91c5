#!/usr/bin/env bash
# Proves the cassettes never drift from the library: re-record every cassette-backed test
# against a fresh emulator into a scratch folder, replay those new cassettes offline, scan them
# for secrets, and compare the outcomes with a replay of the committed cassettes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

tests=$(grep -rl "flexvmss_cassette" tests --include='test_*.py' | grep -v '^tests/testing_kit/test_plugin' | sort)
echo "cassette-backed test files:" $tests

outcomes() {  # pytest's per-test outcome lines, sorted, from a -rA summary
  grep -E '^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) tests/' "$1" | sed -E 's/ - .*//' | sort
}

echo "== replay the committed cassettes"
$PY -m pytest -q -rA -p no:randomly $tests > "$scratch/committed.log" 2>&1 || true
echo "== re-record against a fresh emulator into $scratch/cassettes"
$PY -m pytest -q -rA -o flexvmss_cassette_dir="$scratch/cassettes" \
  --flexvmss-target=emulator --record-mode=rewrite $tests > "$scratch/record.log" 2>&1 || true
echo "== replay the new cassettes offline"
$PY -m pytest -q -rA -o flexvmss_cassette_dir="$scratch/cassettes" $tests > "$scratch/replay.log" 2>&1 || true
$PY -m flexvmss.testing scan "$scratch/cassettes"

outcomes "$scratch/committed.log" > "$scratch/a"
outcomes "$scratch/record.log" > "$scratch/b"
outcomes "$scratch/replay.log" > "$scratch/c"
if ! grep -q '^PASSED' "$scratch/a"; then echo "no passing test in the committed replay"; tail -n 30 "$scratch/committed.log"; exit 1; fi
if grep -qvE '^(PASSED|SKIPPED|XFAIL)' "$scratch/a"; then echo "the committed cassettes do not replay cleanly:"; cat "$scratch/a"; exit 1; fi
if ! diff -u "$scratch/a" "$scratch/b" || ! diff -u "$scratch/a" "$scratch/c"; then
  echo "re-recording changed the results (see diff above)"; tail -n 40 "$scratch/record.log" "$scratch/replay.log"; exit 1
fi
echo "rerecord check: $(wc -l < "$scratch/a") tests give the same results from committed, re-recorded and replayed cassettes"
