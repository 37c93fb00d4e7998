# bordertrace — a throwaway PostgreSQL 15 for the store's tests (sourced).
# initdb in $T/pg, the server on a unix socket in that directory only (no
# TCP), run as nobody when the tests run as root (postgres refuses root).
# Passwords are made per run and kept in $PGPASSFILE, never on a command line.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

pg_skip_unless_possible() {
	[[ -x $PGBIN/initdb && -x $PGBIN/pg_ctl ]] || { echo "SKIP: no $PGBIN/initdb (postgresql-15)"; exit 77; }
	command -v psql >/dev/null || { echo "SKIP: no psql"; exit 77; }
}

as_pg() {
	if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

# pg_init T: a cluster in $T/pg, superuser 'postgres' with a fresh password.
pg_init() {
	PGDIR=$1/pg
	mkdir -p "$PGDIR"
	[[ $(id -u) -eq 0 ]] && chown nobody "$PGDIR"
	chmod 700 "$PGDIR"
	export PGPASSFILE=$1/pgpass
	: >"$PGPASSFILE"
	chmod 600 "$PGPASSFILE"
	local pw; pw=$(pg_password)
	printf '%s\n' "$pw" >"$PGDIR/pw"
	[[ $(id -u) -eq 0 ]] && chown nobody "$PGDIR/pw"
	as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --pwfile="$PGDIR/pw" -E UTF8 \
		--auth-local=scram-sha-256 --auth-host=reject --no-sync >"$1/initdb.log" 2>&1 ||
		{ cat "$1/initdb.log"; return 1; }
	rm -f "$PGDIR/pw"
	echo "*:*:*:postgres:$pw" >>"$PGPASSFILE"
	PGADMIN="host=$PGDIR user=postgres dbname=postgres"
}

pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 20 \
		-o "-k $PGDIR -c listen_addresses='' -c fsync=off" start >"$PGDIR/ctl.log" 2>&1
}

pg_stop() {
	[[ -f $PGDIR/data/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1
	return 0
}

# kill -9 of the postmaster and of each of its children, by pid.
pg_kill9() {
	local pm; pm=$(head -1 "$PGDIR/data/postmaster.pid")
	local kids; kids=$(ps -o pid= --ppid "$pm")
	kill -9 "$pm" $kids
	while kill -0 "$pm" 2>/dev/null; do sleep 0.05; done
	for k in $kids; do while kill -0 "$k" 2>/dev/null; do sleep 0.05; done; done
}

# sql CONNINFO: the statements on stdin (so a password in them is on no
# command line), one value a line out.
sql() { psql "$1" -X -q -A -t -v ON_ERROR_STOP=1; }

# a login role in group GROUP with a fresh password in $PGPASSFILE
pg_add_role() {
	local role=$1 group=$2 pw; pw=$(pg_password)
	sql "$PGADMIN dbname=bt" <<<"CREATE ROLE \"$role\" LOGIN PASSWORD '$pw' IN ROLE $group;"
	echo "*:*:*:$role:$pw" >>"$PGPASSFILE"
}
