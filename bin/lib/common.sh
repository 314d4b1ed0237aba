# Shared by bin/run, bin/test and bin/bench: install what the project needs on a fresh machine.
# Source it; it cds to the project root and defines the functions below.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"; fi
}

# Debian packages: the headers mysqlclient builds against, and (for browser tests) Chromium.
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get to install them"
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Python 3.12: .python-version selects 3.12.1 under pyenv; a plain python3.12 works too.
find_python() {
  local candidate
  for candidate in python3.12 "$(command -v pyenv >/dev/null && pyenv root)/versions/3.12.1/bin/python3" python3; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  die "Python 3.12 not found (pyenv install 3.12.1, or put python3.12 on PATH)"
}

# .venv from the hashed lock of a requirements file (requirements.txt -> requirements.lock): every
# transitive dependency pinned and hash-checked. Re-installs only when a requirements or lock file
# changed; refuses a lock that no longer matches requirements*.txt (run bin/lock).
ensure_venv() {
  local reqfile="$1" lockfile="${1%.txt}.lock"
  ensure_debian_packages default-libmysqlclient-dev pkg-config build-essential
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  "$PY" devtools/lockfiles.py --check || die "the lock files do not match requirements*.txt: run bin/lock"
  local stamp="$VENV/.requirements-$(basename "$reqfile").sha"
  local want
  want="$(cat requirements*.txt requirements*.lock | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing $lockfile into .venv (hash-checked)"
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    "$PY" -m pip install -q --disable-pip-version-check --require-hashes -r "$lockfile"
    echo "$want" >"$stamp"
  fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local name="$1" host="$2" port="$3" tries=120
  until port_open "$host" "$port"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "$name did not come up on $host:$port"
    sleep 0.5
  done
}

# Is this service URL's host this machine? (Only then may we start the service.)
url_is_local() {
  local host
  host="$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$1")"
  case "$host" in
    ""|localhost|127.*|::1|"$(hostname)"|"$(hostname -f 2>/dev/null || hostname)") return 0 ;;
    *) return 1 ;;
  esac
}

url_host_port() {
  "$PY" -c 'import sys, urllib.parse; u = urllib.parse.urlsplit(sys.argv[1]); print(u.hostname or "127.0.0.1", u.port or int(sys.argv[2]))' "$1" "$2"
}

# MariaDB, Redis and RabbitMQ: each one named by a URL on this machine that does not answer is
# started (commands from DESIGN.md, as the machine kind starts them); a service on another host is
# only waited for, never started here.
ensure_service() {
  local name="$1" url="$2" default_port="$3" start="$4" host port
  read -r host port < <(url_host_port "$url" "$default_port")
  port_open "$host" "$port" && return 0
  if url_is_local "$url"; then
    log "starting $name"
    eval "$start"
  else
    log "$name at $host:$port does not answer yet; it is on another host, so it is not started here"
  fi
  wait_port "$name" "$host" "$port"
}

ensure_services() {
  ensure_service MariaDB "${DATABASE_URL:-mysql://127.0.0.1:3306/}" 3306 \
    'as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'
  ensure_service Redis "${REDIS_URL:-redis://127.0.0.1:6379/0}" 6379 \
    'as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
  ensure_service RabbitMQ "${CELERY_BROKER_URL:-amqp://127.0.0.1:5672//}" 5672 'as_root rabbitmq-server -detached'
  # RabbitMQ opens its port before it accepts AMQP logins; wait for a real connection.
  local tries=60
  until "$PY" - <<'PY' 2>/dev/null
import os, kombu
with kombu.Connection(os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"), connect_timeout=2) as c:
    c.ensure_connection(max_retries=1)
PY
  do
    tries=$((tries - 1)); [ "$tries" -gt 0 ] || die "RabbitMQ does not accept connections"; sleep 1
  done
}

# The local services this machine kind provides, unless the caller named others.
export_local_service_env() {
  : "${DATABASE_URL:=mysql://root@127.0.0.1:3306/treeherder}"
  : "${REDIS_URL:=redis://127.0.0.1:6379/0}"
  : "${CELERY_BROKER_URL:=amqp://guest:guest@127.0.0.1:5672//}"
  : "${PULSE_URL:=$CELERY_BROKER_URL}"
  export DATABASE_URL REDIS_URL CELERY_BROKER_URL PULSE_URL
}

# Create the database named by a mysql:// DATABASE_URL if it does not exist yet.
ensure_database() {
  "$PY" - <<'PY'
import os
from urllib.parse import urlparse, unquote
import MySQLdb
url = urlparse(os.environ["DATABASE_URL"])
if url.scheme.startswith("mysql"):
    conn = MySQLdb.connect(host=url.hostname or "localhost", port=url.port or 3306,
                           user=unquote(url.username or "root"), passwd=unquote(url.password or ""))
    name = url.path.lstrip("/")
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()
PY
}

# `npm ci` in a folder with a package-lock.json, again only when the lockfile changed.
npm_ci() {
  local dir="$1" stamp="$1/node_modules/.lock.sha" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" >"$stamp"
  fi
}

# GraphiQL at /graphql (frontend/graphiql: GraphiQL 5 in React + TypeScript, Vite), built into
# frontend/graphiql/dist from our own sources and packages (no CDN at run time), Monaco's web
# workers included. Rebuilt when its sources, configuration or lockfile change.
ensure_graphiql() {
  local dir="frontend/graphiql" stamp want
  command -v npm >/dev/null || die "npm not found (Node 20 is needed to build GraphiQL)"
  npm_ci "$dir"
  stamp="$dir/dist/.sources.sha"
  want="$(cd "$dir" && find index.html package-lock.json vite.config.ts tsconfig.json src -type f -print0 \
    | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "building GraphiQL (frontend/graphiql)"
    (cd "$dir" && npx --no-install vite build --logLevel error)
    echo "$want" >"$stamp"
  fi
}

# Browser tests: Debian's Chromium driven by playwright-core (tests/browser).
ensure_browser_tests() {
  ensure_debian_packages chromium
  npm_ci tests/browser
}

# The job view at / (frontend/app: React + TypeScript, Vite), built into frontend/app/dist. Rebuilt
# when its sources, configuration or lockfile change.
ensure_job_view() {
  local dir="frontend/app" stamp want
  command -v npm >/dev/null || die "npm not found (Node 20 is needed to build the job view)"
  npm_ci "$dir"
  stamp="$dir/dist/.sources.sha"
  want="$(cd "$dir" && find index.html package-lock.json vite.config.ts tsconfig.json src -type f ! -name '*.test.*' -print0 \
    | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "building the job view (frontend/app)"
    (cd "$dir" && npx --no-install vite build --logLevel error)
    echo "$want" >"$stamp"
  fi
}

# GraphiQL's own checks: tsc (strict) and ESLint, configured as the job view's.
graphiql_checks() {
  (cd frontend/graphiql && npx --no-install tsc --noEmit && npx --no-install eslint --max-warnings 0 .)
}

# The job view's own checks: generated types in step with schema/schema.graphql, tsc, ESLint, Vitest.
job_view_checks() {
  (cd frontend/app && npx --no-install graphql-codegen --config codegen.ts --check --silent) \
    || { log "frontend/app/src/generated/graphql.ts drifted: run 'npm run codegen' in frontend/app"; return 1; }
  (cd frontend/app && npx --no-install tsc --noEmit && npx --no-install eslint --max-warnings 0 . \
    && npx --no-install vitest run --reporter=dot)
}
