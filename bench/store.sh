#!/bin/bash
# store benchmark (issue 16, doc/store.md): N synthetic traces
# (bench/gen_traces.py: 10 VPs x N/10 targets over ROUNDS rounds, AS-level
# databases from its plan) into a PostgreSQL 15 started here as the tests
# start theirs (tests/store/pg.sh: initdb + pg_ctl on a unix socket, fsync
# off), all from one run:
#   - ingest: `bordertrace push` of every round, one VP after another, each
#     as its own VP role: traces/s, and the bytes the store holds per trace
#     (bt.rounds: table, TOAST, indexes) against the round files gzip'd
#     (gzip -6) — issue 16's target <= 1.2x;
#   - `bordertrace diff --db` (as an analyst) against `bordertrace diff`
#     over the same rounds as files — issue 16's target >= 0.5x the file
#     speed (the ratio printed is files time / store time);
#   - watch's pass as rounds accumulate: round id k pushed (every VP's),
#     then `watch -v` started and its start-up pass read off (it carries on
#     from the stored state: the new rounds and the open ones), against
#     `diff --db` over rounds 1..k (what a pass cost before the state was
#     kept).
# The client is pinned to one core (CORE, default 1); the server is not.
# Each figure has its wall time and the client's CPU time (user + system):
# on a shared machine the wall time includes waiting for a core, so the
# ratios are printed both ways.
#
# Here (2026-12-06, debugoptimized build, 2 shared cores, `bench/store.sh
# build`): ingest 104,800 traces/s; 31.8 B stored a trace against 30.5 B
# gzip'd, 1.04x; diff --db 0.73x the speed of diff over the files (0.79x in
# CPU); a watch pass 2.0 s of CPU from the third round id on, where
# diff --db over rounds 1..10 takes 5.7 s (doc/store.md has the table).
#
#   bench/store.sh [BUILD_DIR] [N] [ROUNDS]    (default 1,000,000 traces, 10 rounds)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
N=${2:-1000000}
ROUNDS=${3:-10}
BT=$ROOT/$BUILD/analysis/bordertrace
[[ -x $BT ]] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
CORE=${CORE:-1}
# pg_test_begin (T, the server stopped and T removed at exit), pg_start, sql,
# pg_add_role: tests/store/pg.sh
. tests/store/pg.sh
# measure NAME CMD...: wall seconds, peak RSS (KB) and CPU seconds (user +
# system; the machines here are shared: the wall time waits for the CPU)
# into $SECS, $PEAK, $CPU
measure() {
	local out=$WORK/time.$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$out" taskset -c "$CORE" "$@" >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
	local u s
	read -r SECS PEAK u s <"$out"
	CPU=$(python3 -c "print($u + $s)")
}
pg_test_begin
WORK=$T
pg_start || { cat "$PGDIR/log"; fail "pg_ctl start"; }
for db in bt bt2; do sql "$PGADMIN" <<<"CREATE DATABASE $db" || fail "create database $db"; done
ADMIN="host=$PGDIR user=postgres dbname=bt" ADMIN2="host=$PGDIR user=postgres dbname=bt2"
"$BT" db init "$ADMIN" 2>/dev/null && "$BT" db init "$ADMIN2" 2>/dev/null || fail "db init"

echo "generating $N traces (10 VPs x $((N / 10)) targets, $ROUNDS rounds) in $WORK ..."
python3 bench/gen_traces.py "$WORK/d" --vps 10 --targets $((N / 10)) --rounds "$ROUNDS" >/dev/null || fail "gen_traces"
perl tests/scenario/plan2mmdb.pl "$WORK/d/plan.tsv" "$WORK/d" || fail "plan2mmdb"
DB=(--asn-db "$WORK/d/asn.mmdb" --country-db "$WORK/d/country.mmdb" --lookup-test-ranges --by as)
VPS=$(ls "$WORK/d/rounds" | tr "\n" " ")
for v in $VPS; do
	pg_add_role "r_$v" bt_vp || fail "role"
	for a in "$ADMIN" "$ADMIN2"; do sql "$a" <<<"INSERT INTO bt.vps (id, role) VALUES ('$v', 'r_$v')" || fail "vp"; done
done
pg_add_role analyst bt_analyst && pg_add_role watcher bt_watch || fail "roles"
GZ=0 RAW=0
for f in $(find "$WORK/d/rounds" -name '*.jsonl'); do
	GZ=$((GZ + $(gzip -6 -c "$f" | wc -c))) RAW=$((RAW + $(stat -c %s "$f")))
done
sync

# --- ingest ---
cat >"$WORK/push.sh" <<EOF
for v in $VPS; do "$BT" push --db "host=$PGDIR dbname=bt user=r_\$v" "$WORK/d/rounds/\$v" || exit 1; done
EOF
measure push bash "$WORK/push.sh"; PUSH=$SECS PUSH_CPU=$CPU
STORED=$(sql "$ADMIN" <<<"VACUUM ANALYZE bt.rounds; SELECT pg_total_relation_size('bt.rounds')")
TRACES=$(sql "$ADMIN" <<<"SELECT sum(traces) FROM bt.rounds")
[[ $TRACES -eq $N ]] || fail "the store holds $TRACES traces, not $N"

# --- diff --db against diff over the files ---
measure files "$BT" diff "${DB[@]}" --format csv "$WORK/d/rounds"; FILES=$SECS FILES_MEM=$PEAK FILES_CPU=$CPU
measure db "$BT" diff "${DB[@]}" --format csv --db "host=$PGDIR dbname=bt user=analyst"; DBT=$SECS DB_MEM=$PEAK DB_CPU=$CPU
"$BT" diff "${DB[@]}" --format csv "$WORK/d/rounds" 2>/dev/null | sha256sum >"$WORK/a"
"$BT" diff "${DB[@]}" --format csv --db "host=$PGDIR dbname=bt user=analyst" 2>/dev/null | sha256sum >"$WORK/b"
cmp -s "$WORK/a" "$WORK/b" && SAME=yes || SAME=NO

# --- watch's pass as rounds accumulate ---
RIDS=$(ls "$WORK/d/rounds/$(echo $VPS | cut -d' ' -f1)" | sed 's/\.jsonl$//')
k=0
: >"$WORK/passes"
for r in $RIDS; do
	k=$((k + 1))
	mkdir -p "$WORK/by/$k"
	for v in $VPS; do mkdir -p "$WORK/by/$k/$v" && ln "$WORK/d/rounds/$v/$r.jsonl" "$WORK/by/$k/$v/"; done
	"$BT" push --db "$ADMIN2" "$WORK/by/$k" 2>/dev/null || fail "push round $k"
	: >"$WORK/watch.log"
	taskset -c "$CORE" "$BT" watch --db "host=$PGDIR dbname=bt2 user=watcher" --name bench -v "${DB[@]}" \
		2>"$WORK/watch.log" &
	wp=$!
	n=0
	until grep -q "pass:" "$WORK/watch.log"; do
		((n++ < 6000)) || { cat "$WORK/watch.log"; fail "no pass"; }
		sleep 0.05
	done
	kill "$wp"; wait "$wp" 2>/dev/null
	measure full "$BT" diff "${DB[@]}" --format csv --db "host=$PGDIR dbname=bt2 user=analyst"
	echo "$k $(grep -o 'pass: .*' "$WORK/watch.log") | $SECS $CPU" >>"$WORK/passes"
done

python3 - "$N" "$PUSH" "$STORED" "$GZ" "$RAW" "$FILES" "$DBT" "$FILES_MEM" "$DB_MEM" "$PUSH_CPU" "$FILES_CPU" \
	"$DB_CPU" "$SAME" "$WORK/passes" <<'PY'
import re, sys
n, push, stored, gz, raw, files, db, fmem, dmem, pcpu, fcpu, dcpu = map(float, sys.argv[1:13])
same, passes = sys.argv[13], sys.argv[14]
print(f"{n:,.0f} traces, 10 VPs, client on one core:")
print(f"  ingest (push, one VP after another)  {push:8.2f} s  {n / push:10,.0f} traces/s  (CPU {pcpu:.2f} s)")
print(f"  stored (bt.rounds, all of it)        {stored / 2**20:8.1f} MB  {stored / n:6.1f} B/trace")
print(f"  round files gzip -6                  {gz / 2**20:8.1f} MB  {gz / n:6.1f} B/trace  (raw {raw / 2**20:.0f} MB)")
print(f"  stored / gzip'd JSON Lines           {stored / gz:8.2f}x   (target <= 1.2x)")
print(f"  diff over the files                  {files:8.2f} s  CPU {fcpu:6.2f} s  peak {fmem / 1024:.0f} MB")
print(f"  diff --db (same rounds)              {db:8.2f} s  CPU {dcpu:6.2f} s  peak {dmem / 1024:.0f} MB  same output: {same}")
print(f"  diff --db speed / diff speed         {files / db:8.2f}x wall, {fcpu / dcpu:.2f}x CPU   (target >= 0.5x)")
print("watch: one pass after round id k arrived (every VP's) | diff --db over rounds 1..k:")
for line in open(passes):
    m = re.match(r"(\d+) pass: (\d+) route\(s\) loaded, (\d+) round\(s\) read, .*?, (\d+) event\(s\), (\d+) ms \(CPU (\d+) ms\) \| (\S+)", line)
    if m:
        k, routes, read, ev, ms, cpu, full, fullcpu = m.groups() + tuple(line.split("|")[1].split()[1:2])
        print(f"  k={int(k):3d}: pass {int(ms) / 1000:6.2f} s, CPU {int(cpu) / 1000:5.2f} s ({int(read):3d} round files read, {int(routes):6,d} routes"
              f" loaded, {ev} events) | full diff --db {float(full):6.2f} s, CPU {float(fullcpu):5.2f} s")
    else:
        print("  " + line.strip())
PY
