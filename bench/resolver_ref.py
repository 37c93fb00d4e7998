#!/usr/bin/python3
"""bordertrace bench — the reference: Debian's python3-maxminddb (C extension)
resolving the same addresses in the same database as bt-resolver-bench.

usage: resolver_ref.py DB ADDRS
Prints key=value lines: lookups, seconds, rate, asn_sum, found, maxrss_kb.
"""
import resource
import sys
import time

import maxminddb
import maxminddb.extension  # noqa: F401  (fail loudly if the C extension is missing)


def main():
    db, addrs_file = sys.argv[1], sys.argv[2]
    with open(addrs_file) as f:
        addrs = [line.strip() for line in f if line.strip()]
    reader = maxminddb.open_database(db, maxminddb.MODE_MMAP_EXT)
    asn_sum = 0
    found = 0
    t0 = time.perf_counter()
    for a in addrs:
        rec = reader.get(a)
        if rec is not None:
            found += 1
            asn_sum += rec.get("autonomous_system_number", 0)
    dt = time.perf_counter() - t0
    reader.close()
    print(f"impl=python3-maxminddb-{maxminddb.__version__}-ext")
    print(f"lookups={len(addrs)}")
    print(f"seconds={dt:.4f}")
    print(f"rate={len(addrs) / dt:.0f}")
    print(f"found={found}")
    print(f"asn_sum={asn_sum}")
    print(f"maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
