#!/usr/bin/env bash
# Runs every test of the project: .NET unit/integration tests (including the full AG News test-split
# accuracy check), the protocol tests against the real server process, the fuzz and fault suite
# (tests/protocol-node/fault, with the scale-out run: 3 shard processes over 3,000 files), the extension's unit tests and
# its end-to-end tests in a real VS Code, and headless Neovim and Emacs eglot (tests/editors). Needs ../shared beside
# the checkout. Installs what it needs (NuGet and npm packages; Debian chromium and libkrb5-dev for the VS Code run,
# via tests/e2e-vscode/setup.sh; neovim, emacs-nox and elpa-eglot via tests/editors/run.sh).
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

echo "dotnet: ${passed} passed, ${failed} failed"

echo "== Protocol tests: the real server process driven by vscode-jsonrpc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -n 1500 "$root/../shared/data/ag_news/train.csv" > "$work/train.csv"
(cd tests/protocol-node && npm ci --no-audit --no-fund --silent)
node_status=0
(cd tests/protocol-node && \
  AGNEWS_CACHE="$work/cache" \
  AGNEWS_SERVER_DLL="$root/server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll" \
  AGNEWS_NODE_EXPECT_LABELS=1 AGNEWS_NODE_EVAL_DATA="$root/../shared/data/ag_news/test.csv" \
  AGNEWS_NODE_TRAIN_DATA="$work/train.csv" AGNEWS_NODE_TRAIN_LIMIT=1500 \
  npm test) 2>&1 | tee "$log_dir/protocol-node.log" || node_status=1
count_node() { # node --test's "# pass N" / "# fail N"
  local p f
  p=$(grep -E '^# pass [0-9]+' "$1" | awk '{s+=$3} END {print s+0}' || true)
  f=$(grep -E '^# fail [0-9]+' "$1" | awk '{s+=$3} END {print s+0}' || true)
  passed=$((passed + p)); failed=$((failed + f))
}
count_node "$log_dir/protocol-node.log"
[ "$node_status" -eq 0 ] || status=1

echo "== Protocol test against the fake engine: an engine's stray stdout writes stay off the protocol stream"
(cd tests/protocol-node && \
  AGNEWS_SERVER_DLL="$root/tests/protocol-node/fake-server/bin/Release/net10.0/linux-x64/agnews-fake.dll" FAKE_STDOUT_NOISE=1 \
  node --test --test-name-pattern='stray stdout' test/lifecycle.test.js) 2>&1 | tee "$log_dir/protocol-fake.log" || status=1
count_node "$log_dir/protocol-fake.log"

echo "== Fuzz and fault suite: seeded frames, special files, kill -9 during training and during corrections, a 10,000-request soak, 3 shards merged (fault/shards.test.js)"
fault_status=0
fault_start=$(date +%s)
(cd tests/protocol-node && \
  AGNEWS_CACHE="$work/cache" \
  AGNEWS_SERVER_DLL="$root/server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll" \
  AGNEWS_NODE_TRAIN_DATA="$work/train.csv" \
  npm run test:fault) 2>&1 | tee "$log_dir/fault.log" || fault_status=1
echo "fuzz and fault suite: $(( $(date +%s) - fault_start )) s"
count_node "$log_dir/fault.log"
[ "$fault_status" -eq 0 ] || status=1

echo "== Extension unit tests"
npm ci --no-audit --no-fund --silent
ext_status=0
npm test 2>&1 | tee "$log_dir/extension-unit.log" || ext_status=1
count_node "$log_dir/extension-unit.log"
[ "$ext_status" -eq 0 ] || status=1

echo "== Extension end-to-end in a real VS Code (code-server + headless Chromium) against the real server"
e2e_status=0
AGNEWS_SERVER_DLL="$root/server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll" \
  bash tests/e2e-vscode/run.sh 2>&1 | tee "$log_dir/e2e-vscode.log" || e2e_status=1
e2e_pass=$(grep -cE '^PASS ' "$log_dir/e2e-vscode.log" || true)
e2e_fail=$(grep -cE '^FAIL ' "$log_dir/e2e-vscode.log" || true)
passed=$((passed + e2e_pass)); failed=$((failed + e2e_fail))
if [ "$e2e_status" -ne 0 ]; then status=1; [ "$e2e_fail" -gt 0 ] || failed=$((failed + 1)); fi

echo "== Other editors: headless Neovim (built-in client) and Emacs eglot against the real server (docs/editors.md)"
editors_status=0
AGNEWS_CACHE="$work/cache" \
  AGNEWS_SERVER_DLL="$root/server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll" \
  bash tests/editors/run.sh 2>&1 | tee "$log_dir/editors.log" || editors_status=1
editors_pass=$(grep -cE '^PASS ' "$log_dir/editors.log" || true)
editors_fail=$(grep -cE '^FAIL ' "$log_dir/editors.log" || true)
passed=$((passed + editors_pass)); failed=$((failed + editors_fail))
if [ "$editors_status" -ne 0 ]; then status=1; [ "$editors_fail" -gt 0 ] || failed=$((failed + 1)); fi

echo
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "${passed} passed, ${failed} failed"
  exit 1
fi
echo "${passed} passed, ${failed} failed"
