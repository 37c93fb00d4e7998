#!/bin/bash
# bordertrace watch against a real PostgreSQL 15 started here
# (doc/store.md): round 1 (upstream AS64502 only) is in the store when watch
# starts; round 2 (AS64504 appears) fires --exec once within seconds; after
# watch's kill -9 and a restart it is not fired again; round 3 (no change)
# fires nothing; the server's kill -9 and restart is waited out; a command that fails is not recorded, and runs again.
# usage: test_watch.sh BORDERTRACE
set -u
BT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg.sh"
pg_test_begin
WPID=
trap '[[ -n $WPID ]] && kill -9 $WPID 2>/dev/null; pg_stop; rm -rf "$T"' EXIT
pg_start || { cat "$PGDIR/log"; fail "pg_ctl start"; }
sql "$PGADMIN" <<<"CREATE DATABASE bt" || fail "create database"
ADMIN="host=$PGDIR user=postgres dbname=bt"
expect 0 "" -- "$BT" db init "$ADMIN"
pg_add_role vp_a bt_vp || fail "role a"
sql "$ADMIN" <<<"INSERT INTO bt.vps (id, role) VALUES ('vp-a', 'vp_a')" || fail "VPs"
pg_add_role watcher bt_watch || fail "role watcher"
pg_add_role analyst bt_analyst || fail "role analyst"
A="host=$PGDIR dbname=bt user=vp_a"
W="host=$PGDIR dbname=bt user=watcher"

# 4 rounds of 4 traces through AS64502 into AS64503; from round 2 on the
# first trace comes in from AS64504 instead
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$T/all" vp-a camp 4 4 || fail "mkrounds"
for r in 1 2 3 4; do
	mkdir -p "$T/r$r"
	mv "$T/all/2026-12-01T00:0$((r - 1)):00Z.jsonl" "$T/r$r/"
	[[ $r -gt 1 ]] && sed -i '1s/"198\.18\.2\.1"/"198.18.4.1"/g' "$T/r$r/"*.jsonl
done
printf '198.18.1.0,198.18.1.255,64501,Near\n198.18.2.0,198.18.2.255,64502,Up\n198.18.3.0,198.18.3.255,64503,Target\n198.18.4.0,198.18.4.255,64504,New\n' >"$T/p.csv"

# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local n=$(( $1 * 10 )); shift
	while ! "$@"; do
		(( n-- > 0 )) || return 1
		sleep 0.1
	done
}
lines() { [[ -f $T/fired ]] && wc -l <"$T/fired" || echo 0; }
rounds_seen() { [[ $(sql "$ADMIN" <<<"SELECT count(*) FROM bt.watch_rounds WHERE name = '$1'") == "$2" ]]; }
# start_watch NAME CMD [URL]: as the watcher role (or URL), in the background, until it listens
start_watch() {
	: >"$T/watch.log"
	"$BT" watch --db "${3:-$W}" --name "$1" --exec "$2" --pfx2as "$T/p.csv" --lookup-test-ranges \
		2>"$T/watch.log" &
	WPID=$!
	wait_for 5 grep -q "listening for rounds" "$T/watch.log" || { cat "$T/watch.log"; fail "watch did not start"; }
}

expect 0 "1 added" -- "$BT" push --db "$A" "$T/r1"
start_watch w "cat >>$T/fired"
# a second process of the same name is refused (their states would mix)
timeout 10 "$BT" watch --db "$W" --name w --pfx2as "$T/p.csv" --lookup-test-ranges 2>"$T/err"
[[ $? -eq 1 ]] && grep -qF "another watch named 'w' is running on this store" "$T/err" ||
	fail "a second watch named w: $(cat "$T/err")"
wait_for 5 rounds_seen w 1 || { cat "$T/watch.log"; fail "round 1 not taken into account"; }
[[ $(lines) -eq 0 ]] || fail "round 1 alone fired: $(cat "$T/fired")"

expect 0 "1 added" -- "$BT" push --db "$A" "$T/r2"
wait_for 5 rounds_seen w 2 || { cat "$T/watch.log"; fail "round 2 not taken into account"; }
[[ $(lines) -eq 1 ]] || fail "round 2: $(lines) events fired, expected 1"
grep -q '"event":"new","level":"as","aggregate":"as","target_network":"AS64503","upstream":"AS64504"' "$T/fired" ||
	fail "not the new route: $(cat "$T/fired")"
grep -q '"round":"2026-12-01T00:01:00Z"' "$T/fired" || fail "not dated round 2: $(cat "$T/fired")"
grep -q 'bordertrace watch: event: {"watch":"w","event":"new"' "$T/watch.log" || fail "not in the journal: $(cat "$T/watch.log")"

# kill -9 and again: nothing fired twice
kill -9 $WPID; wait $WPID 2>/dev/null
start_watch w "cat >>$T/fired"
sleep 1
[[ $(lines) -eq 1 ]] || fail "fired again after a restart: $(cat "$T/fired")"

# round 3, no change: nothing
expect 0 "1 added" -- "$BT" push --db "$A" "$T/r3"
wait_for 5 rounds_seen w 3 || { cat "$T/watch.log"; fail "round 3 not taken into account"; }
[[ $(lines) -eq 1 ]] || fail "round 3 fired: $(cat "$T/fired")"

# the server killed and restarted: watch waits for it and listens again
pg_kill9
pg_start || { cat "$PGDIR/log"; fail "pg_ctl restart"; }
expect 0 "1 added" -- "$BT" push --db "$A" "$T/r4"
wait_for 10 rounds_seen w 4 || { cat "$T/watch.log"; fail "round 4 after the server's restart not taken into account"; }
grep -q "store away, reconnecting" "$T/watch.log" || fail "no reconnection: $(cat "$T/watch.log")"
[[ $(lines) -eq 1 ]] || fail "round 4 fired: $(cat "$T/fired")"
kill -9 $WPID; wait $WPID 2>/dev/null

# another watch name, its command failing: logged, not recorded; then one
# that succeeds fires it (once)
start_watch other "cat >/dev/null; exit 3"
wait_for 5 grep -q -- "--exec failed (status 3) for new AS64503 AS64504 -> AS64503 round 2026-12-01T00:01:00Z" \
	"$T/watch.log" || { cat "$T/watch.log"; fail "a failing command not logged"; }
kill -9 $WPID; wait $WPID 2>/dev/null
[[ $(sql "$ADMIN" <<<"SELECT count(*) FROM bt.events WHERE name = 'other'") == 0 ]] || fail "failed event recorded"
start_watch other "cat >>$T/fired2"
wait_for 5 rounds_seen other 4 || { cat "$T/watch.log"; fail "other: rounds not taken into account"; }
[[ $(wc -l <"$T/fired2") -eq 1 ]] || fail "other: $(cat "$T/fired2")"
kill -9 $WPID; wait $WPID 2>/dev/null
WPID=

# --- incremental: the state as of each settled round (--open-rounds 0
# settles every round at once), across a kill -9, gives diff --db's events
# in a separate database: campaign flap, VP vp-a, 6 rounds; AS64502 is the
# upstream in rounds 1, 2, 5, 6 and AS64504 in rounds 3, 4 (new at 3; 64502
# gone at 3, returned at 5; 64504 gone at 5)
sql "$PGADMIN" <<<"CREATE DATABASE bt2" || fail "create database bt2"
ADMIN2="host=$PGDIR user=postgres dbname=bt2"
expect 0 "" -- "$BT" db init "$ADMIN2"
sql "$ADMIN2" <<<"INSERT INTO bt.vps (id, role) VALUES ('vp-a', 'vp_a'), ('vp-b', 'vp_b')" || fail "VPs 2"
pg_add_role vp_b bt_vp || fail "role b"
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$T/flap" vp-a flap 6 3 || fail "mkrounds flap"
MK_HOPS=3 python3 "$HERE/mkrounds.py" "$T/late" vp-b flap 2 3 || fail "mkrounds late"
for r in 2 3; do sed -i 's/"198\.18\.2\.[0-9]*"/"198.18.4.1"/g' "$T/flap/2026-12-01T00:0$r:00Z.jsonl"; done
W2="host=$PGDIR dbname=bt2 user=watcher"
A2="host=$PGDIR dbname=bt2 user=vp_a"
rounds2() { [[ $(sql "$ADMIN2" <<<"SELECT count(*) FROM bt.watch_rounds WHERE name = 'inc'") == "$1" ]]; }
: >"$T/inc"
start_inc() {
	"$BT" watch --db "$W2" --name inc --open-rounds 0 -v --exec "cat >>$T/inc" --pfx2as "$T/p.csv" \
		--lookup-test-ranges 2>>"$T/inc.log" &
	WPID=$!
	wait_for 5 grep -q "listening for rounds" "$T/inc.log" || { cat "$T/inc.log"; fail "watch inc did not start"; }
}
start_inc
n=0
for f in "$T/flap"/*.jsonl; do
	n=$((n + 1))
	mkdir -p "$T/one$n" && cp "$f" "$T/one$n/"
	expect 0 "1 added" -- "$BT" push --db "$A2" "$T/one$n"
	wait_for 5 rounds2 $n || { cat "$T/inc.log"; fail "inc: round $n not taken in"; }
	if [[ $n -eq 3 ]]; then kill -9 $WPID; wait $WPID 2>/dev/null; start_inc; fi
done
# each pass read only its new round, the state carried over
[[ $(grep -c "pass: .* 1 round(s) read" "$T/inc.log") -eq 6 ]] || fail "inc: passes: $(grep pass: "$T/inc.log")"
grep -q "pass: 2 route(s) loaded, 1 round(s) read, 6 round id(s) settled, 1 event(s)" "$T/inc.log" ||
	fail "inc: last pass: $(grep pass: "$T/inc.log")"
events() { # the diff's events over the store, as "kind target upstream round"
	"$BT" diff --db "host=$PGDIR dbname=bt2 user=analyst" --by as --format csv --pfx2as "$T/p.csv" --lookup-test-ranges |
		awk -F, '$1 ~ /^(new|gone|returned)$/ { print $1, $4, $5, $8 }' | sort
}
fired_events() {
	sed 's/.*"event":"\([a-z]*\)".*"target_network":"\([^"]*\)","upstream":"\([^"]*\)".*"round":"\([^"]*\)".*/\1 \2 \3 \4/' "$T/inc" | sort
}
[[ $(events | wc -l) -eq 4 ]] || fail "diff --db: $(events)"
[[ $(fired_events) == "$(events)" ]] || fail "inc fired: $(fired_events) | diff --db: $(events)"
# the analyst reads the events, with their details
[[ $(sql "host=$PGDIR dbname=bt2 user=analyst" <<<"SELECT count(*) FROM bt.events WHERE name = 'inc' AND vps = 'vp-a' AND traces > 0 AND first_seen IS NOT NULL") -eq 4 ]] ||
	fail "bt.events: $(sql "$ADMIN2" <<<"SELECT * FROM bt.events")"
# a round of another VP for an id settled long ago: the state is rebuilt,
# the diff's events fired once each
expect 0 "2 added" -- "$BT" push --db "host=$PGDIR dbname=bt2 user=vp_b" "$T/late"
wait_for 5 rounds2 8 || { cat "$T/inc.log"; fail "inc: late rounds not taken in"; }
grep -q "round flap/vp-b/2026-12-01T00:00:00Z came after round 2026-12-01T00:05:00Z was settled: the state is rebuilt" \
	"$T/inc.log" || fail "inc: no rebuild: $(cat "$T/inc.log")"
[[ $(comm -13 <(fired_events) <(events)) == "" ]] || fail "inc after the rebuild: $(fired_events) | $(events)"
[[ $(fired_events | uniq -d) == "" ]] || fail "inc: fired twice: $(fired_events)"
kill -9 $WPID; wait $WPID 2>/dev/null
WPID=

# an analyst may not record events: a refusal, exit 1
timeout 10 "$BT" watch --db "host=$PGDIR dbname=bt user=analyst" --name an --pfx2as "$T/p.csv" --lookup-test-ranges \
	2>"$T/err"
[[ $? -eq 1 ]] || fail "watch as an analyst: not exit 1"
grep -qF "store: permission denied for table events (watch takes a role in bt_watch" "$T/err" || fail "watch as an analyst: $(cat "$T/err")"

# usage
expect 2 "--db URL is required" -- "$BT" watch
expect 2 "--name: '' is not an id" -- "$BT" watch --db "$ADMIN" --name ''
expect 2 "--open-rounds: expected 0..1000, got 'x'" -- "$BT" watch --db "$ADMIN" --open-rounds x
# the background service's own log: no sanitizer report (the ASan pass)
! grep -l "AddressSanitizer\|runtime error:\|LeakSanitizer" "$T"/*.log 2>/dev/null || fail "a sanitizer report in watch's log"
echo ok
