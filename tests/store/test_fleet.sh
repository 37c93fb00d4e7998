#!/bin/bash
# A fleet of three VPs feeding one store (doc/store.md, issue 16): the
# founding story's lab (tests/lab/topo/kp-border.topo, with a third VP
# behind de1) runs a real campaign in each VP namespace, 4 rounds 3 s
# apart; TransTeleCom (AS20485) starts carrying 198.18.178.0/24 into KP
# (AS131279) after round 2. Each VP pushes its rounds in a loop, all three
# at once, with --prune-after 0; the server is killed (kill -9) while
# pushes of round 1 are inside their insert, and restarted. watch runs
# throughout (and waits the server out).
# Checks:
#   - every round of every VP is in the store exactly once, with the hash
#     and trace count of the file the prober wrote (a hard link taken as
#     each appeared), none partial: diff --db gives byte for byte what
#     diff gives over those files; every local file was deleted (pruned)
#     and only once the store held it;
#   - watch fires the new route AS20485 -> AS131279 once, before the next
#     round after it arrived; killed (-9) and restarted, it fires nothing.
#
#   test_fleet.sh BORDERTRACE PROBER   (root; exit 77 otherwise)
#
# Safety: probes leave from the lab's VP namespaces (per-run prefix,
# removed by lab.sh's trap) toward 198.18.176.0/22 only; the campaigns say
# lab = true.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [[ ${1:-} != --inner ]]; then
	BT=$(readlink -f "${1:?usage: $0 BORDERTRACE PROBER}") PROBER=$(readlink -f "${2:?}")
	((EUID == 0)) || { echo "SKIP: needs root (namespaces, raw sockets)"; exit 77; }
	perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null || { echo "SKIP: no MaxMind::DB::Writer"; exit 77; }
	. "$HERE/pg.sh"
	pg_skip_unless_possible
	W=$(mktemp -d /tmp/btfleet.XXXXXX)
	trap 'rm -rf "$W"' EXIT
	# the founding story's topology and a third VP, vp3, beside vp1 (AS3320)
	{ cat "$ROOT/tests/lab/topo/kp-border.topo"; cat <<'EOF'
host  vp3
link  vp3 198.18.11.2/24 de1 198.18.11.1/24
route vp3 default via 198.18.11.1
route t1  198.18.11.0/24 via 198.18.30.2
EOF
	} >"$W/fleet.topo"
	export LAB_PREFIX="btfl$$-"
	"$ROOT/tests/lab/lab.sh" run "$W/fleet.topo" "$0" --inner "$BT" "$PROBER" "$W"
	exit $?
fi
BT=$2 PROBER=$3 WD=$4
. "$HERE/pg.sh"
pg_test_begin
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; pg_stop; rm -rf "$T"' EXIT
t0=$SECONDS
pg_start || { cat "$PGDIR/log"; fail "pg_ctl start"; }
sql "$PGADMIN" <<<"CREATE DATABASE bt" || fail "create database"
ADMIN="host=$PGDIR user=postgres dbname=bt"
expect 0 "" -- "$BT" db init "$ADMIN"
for v in 1 2 3; do
	pg_add_role "vp_$v" bt_vp || fail "role vp_$v"
	sql "$ADMIN" <<<"INSERT INTO bt.vps (id, role) VALUES ('vp$v', 'vp_$v')" || fail "vp$v"
done
pg_add_role watcher bt_watch && pg_add_role analyst bt_analyst || fail "roles"
# each insert into bt.rounds takes 0.2 s (a trigger of this test), so that
# the kill lands inside pushes
sql "$ADMIN" <<'EOF' || fail "slow trigger"
CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON bt.rounds FOR EACH ROW EXECUTE FUNCTION public.slow();
EOF

mkdir -p "$T/db" && perl "$ROOT/tests/scenario/plan2mmdb.pl" "$ROOT/tests/scenario/kp-border.plan" "$T/db" >/dev/null || fail "mmdb"
DB=(--asn-db "$T/db/asn.mmdb" --country-db "$T/db/country.mmdb" --pfx2as "$T/db/pfx2as.txt"
    --prefer-pfx2as --lookup-test-ranges)

wait_for() { # SECONDS CMD...: until CMD succeeds
	local n=$(( $1 * 20 )); shift
	while ! "$@"; do (( n-- > 0 )) || return 1; sleep 0.05; done
}
fired() { [[ -f $T/fired ]] && wc -l <"$T/fired" || echo 0; }
start_watch() {
	"$BT" watch --db "host=$PGDIR dbname=bt user=watcher" --name fleet --by as "${DB[@]}" \
		--exec "date +%s.%N >>$T/fired.at; cat >>$T/fired" 2>>"$T/watch.log" &
	WPID=$!
	PIDS+=("$WPID")
	wait_for 10 grep -q "listening for rounds" "$T/watch.log" || { cat "$T/watch.log"; fail "watch did not start"; }
}
start_watch

# the campaigns: three targets in KP, rounds every 3 s, 4 of them
printf '198.18.176.1\n198.18.177.1\n198.18.178.1\n' >"$T/targets.txt"
for v in 1 2 3; do
	cat >"$T/vp$v.campaign" <<EOF
name = "kp"; vp = "vp$v"; targets = ["targets.txt"]; lab = true;
method = "icmp-paris"; max_ttl = 10; attempts = 1; wait = 0.3; gap_limit = 3;
rate = 500; output = "rounds";
schedule = { interval = 3; rounds = 4; };
EOF
	mkdir -p "$T/rounds/kp/vp$v" "$T/seen/vp$v"
done
# hard links to every round file as it appears (the prober renames a
# complete round into place): what the store must end up holding
( while :; do
	for v in 1 2 3; do
		for f in "$T/rounds/kp/vp$v"/*.jsonl; do
			[[ -f $f && ! -e $T/seen/vp$v/${f##*/} ]] && ln "$f" "$T/seen/vp$v/"
		done
	done
	sleep 0.02
done ) &
PIDS+=($!)
for v in 1 2 3; do
	( cd "$T" && exec ip netns exec "${LAB_PREFIX}vp$v" "$PROBER" run "$T/vp$v.campaign" ) >"$T/run$v.log" 2>&1 &
	RUN[$v]=$!
	PIDS+=($!)
done
# the pushes, one loop per VP, until told to stop
for v in 1 2 3; do
	( while [[ ! -f $T/stop ]]; do
		"$BT" push --db "host=$PGDIR dbname=bt user=vp_$v" --retry-for 30 --prune-after 0 "$T/rounds/kp/vp$v"
		sleep 0.2
	done ) >"$T/push$v.log" 2>&1 &
	PUSH[$v]=$!
	PIDS+=($!)
done

# kill -9 of the server while an insert of a round 1 is running, and its
# restart (in the background: the lab's change is due after round 2)
inserting() {
	[[ $(sql "$ADMIN" <<<"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO bt.rounds%' AND state = 'active'") -gt 0 ]]
}
wait_for 10 inserting || fail "no push inside its insert"
( pg_kill9; sleep 1; pg_start || { cat "$PGDIR/log"; echo "FAIL: pg_ctl restart" >&2; exit 1; } ) &
RESTART=$!
# after round 2 of every VP: the routing change (before round 3's slot)
rounds_of() { local v n=0; for v in 1 2 3; do n=$(( n + $(ls "$T/seen/vp$v" | wc -l) )); done; echo $n; }
six() { [[ $(rounds_of) -ge 6 ]]; }
wait_for 20 six || fail "round 2 did not complete: $(cat "$T"/run*.log)"
"$ROOT/tests/lab/lab.sh" apply-change "$LAB_TOPO" ru-transit >/dev/null || fail "apply-change"
wait "$RESTART" || fail "the server's restart"

for v in 1 2 3; do wait "${RUN[$v]}" || fail "vp$v's campaign: $(cat "$T/run$v.log")"; done
empty() { [[ -z $(find "$T/rounds/kp" -name '*.jsonl') ]]; }
wait_for 20 empty || fail "rounds left unpushed: $(find "$T/rounds/kp" -name '*.jsonl'; cat "$T"/push*.log)"
touch "$T/stop"
for v in 1 2 3; do wait "${PUSH[$v]}"; done
grep -q "lost and made again\|cannot connect" "$T"/push*.log || fail "no push saw the server go: $(cat "$T"/push*.log)"

# every round once, whole, as the prober wrote it
[[ $(rounds_of) -eq 12 ]] || fail "$(rounds_of) round files, expected 12"
for v in 1 2 3; do
	for f in "$T/seen/vp$v"/*.jsonl; do
		r=${f##*/}; r=${r%.jsonl}
		got=$(sql "$ADMIN" <<<"SELECT encode(sha256, 'hex') || ' ' || traces FROM bt.rounds WHERE campaign = 'kp' AND vp = 'vp$v' AND round = '$r'")
		[[ $got == "$(sha256sum <"$f" | cut -c1-64) $(wc -l <"$f")" ]] || fail "vp$v round $r: store has '$got'"
	done
done
[[ $(sql "$ADMIN" <<<"SELECT count(*) FROM bt.rounds") -eq 12 ]] || fail "not 12 rounds in the store"
"$BT" diff "${DB[@]}" --by as --format csv "$T/seen" >"$T/files.csv" 2>"$T/err" || fail "diff over the files"
"$BT" diff "${DB[@]}" --by as --format csv --db "host=$PGDIR dbname=bt user=analyst" >"$T/db.csv" 2>"$T/err" ||
	fail "diff --db"
cmp -s "$T/files.csv" "$T/db.csv" || fail "diff --db differs from diff over the files: $(diff "$T/files.csv" "$T/db.csv")"
grep -q '^new,as,as,AS131279,AS20485,' "$T/files.csv" || fail "no new route via AS20485 in the rounds: $(cat "$T/files.csv")"

# watch: the founding story's event, once, within a round of its arrival
some_fired() { [[ $(fired) -ge 1 ]]; }
wait_for 10 some_fired || fail "watch fired nothing: $(cat "$T/watch.log")"
sleep 1
[[ $(fired) -eq 1 ]] || fail "watch fired $(fired) events: $(cat "$T/fired")"
grep -q '"event":"new","level":"as","aggregate":"as","target_network":"AS131279","upstream":"AS20485"' "$T/fired" ||
	fail "not the founding story's event: $(cat "$T/fired")"
er=$(sed 's/.*"round":"\([^"]*\)".*/\1/' "$T/fired")
lag=$(sql "$ADMIN" <<<"SELECT round(($(cat "$T/fired.at") - extract(epoch FROM min(pushed)))::numeric, 2) FROM bt.rounds WHERE round = '$er'")
awk -v l="$lag" 'BEGIN { exit !(l >= 0 && l < 3) }' || fail "fired $lag s after its round arrived (rounds are 3 s apart)"
kill -9 "$WPID"; wait "$WPID" 2>/dev/null
: >"$T/watch.log"
start_watch
sleep 1
[[ $(fired) -eq 1 ]] || fail "fired again after watch's kill -9: $(cat "$T/fired")"
# the background service's own log: no sanitizer report (the ASan pass)
! grep -l "AddressSanitizer\|runtime error:\|LeakSanitizer" "$T"/*.log 2>/dev/null || fail "a sanitizer report in watch's log"
echo "ok: 12 rounds of 3 VPs across the server's kill -9, the event fired once $lag s after its round arrived ($((SECONDS - t0)) s)"
