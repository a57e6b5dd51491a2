# shellcheck shell=bash
# ops/lib/deps.sh - install the Debian packages the gateway needs to build,
# test and run its demo. Sourced by ops/test.sh and ops/demo.sh.
#
# Only missing packages are installed; 'apt-get update' runs once, and only
# when something is missing. sudo is used only when not running as root.

GW_DEB_PACKAGES=(
  build-essential cmake pkg-config clang
  libcurl4-openssl-dev libssl-dev libxml2-dev libjansson-dev
  libsqlite3-dev libevent-dev libcriterion-dev
  valgrind python3 python3-jsonschema libxml2-utils openssl curl
  python3-yaml wrk python3-pandas strace
)

gw_package_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ $status == "install ok installed" ]]
}

gw_missing_packages() {
  local pkg
  for pkg in "$@"; do
    gw_package_installed "$pkg" || printf '%s\n' "$pkg"
  done
}

# gw_install_deps [PACKAGE...]: defaults to GW_DEB_PACKAGES.
gw_install_deps() {
  local -a wanted missing sudo_cmd=()
  if [[ $# -gt 0 ]]; then
    wanted=("$@")
  else
    wanted=("${GW_DEB_PACKAGES[@]}")
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: dpkg-query not found; not a Debian system. Install by hand:" \
      "${wanted[*]}" >&2
    return 0
  fi
  mapfile -t missing < <(gw_missing_packages "${wanted[@]}")
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps: all ${#wanted[@]} packages present"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "deps: missing packages and no sudo; as root run:" \
        "apt-get install ${missing[*]}" >&2
      return 1
    fi
    sudo_cmd=(sudo)
  fi
  echo "deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q || return 1
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
}
