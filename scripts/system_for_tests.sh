#!/bin/sh
# Make sure the Debian programs the test suite drives exist: PostgreSQL's server binaries
# (tests/pgserver.py runs a throw-away cluster) and Chromium (tests/test_browser.py drives it
# through Playwright; the browser comes from Debian, never from a download).
#
# A no-op for what is already there (/usr/lib/postgresql/*/bin/initdb; chromium on PATH).
# Otherwise installs the packages quietly with apt-get (as root, or through passwordless
# sudo). PostgreSQL's own "main" cluster is not created (createcluster.d drop-in) and never
# used. Output goes to a log that is printed only on failure.
set -eu

have_pg() {
    for f in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$f" ] && return 0
    done
    return 1
}
have_chromium() {
    command -v chromium >/dev/null 2>&1
}

missing=""
have_pg || missing="postgresql"
have_chromium || missing="$missing chromium"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "system_for_tests.sh: missing Debian packages ($missing) and this user cannot" \
         "install them; run 'apt-get install$missing' as root (or set UPPKS_QUAL_PG_BIN" \
         "and UPPKS_QUAL_CHROMIUM)." >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
    echo "system_for_tests.sh: no apt-get; install$missing yourself (UPPKS_QUAL_PG_BIN," \
         "UPPKS_QUAL_CHROMIUM point the tests at them)" >&2
    exit 1
}

log=$(mktemp "${TMPDIR:-/tmp}/system_for_tests.XXXXXX")
# Tell postgresql-common not to create (and start) the system "main" cluster.
$as_root mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" |
    $as_root tee /etc/postgresql-common/createcluster.d/uppks-qual-tests.conf >/dev/null
install() {
    # PostgreSQL without its recommended extras; Chromium with them (its fonts), as the
    # headless browser was shown to work here
    if ! have_pg; then
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends postgresql >>"$log" 2>&1 || return 1
    fi
    if ! have_chromium; then
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
            >>"$log" 2>&1 || return 1
    fi
}
if ! install; then
    # fresh images often ship without package lists
    $as_root apt-get update -q >>"$log" 2>&1 && install || {
        cat "$log" >&2
        rm -f "$log"
        echo "system_for_tests.sh: apt-get install$missing failed (log above)" >&2
        exit 1
    }
fi
rm -f "$log"
have_pg || { echo "system_for_tests.sh: postgresql installed but no initdb found" >&2; exit 1; }
have_chromium || { echo "system_for_tests.sh: chromium installed but not on PATH" >&2; exit 1; }
echo "system_for_tests.sh: installed$missing"
