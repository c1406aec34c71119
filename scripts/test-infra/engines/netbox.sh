# Engine: netbox (the real NetBox the target generator and flow enricher read their inventory
# from). NetBox is on PyPI as a wheel (with a `netbox` console script) since 4.7; 4.7 needs
# Python >= 3.12, so it gets its own venv on a 3.12 interpreter (pyenv's on this machine kind,
# or HELIOS_NETBOX_PYTHON, or python3.12 on PATH). PostgreSQL and Redis come from Debian.
#
# Layout in the tools cache ($TOOLS/netbox-<version>/):
#   venv/                      NetBox + its pinned dependencies
#   root/conf/configuration.py our configuration (NETBOX_ROOT=root); ports come from env
#                              HELIOS_NETBOX_DB_PORT / HELIOS_NETBOX_REDIS_PORT at run time
#   pgdata-template/           a PostgreSQL 15 cluster with NetBox migrated ONCE here; the test
#                              harness (tests/helpers/netbox.ts) copies it per test run
#   credentials.json           the superuser's v1 and v2 API tokens created here
# initdb/postgres refuse to run as root: as root, the cluster belongs to the `postgres`
# system user (from Debian's postgresql-common) and is run with `su postgres`.
HELIOS_NETBOX_VERSION="4.7.3"
HELIOS_NETBOX_PG_VERSION="15"

netbox_python() {
  local c
  for c in "${HELIOS_NETBOX_PYTHON:-}" "$(command -v python3.12 2>/dev/null || true)" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo "$c"; return 0; }
  done
  return 1
}

netbox_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a shell command as the cluster owner (postgres when we are root).
netbox_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

install_netbox() { install_netbox_release "$HELIOS_NETBOX_VERSION"; }

# Installs one NetBox release into $TOOLS/netbox-<version> (also used by netbox_oldest.sh).
install_netbox_release() {
  local version="$1"
  local dir="$TOOLS/netbox-$version"
  local pgbin="/usr/lib/postgresql/$HELIOS_NETBOX_PG_VERSION/bin"
  if stamped "netbox-$version" && [ -d "$dir/pgdata-template" ] && [ -f "$dir/credentials.json" ] \
    && [ -x "$dir/venv/bin/netbox" ]; then
    [ "$("$dir/venv/bin/netbox" version 2>/dev/null)" = "$version" ] \
      || die "NetBox in $dir/venv is not $version"
    return 0
  fi
  # libpq-dev: NetBox pins psycopg[c], which pip builds from source against libpq.
  apt_install "postgresql-$HELIOS_NETBOX_PG_VERSION" redis-server libpq-dev
  [ -x "$pgbin/initdb" ] || die "PostgreSQL $HELIOS_NETBOX_PG_VERSION binaries missing in $pgbin"
  command -v redis-server >/dev/null || die "redis-server not found after apt install"
  local py
  py="$(netbox_python)" || die "NetBox $version needs Python >= 3.12 (set HELIOS_NETBOX_PYTHON)"
  log "NetBox $version into $dir (python: $py)"
  rm -rf "$dir"; mkdir -p "$dir/root/conf" "$dir/root/media" "$dir/root/static"
  "$py" -m venv "$dir/venv"
  "$dir/venv/bin/pip" install -q --disable-pip-version-check "netbox==$version"
  [ "$("$dir/venv/bin/netbox" version)" = "$version" ] || die "netbox version check failed"

  local secret pepper
  secret="$(python3 -c 'import secrets,string; a=string.ascii_letters+string.digits+"!@#$%^&*(-_=+)"; print("".join(secrets.choice(a) for _ in range(60)))')"
  pepper="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  cat > "$dir/root/conf/configuration.py" <<EOF
# Written by scripts/test-infra/engines/netbox.sh for Helios's tests (loopback only).
import os
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASE = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "netbox",
    "USER": "netbox",
    "PASSWORD": "",
    "HOST": "127.0.0.1",
    "PORT": os.environ.get("HELIOS_NETBOX_DB_PORT", "5432"),
    "CONN_MAX_AGE": 300,
}
_redis_port = int(os.environ.get("HELIOS_NETBOX_REDIS_PORT", "6379"))
REDIS = {
    "tasks": {"HOST": "127.0.0.1", "PORT": _redis_port, "DATABASE": 0, "SSL": False},
    "caching": {"HOST": "127.0.0.1", "PORT": _redis_port, "DATABASE": 1, "SSL": False},
}
SECRET_KEY = ${secret@Q}
API_TOKEN_PEPPERS = {1: "${pepper}"}
CENSUS_REPORTING_ENABLED = False
ISOLATED_DEPLOYMENT = True
RELEASE_CHECK_URL = None
MAX_PAGE_SIZE = 1000
TIME_ZONE = "UTC"
LOGGING = {"version": 1, "disable_existing_loggers": False}
EOF

  # One PostgreSQL cluster, migrated once, kept as the template the harness copies.
  local tpl="$dir/pgdata-template" work pgport rport redis_pid
  work="$(mktemp -d /tmp/helios-netbox-install.XXXXXX)"
  chmod 755 "$work"; mkdir "$work/pgdata"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pgdata"
  netbox_as_pg "$pgbin/initdb -D $work/pgdata -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null"
  pgport="$(netbox_free_port)"; rport="$(netbox_free_port)"
  netbox_as_pg "$pgbin/pg_ctl -D $work/pgdata -w -l $work/pgdata/install.log -o \"-p $pgport -h 127.0.0.1 -k ''\" start >/dev/null"
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
  redis_pid=$!
  local cleanup="netbox_as_pg '$pgbin/pg_ctl -D $work/pgdata -m fast stop >/dev/null' || true; kill $redis_pid 2>/dev/null || true"
  # shellcheck disable=SC2064
  trap "$cleanup" EXIT
  psql -h 127.0.0.1 -p "$pgport" -U postgres -q -c "CREATE ROLE netbox LOGIN" -c "CREATE DATABASE netbox OWNER netbox" >/dev/null
  export NETBOX_ROOT="$dir/root" HELIOS_NETBOX_DB_PORT="$pgport" HELIOS_NETBOX_REDIS_PORT="$rport"
  log "NetBox migrations (once; cached in $tpl)"
  "$dir/venv/bin/netbox" migrate --no-input >"$work/migrate.log" 2>&1 || { tail -40 "$work/migrate.log" >&2; die "netbox migrate failed"; }
  "$dir/venv/bin/netbox" shell --no-imports -c "
import json, secrets, string
from users.models import User, Token
u = User.objects.create_superuser('helios', 'helios@example.invalid', secrets.token_hex(16))
cs = string.ascii_letters + string.digits
v1 = ''.join(secrets.choice(cs) for _ in range(40))
t1 = Token(user=u, version=1, write_enabled=True, description='helios tests v1'); t1.token = v1; t1.save()
v2 = ''.join(secrets.choice(cs) for _ in range(40))
t2 = Token(user=u, version=2, write_enabled=True, description='helios tests v2'); t2.token = v2; t2.save()
print(json.dumps({'user': 'helios', 'v1': 'Token ' + v1, 'v2': 'Bearer nbt_' + t2.key + '.' + v2}))
" > "$dir/credentials.json.tmp" 2>"$work/shell.log" || { cat "$work/shell.log" >&2; die "creating NetBox API tokens failed"; }
  tail -1 "$dir/credentials.json.tmp" > "$dir/credentials.json"; rm -f "$dir/credentials.json.tmp"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['v2'].startswith('Bearer nbt_')" "$dir/credentials.json" \
    || die "credentials.json is not valid"
  eval "$cleanup"; trap - EXIT
  rm -f "$work/pgdata/install.log" "$work/pgdata/postmaster.pid"
  rm -rf "$tpl"; mv "$work/pgdata" "$tpl"; rm -rf "$work"
  stamp "netbox-$version"
}
