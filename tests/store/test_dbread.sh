#!/bin/bash
# bordertrace diff / export / report --db against a real PostgreSQL 15
# started here (doc/store.md): two VPs push their rounds; diff, export and
# report over the store give byte for byte what they give over the same
# round files; --campaign, --vp, --since and --until select what they say;
# a VP role cannot read rounds; bad URLs, an unreachable store, a schema of
# another version and a bad blob are errors naming what failed.
# usage: test_dbread.sh BORDERTRACE
set -u
BT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg.sh"
pg_test_begin
pg_start || { cat "$PGDIR/log"; fail "pg_ctl start"; }
sql "$PGADMIN" <<<"CREATE DATABASE bt" || fail "create database"
ADMIN="host=$PGDIR user=postgres dbname=bt"
expect 0 "" -- "$BT" db init "$ADMIN"
pg_add_role vp_a bt_vp || fail "role a"
pg_add_role vp_b bt_vp || fail "role b"
pg_add_role vp_c bt_vp || fail "role c"
pg_add_role analyst bt_analyst || fail "role analyst"
sql "$ADMIN" <<<"INSERT INTO bt.vps (id, role) VALUES ('vp-a', 'vp_a'), ('vp-b', 'vp_b'), ('vp-a.2', 'vp_c')" || fail "VPs"
A="host=$PGDIR dbname=bt user=vp_a"
B="host=$PGDIR dbname=bt user=vp_b"
C="host=$PGDIR dbname=bt user=vp_c"
AN="host=$PGDIR dbname=bt user=analyst"

# Two VPs, campaign camp: 4 rounds each of 3-hop traces through AS64502;
# from round 2 VP a's go through AS64504 (a new border route). Campaign
# other: 1 round of VP b, a day later. VP a.2: 1 round of camp, in a
# directory a walk reads after vp-a/ (a plain sort of the paths would not:
# '.' < '/').
O=$T/rounds
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$O/camp/vp-a" vp-a camp 4 5 || fail "mkrounds a"
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$O/camp/vp-b" vp-b camp 4 5 || fail "mkrounds b"
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$O/camp/vp-a.2" vp-a.2 camp 1 2 || fail "mkrounds a.2"
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$O/other/vp-b" vp-b other 1 2 || fail "mkrounds other"
sed 's/2026-12-01T/2026-12-02T/g' "$O/other/vp-b/2026-12-01T00:00:00Z.jsonl" >"$O/other/vp-b/2026-12-02T00:00:00Z.jsonl"
rm "$O/other/vp-b/2026-12-01T00:00:00Z.jsonl"
for r in 02 03; do
	sed -i 's/"198\.18\.2\.1"/"198.18.4.1"/g' "$O/camp/vp-a/2026-12-01T00:$r:00Z.jsonl"
done
expect 0 "4 added" -- "$BT" push --db "$A" "$O/camp/vp-a"
expect 0 "4 added" -- "$BT" push --db "$B" "$O/camp/vp-b"
expect 0 "1 added" -- "$BT" push --db "$B" "$O/other/vp-b"
expect 0 "1 added" -- "$BT" push --db "$C" "$O/camp/vp-a.2"
printf '198.18.1.0,198.18.1.255,64501,Near\n198.18.2.0,198.18.2.255,64502,Up\n198.18.3.0,198.18.3.255,64503,Target\n198.18.4.0,198.18.4.255,64504,New\n' >"$T/p.csv"
SRC=(--pfx2as "$T/p.csv" --lookup-test-ranges --by as --format table)

# same_out NAME FILE-ARGS... -- DB-ARGS...: diff's stdout and last stderr line alike
same_diff() {
	local name=$1 files=() db=()
	shift
	while [[ $1 != -- ]]; do files+=("$1"); shift; done
	shift
	db=("$@")
	expect 0 "" -- "$BT" diff "${SRC[@]}" "${files[@]}"
	mv "$T/out" "$T/files.out"; tail -1 "$T/err" >"$T/files.err"
	expect 0 "" -- "$BT" diff "${SRC[@]}" --db "$AN" "${db[@]}"
	cmp -s "$T/files.out" "$T/out" || { diff "$T/files.out" "$T/out" >&2; fail "$name: diff --db differs"; }
	tail -1 "$T/err" | cmp -s "$T/files.err" - || fail "$name: summary differs: $(tail -1 "$T/err")"
}
same_diff all "$O" --
grep -q "^NEW as border route into AS64503: AS64504" "$T/out" || fail "no NEW event: $(cat "$T/out")"
same_diff campaign "$O/camp" -- --campaign camp
grep -qF "42 traces, 126 hops, 4 round(s)" "$T/err" || fail "--campaign camp: $(tail -1 "$T/err")"
same_diff vp "$O/camp/vp-b" "$O/other/vp-b" -- --vp vp-b
same_diff vps "$O/camp" -- --vp vp-b --vp vp-a.2 --vp vp-a --campaign camp
same_diff time "$O"/camp/vp-{a,b}/2026-12-01T00:0{1,2}:00Z.jsonl -- --since 2026-12-01T00:01:00Z --until 2026-12-01T00:02:00.5Z
grep -qF "20 traces, 60 hops, 2 round(s)" "$T/err" || fail "--since/--until: $(tail -1 "$T/err")"
expect 1 "store: no rounds that --campaign, --vp, --since and --until select" -- \
	"$BT" diff "${SRC[@]}" --db "$AN" --campaign camp --since 2027-01-01T00:00:00Z

# export: the five CSV files alike
expect 0 "" -- "$BT" export --pfx2as "$T/p.csv" --lookup-test-ranges -o "$T/xf" "$O"
expect 0 "" -- "$BT" export --pfx2as "$T/p.csv" --lookup-test-ranges -o "$T/xd" --db "$AN"
for f in hops traces borders events diversity; do
	cmp -s "$T/xf/$f.csv" "$T/xd/$f.csv" || fail "export --db: $f.csv differs"
done
# report: the page alike
expect 0 "" -- "$BT" report --pfx2as "$T/p.csv" --lookup-test-ranges --no-png -o "$T/rf" "$O"
expect 0 "" -- "$BT" report --pfx2as "$T/p.csv" --lookup-test-ranges --no-png -o "$T/rd" --db "$AN"
cmp -s "$T/rf/report.html" "$T/rd/report.html" || fail "report --db: report.html differs"

# a VP role reads no rounds (no SELECT on the blobs; row-level security)
expect 1 "permission denied for table schema_version (reading rounds takes a role in bt_analyst" -- \
	"$BT" diff "${SRC[@]}" --db "$B" --vp vp-a
# usage: a password in the URL, filters without --db, --db with files, bad values
expect 2 "--db: a password in the connection string" -- "$BT" diff --db "$AN password=x"
expect 2 "--campaign, --vp, --since and --until select rounds of --db URL" -- "$BT" diff --vp vp-a "$O"
expect 2 "--db reads the rounds from the store: no ROUNDS as well" -- "$BT" diff --db "$AN" "$O"
expect 2 "--since: 'yesterday' is not a UTC time" -- "$BT" diff --db "$AN" --since yesterday
expect 2 "--vp: 'a/b' is not an id" -- "$BT" diff --db "$AN" --vp a/b
expect 2 "--db: missing" -- "$BT" export -o "$T/x" --db "host=$PGDIR dbname"
# unreachable: no server on that socket
expect 1 "store: cannot connect to the store:" -- "$BT" diff --db "host=$T/nowhere dbname=bt user=analyst"
[[ -e $T/x ]] && fail "export made its directory with the store away"

# a bad blob: named by its round and line; export writes nothing
pg_bad_round bad1 00ff 10 || fail "bad round 1"
expect 1 "round camp/vp-b/bad1: the stored blob does not gunzip to its 10 bytes" -- "$BT" diff --db "$AN"
{ sed -n '1s/"round":"[^"]*"/"round":"bad2"/p' "$O/other/vp-b/2026-12-02T00:00:00Z.jsonl"; echo 'not json'; } >"$T/bad2"
pg_bad_round bad2 "$(gzip <"$T/bad2" | od -An -tx1 | tr -d ' \n')" "$(wc -c <"$T/bad2")" || fail "bad round 2"
expect 1 "round camp/vp-b/bad2:2: not JSON" -- "$BT" export -o "$T/x" --db "$AN"
grep -qF "nothing written to $T/x" "$T/err" || fail "export with a bad round: $(cat "$T/err")"
[[ -e $T/x ]] && fail "export left its directory behind"
sql "$ADMIN" <<<"DELETE FROM bt.rounds WHERE round LIKE 'bad%'" || fail "delete bad rounds"

# a schema of another version
sql "$ADMIN" <<<"INSERT INTO bt.schema_version (version) VALUES (5)" || fail "to v5"
expect 1 "the schema is at version 5, newer than this program's 4" -- "$BT" diff --db "$AN"
sql "$ADMIN" <<<"DELETE FROM bt.schema_version WHERE version >= 2" || fail "to v1"
expect 1 "the schema is at version 1, older than this program's 4: the store's owner runs 'bordertrace db migrate'" -- "$BT" diff --db "$AN"
echo "ok"
