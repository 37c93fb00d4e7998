#!/bin/bash
# bordertrace db / push against a real PostgreSQL 15 started here
# (doc/store.md): schema init and migrate, push twice (the second a no-op),
# a changed round refused, VP roles kept to their own rows, hostile ids and
# file names taken as data, TLS with sslmode=verify-full against a test CA
# made here, and kill -9 of the server in the middle of three concurrent
# pushes: every round stored exactly once, none partial.
# usage: test_push.sh BORDERTRACE
set -u
BT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg.sh"
pg_test_begin
pg_tls || fail "test CA"
pg_start || { cat "$PGDIR/log"; fail "pg_ctl start"; }
sql "$PGADMIN" <<<"CREATE DATABASE bt" || fail "create database"
ADMIN="host=$PGDIR user=postgres dbname=bt"

# --- schema ---
expect 2 "a password in the connection string" -- "$BT" db init "$ADMIN password=x"
expect 1 "no bordertrace schema in this database (run 'bordertrace db init' first)" -- "$BT" db migrate "$ADMIN"
expect 0 "schema at version 4" -- "$BT" db init "$ADMIN"
expect 1 "already exists (the store is set up" -- "$BT" db init "$ADMIN"
expect 0 "schema already at version 4" -- "$BT" db migrate "$ADMIN"
# a store at version 1 (as one made before migrations 2 to 4) is brought to 4
sql "$PGADMIN" <<<"CREATE DATABASE bt_v1" || fail "create database bt_v1"
V1="host=$PGDIR user=postgres dbname=bt_v1"
expect 0 "schema at version 4" -- "$BT" db init "$V1"
sql "$V1" <<<"DROP TABLE bt.border_obs, bt.derived, bt.watch_rounds, bt.events, bt.watch_state, bt.watch_progress;
DROP FUNCTION bt.border_obs_month(timestamptz); DROP TRIGGER rounds_notify ON bt.rounds;
DROP FUNCTION bt.rounds_notify(); DROP POLICY watch_vps ON bt.vps; DROP POLICY watch_rounds ON bt.rounds;
DELETE FROM bt.schema_version WHERE version >= 2" || fail "back to v1"
expect 0 "bordertrace db migrate: schema at version 4" -- "$BT" db migrate "$V1"
[[ $(sql "$V1" <<<"SELECT string_agg(version::text, ',' ORDER BY version) FROM bt.schema_version") == "1,2,3,4" ]] ||
	fail "versions after migrate"
sql "$V1" <<<"INSERT INTO bt.schema_version (version) VALUES (5)" || fail "to v5"
expect 1 "the schema is at version 5, newer than this program's 4" -- "$BT" db migrate "$V1"
# a store at version 3 with rows in border_obs and watch_fired: migration 4
# keeps them (border_obs into its month's partition, fired events into
# bt.events). Version 3's two tables are made again here as migrations 2
# and 3 made them.
sql "$PGADMIN" <<<"CREATE DATABASE bt_v3" || fail "create database bt_v3"
V3="host=$PGDIR user=postgres dbname=bt_v3"
expect 0 "schema at version 4" -- "$BT" db init "$V3"
sql "$V3" <<'EOF2' || fail "back to v3"
DROP TABLE bt.border_obs, bt.events, bt.watch_state, bt.watch_progress;
DROP FUNCTION bt.border_obs_month(timestamptz); DROP INDEX bt.watch_rounds_open;
DELETE FROM bt.schema_version WHERE version = 4;
CREATE TABLE bt.border_obs (campaign text NOT NULL, vp text NOT NULL, round text NOT NULL,
  round_start timestamptz NOT NULL, level text NOT NULL CHECK (level IN ('as', 'country')),
  target_network text NOT NULL, upstream_as bigint NOT NULL, upstream_country text NOT NULL,
  into_as bigint NOT NULL, into_country text NOT NULL, traces integer NOT NULL CHECK (traces > 0),
  flows integer NOT NULL CHECK (flows > 0), FOREIGN KEY (campaign, vp, round) REFERENCES bt.derived);
CREATE INDEX border_obs_target ON bt.border_obs (target_network, round_start);
CREATE INDEX border_obs_round ON bt.border_obs (campaign, vp, round);
CREATE TABLE bt.watch_fired (name text NOT NULL, level text NOT NULL, target_network text NOT NULL,
  upstream text NOT NULL, into_net text NOT NULL, kind text NOT NULL, round text NOT NULL,
  fired timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, level, target_network, upstream, into_net, kind, round));
INSERT INTO bt.campaigns (id) VALUES ('c');
INSERT INTO bt.vps (id, role) VALUES ('v', 'nobody_here');
INSERT INTO bt.rounds (campaign, vp, round, file, first_start, last_end, traces, raw_bytes, sha256, gz)
  VALUES ('c', 'v', 'r1', 'f', '2026-11-30 23:59:59Z', '2026-12-01', 1, 1, sha256(''), ''),
         ('c', 'v', 'r2', 'f', '2026-12-01 00:00:00Z', '2026-12-01', 1, 1, sha256(''), '');
INSERT INTO bt.derived (campaign, vp, round) VALUES ('c', 'v', 'r1'), ('c', 'v', 'r2');
INSERT INTO bt.border_obs VALUES ('c', 'v', 'r1', '2026-11-30 23:59:59Z', 'as', 'AS1', 2, 'CN', 1, 'KP', 3, 1),
  ('c', 'v', 'r2', '2026-12-01 00:00:00Z', 'as', 'AS1', 2, 'CN', 1, 'KP', 4, 2);
INSERT INTO bt.watch_fired (name, level, target_network, upstream, into_net, kind, round)
  VALUES ('w', 'as', 'AS1', 'AS2', 'AS1', 'new', 'r2');
EOF2
expect 0 "bordertrace db migrate: schema at version 4" -- "$BT" db migrate "$V3"
[[ $(sql "$V3" <<<"SELECT string_agg(tableoid::regclass || ':' || round || ':' || traces, ' ' ORDER BY round) FROM bt.border_obs") == \
	"bt.border_obs_202611:r1:3 bt.border_obs_202612:r2:4" ]] || fail "border_obs after migration 4: $(sql "$V3" <<<"SELECT * FROM bt.border_obs")"
[[ $(sql "$V3" <<<"SELECT name || kind || round FROM bt.events") == "wnewr2" ]] || fail "events after migration 4"
[[ $(sql "$V3" <<<"SELECT count(*) FROM pg_tables WHERE schemaname = 'bt' AND tablename IN ('watch_fired', 'border_obs_v3')") == 0 ]] ||
	fail "migration 4 left its old tables"

# --- a fleet: VP a with an id made of SQL, VP b, an analyst ---
VPA="o'hara;DROP_TABLE_bt.rounds;--"
VPB="vp-b"
pg_add_role "vp a'role" bt_vp || fail "role a"
pg_add_role vp_b bt_vp || fail "role b"
pg_add_role analyst bt_analyst || fail "role analyst"
sql "$ADMIN" <<EOF2 || fail "register VPs"
\set vpa '$(sed "s/'/''/g" <<<"$VPA")'
INSERT INTO bt.vps (id, role) VALUES (:'vpa', 'vp a''role'), ('$VPB', 'vp_b');
EOF2
A="host=$PGDIR dbname=bt user='vp a\\'role'"
B="host=$PGDIR dbname=bt user=vp_b"
AN="host=$PGDIR dbname=bt user=analyst"
count() { sql "$AN" <<<"SELECT count(*) FROM bt.rounds ${1:-}"; }

# VP a's rounds under a directory and file names holding quotes, a
# backslash and SQL; a hidden round being written is not pushed
DA="$T/a'; DROP TABLE bt.rounds; --\\x"
python3 "$HERE/mkrounds.py" "$DA" "$VPA" "camp'\$\$;--" 4 3 "r'\\" || fail "mkrounds a"
python3 "$HERE/mkrounds.py" "$T/b" "$VPB" "camp" 2 3 || fail "mkrounds b"
cp "$T/b/2026-12-01T00:00:00Z.jsonl" "$DA/.2026-12-01T09:00:00Z.jsonl.tmp.abcdef"

# --- push twice: the second is a no-op ---
expect 0 "4 added, 0 already in the store, 0 refused" -- "$BT" push --db "$A" "$DA"
expect 0 "0 added, 4 already in the store" -- "$BT" push --db "$A" "$DA"
[[ $(count) -eq 4 ]] || fail "4 rounds expected, got $(count)"
[[ $(sql "$AN" <<<"SELECT count(*) FROM bt.rounds WHERE vp = \$\$$VPA\$\$ AND campaign = \$\$camp'\$\$ || '\$\$;--' AND file LIKE '%r''\\\\%' AND traces = 3") -eq 4 ]] ||
	fail "ids and file names not stored as they are"
expect 0 "2 added" -- "$BT" push --db "$B" "$T/b"

# --- TLS, sslmode=verify-full against the test CA; another CA is refused
TLS="host=127.0.0.1 dbname=bt user=vp_b sslmode=verify-full"
python3 "$HERE/mkrounds.py" "$T/b4" "$VPB" "camp4" 1 2 || fail "mkrounds b4"
# (a refusal, not a server away: not waited out)
start=$EPOCHREALTIME
expect 1 "certificate verify failed" -- "$BT" push --retry-for 5 --db "$TLS sslrootcert=$PGDIR/other-ca.pem" "$T/b4"
ms() { local a=${1/./} b=${2/./}; echo $(( (10#$b - 10#$a) / 1000 )); }
(( $(ms "$start" "$EPOCHREALTIME") < 2000 )) || fail "a bad certificate was retried"
expect 1 "no encryption" -- "$BT" push --retry-for 0 --db "host=127.0.0.1 dbname=bt user=vp_b sslmode=disable" "$T/b4"
expect 0 "1 added" -- "$BT" push --db "$TLS sslrootcert=$PGDIR/ca.pem" "$T/b4"

# --- a changed round with a stored id: refused, the store unchanged ---
before=$(sql "$AN" <<<"SELECT string_agg(encode(sha256, 'hex'), ',' ORDER BY round) FROM bt.rounds")
F=$(ls "$DA"/*00:01:00Z.jsonl)
head -1 "$F" >>"$F"
expect 1 "is in the store with other content" -- "$BT" push --db "$A" "$DA"
grep -qF "0 added, 3 already in the store, 1 refused" "$T/err" || fail "summary after a refusal"
[[ $(sql "$AN" <<<"SELECT string_agg(encode(sha256, 'hex'), ',' ORDER BY round) FROM bt.rounds") == "$before" ]] ||
	fail "a refused round changed the store"

# --- least privilege (psql exits 3 for a refused statement) ---
expect 1 "new row violates row-level security policy" -- "$BT" push --db "$A" "$T/b"
expect 3 "new row violates row-level security policy" -- sql "$A" <<<"INSERT INTO bt.rounds (campaign, vp, round, file, first_start, last_end, traces, raw_bytes, sha256, gz) VALUES ('camp', 'vp-b', 'x', 'f', now(), now(), 1, 1, sha256(''), '')"
[[ $(sql "$A" <<<"SELECT count(*) FROM bt.rounds WHERE vp = 'vp-b'") -eq 0 ]] || fail "VP a reads VP b's rounds"
[[ $(sql "$A" <<<"SELECT count(*) FROM bt.rounds") -eq 4 ]] || fail "VP a does not see its own 4 rounds"
[[ $(sql "$A" <<<"SELECT count(*) FROM bt.vps") -eq 1 ]] || fail "VP a sees the other VPs"
expect 3 "permission denied" -- sql "$A" <<<"SELECT gz FROM bt.rounds"
expect 3 "permission denied" -- sql "$A" <<<"UPDATE bt.rounds SET traces = 1"
expect 3 "permission denied" -- sql "$A" <<<"DELETE FROM bt.rounds"
expect 3 "permission denied" -- sql "$A" <<<"UPDATE bt.vps SET role = 'vp_b'"
expect 3 "permission denied" -- sql "$AN" <<<"INSERT INTO bt.campaigns (id) VALUES ('x')"
expect 3 "permission denied" -- sql "$AN" <<<"DELETE FROM bt.rounds"
[[ $(count) -eq 7 ]] || fail "7 rounds expected after the refusals, got $(count)"

# --- a malformed round: named, the others still pushed ---
python3 "$HERE/mkrounds.py" "$T/b2" "$VPB" "camp3" 3 2 || fail "mkrounds b2"
echo '{"format":"bordertrace-trace","v":2}' >>"$T/b2/2026-12-01T00:01:00Z.jsonl"
expect 1 "2026-12-01T00:01:00Z.jsonl:3: " -- "$BT" push --db "$B" "$T/b2"
grep -qF "2 added, 0 already in the store, 1 refused or unreadable" "$T/err" || fail "summary after a bad file"

# --- kill -9 of the server in the middle of concurrent pushes ---
# Each insert sleeps 50 ms (a trigger of this test), so the pushes are in
# the middle of their rounds when the server dies: VP a's 30 rounds, and VP
# b's 40 pushed by two processes at once (one finds the other's round).
sql "$ADMIN" <<'EOF2' || fail "slow trigger"
CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON bt.rounds FOR EACH ROW EXECUTE FUNCTION public.slow();
EOF2
python3 "$HERE/mkrounds.py" "$T/b3" "$VPB" "camp2" 40 5 || fail "mkrounds b3"
python3 "$HERE/mkrounds.py" "$T/a3" "$VPA" "camp2" 30 5 || fail "mkrounds a3"
pids=()
for p in b1:B:b3 b2:B:b3 a1:A:a3; do
	IFS=: read -r name who dir <<<"$p"
	"$BT" push --db "${!who}" --retry-for 20 "$T/$dir" >"$T/$name.out" 2>"$T/$name.err" &
	pids+=($!)
done
for _ in $(seq 200); do
	[[ $(count "WHERE campaign = 'camp2'") -ge 6 ]] && break
	sleep 0.05
done
for pid in "${pids[@]}"; do
	kill -0 "$pid" 2>/dev/null || fail "a push ended before the server was killed"
done
pg_kill9
sleep 1
pg_start || { cat "$PGDIR/log"; fail "restart"; }
for i in 0 1 2; do
	wait "${pids[$i]}" || { cat "$T"/[ab][12].err; fail "push $i across the crash failed"; }
done
cat "$T"/[ab][12].err >"$T/all.err"
[[ $(grep -c "connection to the store was lost and made again 1 time" "$T/all.err") -eq 3 ]] ||
	fail "the pushes did not all see the crash: $(cat "$T/all.err")"
expect 0 "0 added, 40 already in the store" -- "$BT" push --db "$B" "$T/b3"
expect 0 "0 added, 30 already in the store" -- "$BT" push --db "$A" "$T/a3"
[[ $(count "WHERE campaign = 'camp2'") -eq 70 ]] || fail "70 rounds expected"
# every stored round whole: its blob gunzips to the local file, byte for byte
sql "$AN" <<<"SELECT file, encode(gz, 'hex'), encode(sha256, 'hex') FROM bt.rounds" |
	CHANGED=$F python3 -c '
import gzip, hashlib, os, sys
n = 0
for line in sys.stdin:
    f, gz, sha = line.rstrip("\n").split("|")
    raw = gzip.decompress(bytes.fromhex(gz))
    # the file changed after it was stored (refused above) differs
    assert (raw == open(f, "rb").read()) != (f == os.environ["CHANGED"]), f
    assert hashlib.sha256(raw).hexdigest() == sha, f
    n += 1
print(n)' >"$T/n" || fail "a stored round differs from its file"
[[ $(cat "$T/n") -eq 79 ]] || fail "79 rounds expected, $(cat "$T/n") checked"

# --- derived border observations (run by the owner; not by VPs or analysts) ---
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$T/b5" "$VPB" "camp5" 2 4 || fail "mkrounds b5"
expect 0 "2 added" -- "$BT" push --db "$B" "$T/b5"
printf '198.18.1.0,198.18.1.255,64501,Near\n198.18.2.0,198.18.2.255,64502,Up\n198.18.3.0,198.18.3.255,64503,Target\n' >"$T/p.csv"
SRC=(--pfx2as "$T/p.csv" --lookup-test-ranges)
expect 1 "permission denied for table derived" -- "$BT" derive --db "$AN" "${SRC[@]}"
# a blob that does not gunzip, derived last (the latest first_start): the
# rounds before it are derived, it is not
pg_bad_round bad1 00ff 10 || fail "bad round 1"
expect 1 "round camp/vp-b/bad1: the stored blob does not gunzip to its 10 bytes" -- "$BT" derive --db "$ADMIN" "${SRC[@]}"
grep -qF "81 round(s) derived, 2 border observation(s)" "$T/err" || fail "derive before the bad round"
pg_bad_round bad2 "$(printf 'not json\n' | gzip | od -An -tx1 | tr -d ' \n')" 9 || fail "bad round 2"
expect 1 "round camp/vp-b/bad2:1: not JSON" -- "$BT" derive --db "$ADMIN" "${SRC[@]}"
grep -qF "0 round(s) derived" "$T/err" || fail "derive of a bad round"
sql "$ADMIN" <<<"DELETE FROM bt.rounds WHERE round LIKE 'bad%'" || fail "delete bad rounds"
expect 0 "0 round(s) derived, 0 border observation(s)" -- "$BT" derive --db "$ADMIN" "${SRC[@]}"
got=$(sql "$AN" <<<"SELECT round, level, target_network, upstream_as, upstream_country, into_as, into_country, traces, flows FROM bt.border_obs ORDER BY round")
want="2026-12-01T00:00:00Z|as|AS64503|64502||64503||4|1
2026-12-01T00:01:00Z|as|AS64503|64502||64503||4|1"
[[ $got == "$want" ]] || fail "border observations: $got"
[[ $(sql "$AN" <<<"SELECT count(*) FROM bt.derived") -eq 81 ]] || fail "81 rounds marked derived"
# in the month's partition (migration 4), made by derive
[[ $(sql "$ADMIN" <<<"SELECT string_agg(tableoid::regclass::text, ',') FROM bt.border_obs") == "bt.border_obs_202612,bt.border_obs_202612" ]] ||
	fail "border_obs partitions: $(sql "$ADMIN" <<<"SELECT tableoid::regclass FROM bt.border_obs")"
expect 3 "permission denied" -- sql "$A" <<<"SELECT * FROM bt.border_obs"

# --- pruning: only rounds the store holds with the same content, only past
# the age; a refused round never ---
python3 "$HERE/mkrounds.py" "$T/b6" "$VPB" "camp6" 3 2 || fail "mkrounds b6"
touch -d '3 days ago' "$T/b6/2026-12-01T00:00:00Z.jsonl" "$T/b6/2026-12-01T00:01:00Z.jsonl"
expect 2 "--prune-after: expected days 0..36500, got '-1'" -- "$BT" push --db "$B" --prune-after -1 "$T/b6"
expect 0 "3 added, 0 already in the store, 0 refused or unreadable, 2 pruned (stored, older than 2 days)" -- \
	"$BT" push --db "$B" --prune-after 2 "$T/b6"
[[ $(ls "$T/b6") == "2026-12-01T00:02:00Z.jsonl" ]] || fail "pruned: $(ls "$T/b6")"
OLD=$(ls "$DA"/*00:00:00Z.jsonl)
touch -d '3 days ago' "$F" "$OLD"
expect 1 "is in the store with other content" -- "$BT" push --db "$A" --prune-after 2 "$DA"
grep -qF "0 added, 3 already in the store, 1 refused or unreadable, 1 pruned" "$T/err" || fail "prune with a refusal"
[[ -e $F && ! -e $OLD ]] || fail "the refused round was pruned, or the stored old one kept"

# --- the server away: back-off, then exit 1, nothing deleted ---
pg_stop
start=$EPOCHREALTIME
touch -d '3 days ago' "$T"/b3/*.jsonl
expect 1 "nothing pushed; 40 round files stay here" -- "$BT" push --db "$B" --retry-for 2 --prune-after 0 "$T/b3"
took=$(ms "$start" "$EPOCHREALTIME")
(( took >= 1400 && took <= 6000 )) || fail "gave up after $took ms (back-off 0.5 + 1 s expected)"
[[ $(ls "$T/b3" | wc -l) -eq 40 ]] || fail "local files deleted"
echo "ok"
