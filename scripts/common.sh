# Shared by the project's scripts: find the Swift toolchain, and install missing Debian packages.
# Sourced, not run.

# The Swift toolchain: on PATH, or in /opt/swift as on these machines.
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
      export PATH="/opt/swift/usr/bin:$PATH"
    else
      echo "error: the Swift toolchain (6.0 or newer) is needed: https://www.swift.org/install/linux/" >&2
      exit 1
    fi
  fi
}

# ensure_apt PACKAGE...: installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}" >&2
  # Refresh the package lists only when they are missing or over a day old.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    $sudo apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian packages the build needs: the MongoDB C driver (MongoBridge links it through pkg-config).
ensure_build_packages() {
  ensure_apt pkg-config libmongoc-dev libbson-dev
}

# The project-local Python venv for test tools (.venv), with Tests/requirements.txt.
ensure_test_venv() {
  command -v python3 >/dev/null 2>&1 || ensure_apt python3
  python3 -c 'import venv, ensurepip' 2>/dev/null || ensure_apt python3-venv
  local stamp=.venv/.requirements
  if [ ! -x .venv/bin/python ] || ! cmp -s Tests/requirements.txt "$stamp"; then
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
    cp Tests/requirements.txt "$stamp"
  fi
}

# Debian's nginx, for the test of deploy/nginx in front of two API instances.
ensure_nginx() {
  [ -x /usr/sbin/nginx ] && return 0
  ensure_apt nginx-light 2>/dev/null || ensure_apt nginx
}

# Flask, gunicorn (the original stack) and matplotlib (the chart), for bench/ only.
ensure_bench_venv() {
  ensure_test_venv
  local stamp=.venv/.bench-requirements
  if ! cmp -s bench/requirements.txt "$stamp"; then
    .venv/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
    cp bench/requirements.txt "$stamp"
  fi
}

# Load and abuse tools for the hostile-world suites and bench/ (Debian packages).
ensure_load_tools() {
  ensure_apt wrk slowhttptest nghttp2-client util-linux
}

# Headless Chromium and its driver from Debian, for the browser tests of client-tier.
ensure_browser() {
  ensure_apt chromium chromium-driver
}
