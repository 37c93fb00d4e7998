#!/usr/bin/env python3
"""Sends forged replies at a VP for N seconds: ICMP time-exceeded quoting
probes bordertrace never sent (random quoted destinations and fields, and the
right flow's ICMP checksum so that only the integrity check can reject them),
echo replies with random id/seq, and truncated junk. Test use only: run it in
a lab namespace, toward a lab address.
  forge_flood.py DST_VP_ADDR SECONDS"""
import os
import random
import socket
import struct
import sys
import time

dst, secs = sys.argv[1], float(sys.argv[2])
assert dst.startswith("198.18.") or dst.startswith("198.19."), "lab addresses only"
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


rnd = random.Random(1)
end = time.time() + secs
sent = 0
while time.time() < end:
    kind = rnd.randrange(3)
    if kind == 0:  # time exceeded quoting a probe we never sent
        qdst = bytes([198, 18, rnd.randrange(256), rnd.randrange(256)])
        qip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, rnd.randrange(65536), 0, 1, 1, 0,
                          socket.inet_aton(dst), qdst)
        q4 = struct.pack("!BBHHH", 8, 0, 0x1000, rnd.randrange(65536), rnd.randrange(65536))
        body = struct.pack("!BBHI", 11, 0, 0, 0) + qip + q4
    elif kind == 1:  # echo reply nobody asked for
        body = struct.pack("!BBHHH", 0, 0, 0, rnd.randrange(65536), rnd.randrange(65536)) + os.urandom(8)
    else:  # truncated time exceeded
        body = struct.pack("!BBHI", 11, 0, 0, 0) + os.urandom(rnd.randrange(0, 20))
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    try:
        s.sendto(body, (dst, 0))
        sent += 1
    except OSError:
        pass
print(sent)
