# Shared setup for VNB's bats tests.
#
# Every test runs in its own temporary directory, with its own store, and
# finds the tools of the tree being tested first on PATH.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${VNB_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${VNB_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export VNB_BUILDDIR VNB_SRCDIR

PATH="$VNB_BUILDDIR/bin:$VNB_BUILDDIR/dataplane:$VNB_BUILDDIR/t:$VNB_SRCDIR/t:$PATH"
export PATH

vnb_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export VNB_STORE="$BATS_TEST_TMPDIR/store.db"
	export VNB_USER=tester
}

setup() {
	vnb_setup
}

# A store's integrity, as SQLite itself sees it.
assert_store_ok() {
	run sqlite3 "${1:-$VNB_STORE}" 'PRAGMA integrity_check'
	assert_success
	assert_output ok
}

# Run a command every 0.1 s until it succeeds, for at most N seconds.
wait_for() {
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}
