# Sourced by scripts/setup.sh and scripts/setup-bench.sh: install the Debian packages a script needs.
# ensure_debian_packages NAME ON_MISSING PACKAGE...: installs (as root, with apt-get) the packages that
# are not installed yet; NAME prefixes the messages.  Without root or apt-get, ON_MISSING says what to
# do: "warn" (go on: the tests that need them say so) or "fail" (exit 1).
ensure_debian_packages() {
  local name=$1 on_missing=$2 pkg
  shift 2
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$name: installing system packages: ${missing[*]}" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  elif [ "$on_missing" = fail ]; then
    echo "$name: missing system packages (install them as root): ${missing[*]}" >&2
    exit 1
  else
    echo "$name: warning: missing system packages (install them as root): ${missing[*]}" >&2
  fi
}
