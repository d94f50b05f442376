# Shared set-up for scripts/run and scripts/test: Python 3.12+, .venv, packages, Redis binary.
# Sourced, not executed. Fails loudly: a half-installed environment is worse than none.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_python() {
  local want candidates c
  want="$(cat .python-version 2>/dev/null || echo 3.12)"
  candidates=()
  if command -v pyenv >/dev/null; then
    c="$(pyenv prefix "$want" 2>/dev/null || true)"; [ -n "$c" ] && candidates+=("$c/bin/python3")
  fi
  for c in "$HOME/.pyenv/versions/$want/bin/python3" python3.12 python3.13 python3.14 python3; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  die "Python 3.12 or newer is required (.python-version says $want); found none. Install it (e.g. pyenv install $want)."
}

setup_venv() {  # $1: requirements file
  local py
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    py="$(find_python)"
    log "creating .venv with $("$py" --version)"
    rm -rf .venv
    "$py" -m venv .venv || die "could not create .venv (on Debian: apt-get install python3-venv)"
  fi
  log "installing Python packages from $1"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$1" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  .venv/bin/python -c 'import django, celery, yaml_rs, regex' || die "package installation failed"
}

ensure_redis_server() {
  command -v redis-server >/dev/null || apt_install redis-server
  # Debian's package starts a system service on 6379; we never rely on it, we start our own.
}

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
