#!/usr/bin/env bash
# Neovim (built-in client) and Emacs (eglot) drive the real server headless, with the configurations of
# docs/editors.md: initialize, hover, an incremental edit, agnews/status with params [], teaching through the server's
# code actions (a class, a new class asked for, undo; Neovim also agnews/suggest), shutdown, and no server process left
# behind. Prints PASS/FAIL lines (scripts/test-all.sh counts them); exits non-zero on a failure.
# Server: AGNEWS_SERVER_DLL (default: the Release build). Installs neovim, emacs-nox and elpa-eglot when missing.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export AGNEWS_SERVER_DLL="${AGNEWS_SERVER_DLL:-$root/server/AgNewsLsp.Server/bin/Release/net10.0/linux-x64/agnews.dll}"
if [ ! -f "$AGNEWS_SERVER_DLL" ]; then echo "FAIL editors: no server at $AGNEWS_SERVER_DLL (build it first)"; exit 1; fi

have_eglot() { emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1; }
if ! command -v nvim >/dev/null || ! command -v emacs >/dev/null || ! have_eglot; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "installing neovim emacs-nox elpa-eglot"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends neovim emacs-nox elpa-eglot >/dev/null \
    || { echo "FAIL editors: could not install neovim, emacs-nox, elpa-eglot"; exit 1; }
fi
echo "editors: $(nvim --version | head -1), $(emacs --version | head -1), eglot $(emacs --batch --eval "(progn (require 'eglot) (princ (or (ignore-errors (package-get-version)) (cadr (assq 'eglot package-alist)) \"\")))" 2>/dev/null; ls -d /usr/share/emacs/site-lisp/elpa-src/eglot-* 2>/dev/null | sed 's/.*eglot-//')"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# Each editor gets its own folder, passed to its server as --data-folder: a server left running is found by it.
orphans() { pgrep -f -- "--data-folder $1" || true; }

run_editor() { # name, command...
  local name="$1"; shift
  local dir="$work/$name"
  mkdir -p "$dir"
  local started=$SECONDS
  AGNEWS_EDITORS_WORK="$dir" timeout 150 "$@" > "$dir/out.log" 2> "$dir/err.log"
  local rc=$?
  grep -E '^(PASS|FAIL) ' "$dir/out.log"
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$dir/out.log"; then
    echo "FAIL $name: ended with code $rc"; tail -n 5 "$dir/out.log" "$dir/err.log"
  fi
  [ "$rc" -eq 0 ] || status=1
  sleep 0.5 # the editor is gone; its server had its own 200 ms
  local left; left="$(orphans "$dir")"
  if [ -n "$left" ]; then
    echo "FAIL $name: server process left running ($left)"; status=1
    for pid in $left; do kill "$pid" 2>/dev/null || true; done
  else
    echo "PASS $name: no server process left ($((SECONDS - started)) s)"
  fi
}

run_editor nvim nvim --headless -u NONE -i NONE -n -c "luafile $here/nvim.lua"
run_editor eglot emacs --batch -q -l "$here/eglot-test.el"
exit $status
