# bordertrace — a throwaway PostgreSQL 15 for the store's tests (sourced).
# initdb in $T/pg, the server on a unix socket in that directory only (no
# TCP), run as nobody when the tests run as root (postgres refuses root).
# Passwords are made per run and kept in $PGPASSFILE, never on a command line.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

pg_skip_unless_possible() {
	[[ -x $PGBIN/initdb && -x $PGBIN/pg_ctl ]] || { echo "SKIP: no $PGBIN/initdb (postgresql-15)"; exit 77; }
	command -v psql >/dev/null || { echo "SKIP: no psql"; exit 77; }
}

# pg_test_begin: skips (77) without PostgreSQL 15; else a temporary
# directory $T (removed, and the server stopped, on exit) with a cluster
# (pg_init) and a port (pg_port).
pg_test_begin() {
	pg_skip_unless_possible
	T=$(mktemp -d)
	chmod 755 "$T"
	trap 'pg_stop; rm -rf "$T"' EXIT
	pg_init "$T" || fail "initdb"
	pg_port
}

fail() { echo "FAIL: $*" >&2; [[ -f $T/err ]] && sed 's/^/  stderr: /' "$T/err" >&2; exit 1; }
# expect STATUS TEXT -- CMD...: the exit status and a piece of stderr
expect() {
	local want=$1 text=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[[ $rc -eq $want ]] || fail "$* exited $rc, expected $want"
	[[ -z $text ]] || grep -qF -- "$text" "$T/err" || fail "$*: no '$text' on stderr"
}

# pg_bad_round ROUND HEX_GZ RAW_BYTES: a round of camp/vp-b with that blob
# (the only 'bad%' round), added as the owner ($ADMIN) past every other
pg_bad_round() {
	sql "$ADMIN" <<<"DELETE FROM bt.rounds WHERE round LIKE 'bad%';
INSERT INTO bt.rounds (campaign, vp, round, file, first_start, last_end, traces, raw_bytes, sha256, gz)
VALUES ('camp', 'vp-b', '$1', 'f', '2030-01-01', '2030-01-01', 1, $3, sha256(''), decode('$2', 'hex'))"
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

# pg_tls: a test CA (ca.pem) and another (other-ca.pem) in $T, a server
# certificate for 127.0.0.1 from the first; the server then also listens on
# 127.0.0.1:$PGPORT, TLS only (hostssl), beside its unix socket.
pg_tls() {
	local d=$PGDIR ext
	ext=$(mktemp "$d/ext.XXXXXX")
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$ext"
	for ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-keyout "$d/$ca.key" -out "$d/$ca.pem" -subj "/CN=bordertrace test $ca" 2>/dev/null || return 1
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$ext" -out "$d/server.pem" 2>/dev/null || return 1
	rm -f "$d/ca.key" "$d/other-ca.key" "$ext"
	chmod 600 "$d/server.key"
	[[ $(id -u) -eq 0 ]] && chown nobody "$d/server.key" "$d/server.pem"
	# first, before initdb's "host ... reject" lines (rewritten in place:
	# the file stays the server user's)
	local hba; hba=$(cat "$d/data/pg_hba.conf")
	printf 'hostssl all all 127.0.0.1/32 scram-sha-256\n%s\n' "$hba" >"$d/data/pg_hba.conf"
	PGTLS="-c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$d/server.pem -c ssl_key_file=$d/server.key"
}

# A port of our own: the unix socket's name carries it too, so every
# connection of the test (libpq reads PGPORT) uses it.
pg_port() {
	export PGPORT=$(( 20000 + RANDOM % 30000 ))
}

pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 20 \
		-o "-k $PGDIR -p $PGPORT ${PGTLS:--c listen_addresses=''} -c fsync=off" start >"$PGDIR/ctl.log" 2>&1
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
