#!/bin/bash
# Installs the Debian 12 packages bordertrace needs to build, test and run
# its lab. Idempotent; run as root (or through sudo).
set -euo pipefail

# build
PACKAGES="build-essential meson ninja-build pkg-config libpcap-dev libnet1-dev
  libmaxminddb-dev libjansson-dev libcmocka-dev libcap-dev"
# lab and reference peer; libscamperfile0-dev also builds the warts reader
# (analysis/warts.c: no pkg-config file, meson finds the library itself)
PACKAGES+=" iproute2 nftables tcpdump scamper libscamperfile0-dev procps util-linux python3"
# resolver tests and benchmark
PACKAGES+=" libmaxmind-db-writer-perl mmdb-bin python3-maxminddb time"
# --- text inputs (common/textfile.c reads gzip or plain files through zlib:
# prefix2as tables, target and exclusion lists) ---
PACKAGES+=" zlib1g-dev"
# bzip2 and xz too (common/zfile.c): RIPE Atlas dumps are .bz2
PACKAGES+=" libbz2-dev liblzma-dev"
# --- end resolver ---
# --- campaigns (prober/campaign.c parses campaign files with libconfig) ---
PACKAGES+=" libconfig-dev"
# --- end campaigns ---
# --- report (analysis/report_graph.c lays out AS graphs with Graphviz's
# libgvc/libcgraph; tests/report opens the page in headless Chromium) ---
PACKAGES+=" libgraphviz-dev chromium"
# --- end report ---
# --- the central store (analysis/store*.c, doc/store.md): libpq and
# libcrypto to build; PostgreSQL 15 for the tests, which start their own
# server (tests/store/) ---
PACKAGES+=" libpq-dev libssl-dev postgresql-15 postgresql-client-15"
# --- end store ---
# --- the simulator (tests/sim/sim_serve.c: bt-sim batches its TUN reads and
# writes through io_uring) ---
PACKAGES+=" liburing-dev"
# --- end simulator ---
# fuzzing and sanitizers
PACKAGES+=" clang libclang-rt-14-dev"

if [[ $(id -u) -ne 0 ]]; then
	echo "setup.sh: installing packages needs root; try: sudo $0" >&2
	exit 1
fi
missing=()
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup.sh: all packages present"
