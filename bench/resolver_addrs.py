#!/usr/bin/python3
"""bordertrace bench — hop addresses for bench/resolver.sh.

Draws COUNT addresses, each a random host inside a random network of the
benchmark database (resolver_mkdb.pl's network list), in one of two shapes:
  hops     a pool of POOL router interfaces with Zipf-like popularity, as in
           traceroute data where the same core routers recur in most paths
  uniform  every address a fresh host in a uniformly chosen network
usage: resolver_addrs.py NETWORKS OUT COUNT hops|uniform [POOL] [SEED]
"""
import ipaddress
import random
import sys


def host_in(net, rnd):
    n = ipaddress.ip_network(net)
    span = n.num_addresses
    return str(n.network_address + rnd.randrange(span))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    nets_file, out, count, shape = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pool = int(sys.argv[5]) if len(sys.argv) > 5 else 100000
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    with open(nets_file) as f:
        nets = [line.strip() for line in f if line.strip()]
    if shape == "uniform":
        addrs = [host_in(rnd.choice(nets), rnd) for _ in range(count)]
    elif shape == "hops":
        ifaces = [host_in(rnd.choice(nets), rnd) for _ in range(pool)]
        weights = [1.0 / (i + 1) ** 0.9 for i in range(pool)]
        addrs = rnd.choices(ifaces, weights=weights, k=count)
    else:
        sys.exit("shape must be hops or uniform")
    with open(out, "w") as f:
        f.write("\n".join(addrs))
        f.write("\n")


if __name__ == "__main__":
    main()
