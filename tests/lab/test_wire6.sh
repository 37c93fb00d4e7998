#!/bin/bash
# IPv6 probes on the wire: in the linear lab (dual stack), tests/lab/wire6
# sends one probe per method and hop limit 1..4 from the VP namespace
# through bt_probe6_emit and checks that the replies libpcap captures parse
# and match to the right hop limit, from the hops of the lab's truth.
#   test_wire6.sh WIRE6
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WIRE6=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btw$$-" WIRE6 HERE
exec "$HERE/lab.sh" run "$HERE/topo/linear.topo" bash -c '
src=$("$HERE/lab.sh" info "$LAB_TOPO" | awk "/^vp6/{print \$2}")
set -- $("$HERE/lab.sh" truth "$LAB_TOPO" | awk "\$1 ~ /:/ {print \$1, \$3, \$4, \$5; exit}")
[[ -n $src && $# -eq 4 ]] || { echo "not ok 1 - the lab has no IPv6 truth"; exit 1; }
ip netns exec "${LAB_PREFIX}vp" "$WIRE6" "$src" "$@"
'
