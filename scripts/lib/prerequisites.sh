# Shared by the scripts in scripts/: make sure this machine has what Longrun and its checks need.
# Sourced, not run.

# The Swift toolchain cannot come from a package registry; say so plainly.
require_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    echo "error: the Swift toolchain (swift 6.2 or newer) is not on PATH; install it from swift.org first" >&2
    exit 1
  fi
}

# The independent OpenAPI 3.1 validator the suite checks openapi.yaml with, from PyPI.
require_python_test_tools() {
  if python3 -c "import openapi_spec_validator, yaml, standardwebhooks" >/dev/null 2>&1; then
    return
  fi
  echo "installing openapi-spec-validator, PyYAML and standardwebhooks from PyPI (independent checks of the OpenAPI document and of webhook signatures)" >&2
  python3 -m pip install --quiet openapi-spec-validator pyyaml standardwebhooks
}

# schemathesis, the API fuzzer of scripts/fuzz, from PyPI into a virtualenv of its own
# (.build/fuzz-venv), pinned: the seeds and exceptions of scripts/fuzz are for this version.
SCHEMATHESIS_VERSION="4.32.5"
FUZZ_VENV="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/fuzz-venv"
require_schemathesis() {
  if [ "$("$FUZZ_VENV/bin/schemathesis" --version 2>/dev/null || true)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    return
  fi
  echo "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $FUZZ_VENV (the API fuzzer of scripts/fuzz)" >&2
  if ! python3 -m venv "$FUZZ_VENV" >/dev/null 2>&1; then
    # Debian's own python3 keeps venv in a package of its own.
    apt_install python3-venv "to make $FUZZ_VENV" || exit 1
    python3 -m venv "$FUZZ_VENV"
  fi
  "$FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

# What to put before a command that needs root: nothing as root, sudo when there is
# one; otherwise it says why it cannot install PACKAGE and fails.
root_prefix_for() {
  if [ "$(id -u)" -eq 0 ]; then return; fi
  if command -v sudo >/dev/null 2>&1; then echo sudo; return; fi
  echo "error: run as root (or install sudo) so that apt-get can install $1" >&2
  return 1
}

# Installs Debian's PACKAGE; WHY says what for.
apt_install() {
  local sudo
  sudo="$(root_prefix_for "$1")" || return 1
  echo "installing Debian's $1 package ($2)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null
}

# PostgreSQL's server programs (initdb, pg_ctl, postgres), from Debian's packages when missing.
# The private servers of `longrun dev` and the test suite need them; nothing is started here.
# Debian's package starts a cluster of its own on port 5432; Longrun never uses it.
require_postgres_server() {
  if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    return
  fi
  apt_install postgresql "PostgreSQL's server programs are missing" || exit 1
}

# nginx, the balancer of scripts/cluster, from Debian's packages when missing. Debian's
# package would start a server of its own on port 80; a policy-rc.d keeps it from starting.
require_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    return
  fi
  local sudo policy=/usr/sbin/policy-rc.d placed=""
  sudo="$(root_prefix_for nginx)" || exit 1
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    placed=yes
  fi
  apt_install nginx-light "the balancer of scripts/cluster" || exit 1
  if [ -n "$placed" ]; then $sudo rm -f "$policy"; fi
}
