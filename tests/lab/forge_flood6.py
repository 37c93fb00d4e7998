#!/usr/bin/env python3
"""Sends forged ICMPv6 replies at a VP for N seconds: time exceeded quoting
IPv6 probes bordertrace never sent (random quoted destinations in
2001:db8::/32 and random fields, the right flow's ICMPv6 checksum so that
only the integrity check can reject them), echo replies with random id/seq,
destination unreachable quoting random probes, and truncated ones. The
kernel fills in the outer ICMPv6 checksum. Test use only: run it in a lab
namespace, toward a lab address.
  forge_flood6.py DST_VP_ADDR6 SECONDS"""
import ipaddress
import os
import random
import socket
import struct
import sys
import time

dst, secs = sys.argv[1], float(sys.argv[2])
assert ipaddress.IPv6Address(dst) in ipaddress.IPv6Network("2001:db8::/32"), "lab addresses only"
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
src = socket.inet_pton(socket.AF_INET6, dst)

rnd = random.Random(6)
end = time.time() + secs
sent = 0
while time.time() < end:
    kind = rnd.randrange(4)
    if kind in (0, 1):  # time exceeded / unreachable quoting a probe we never sent
        qdst = socket.inet_pton(socket.AF_INET6, "2001:db8::") [:4] + os.urandom(12)
        hlim = rnd.randrange(1, 9)
        qip = struct.pack("!IHBB", 6 << 28 | 0x10000, 20, 58, hlim) + src + qdst
        q = struct.pack("!BBHHH", 128, 0, 0x1000, rnd.randrange(65536),
                        rnd.randrange(1, 3) << 8 | hlim) + os.urandom(12)
        body = struct.pack("!BBHI", 3 if kind == 0 else 1, 0 if kind == 0 else 4, 0, 0) + qip + q
    elif kind == 2:  # echo reply nobody asked for
        body = struct.pack("!BBHHH", 129, 0, 0, rnd.randrange(65536), rnd.randrange(65536)) + os.urandom(12)
    else:  # truncated time exceeded
        body = struct.pack("!BBHI", 3, 0, 0, 0) + os.urandom(rnd.randrange(0, 30))
    try:
        s.sendto(body, (dst, 0))
        sent += 1
    except OSError:
        pass
print(sent)
