#!/bin/sh
# Make sure Debian's PostgreSQL server binaries exist for the test suite (tests/pgserver.py).
#
# No-op when /usr/lib/postgresql/*/bin/initdb exists. Otherwise installs the `postgresql`
# package quietly with apt-get (as root, or through passwordless sudo). The package's own
# "main" cluster is not created (createcluster.d drop-in) and never used: the tests run a
# throw-away cluster in a temp directory with its own socket. Output goes to a log that is
# printed only on failure.
set -eu

have_pg() {
    for f in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$f" ] && return 0
    done
    return 1
}

have_pg && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "pg_for_tests.sh: PostgreSQL server binaries are missing and this user cannot install" \
         "them; run 'apt-get install postgresql' as root (or set UPPKS_QUAL_PG_BIN)." >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
    echo "pg_for_tests.sh: no apt-get; install PostgreSQL server binaries and set UPPKS_QUAL_PG_BIN" >&2
    exit 1
}

log=$(mktemp "${TMPDIR:-/tmp}/pg_for_tests.XXXXXX")
# Tell postgresql-common not to create (and start) the system "main" cluster.
$as_root mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" |
    $as_root tee /etc/postgresql-common/createcluster.d/uppks-qual-tests.conf >/dev/null
install_pg() {
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        postgresql >>"$log" 2>&1
}
if ! install_pg; then
    # fresh images often ship without package lists
    $as_root apt-get update -q >>"$log" 2>&1 && install_pg || {
        cat "$log" >&2
        rm -f "$log"
        echo "pg_for_tests.sh: apt-get install postgresql failed (log above)" >&2
        exit 1
    }
fi
rm -f "$log"
have_pg || { echo "pg_for_tests.sh: postgresql installed but no initdb found" >&2; exit 1; }
echo "pg_for_tests.sh: installed $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
