#!/usr/bin/env python3
"""cputime.py CMD ARGS... — runs CMD and prints "time WALL USER SYS" (seconds,
microsecond precision, the command and every descendant it waited for) on
stderr, where /usr/bin/time rounds to 10 ms: too coarse for a prober that
spends 50 ms of CPU in a 20 s round. Exits with the command's status."""
import resource
import subprocess
import sys
import time

t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("time %.3f %.6f %.6f" % (time.monotonic() - t0, ru.ru_utime, ru.ru_stime), file=sys.stderr)
sys.exit(rc)
