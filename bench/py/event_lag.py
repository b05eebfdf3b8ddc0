#!/usr/bin/env python3
"""Commit-to-consumer lag from two scrapes of Emporium's /metrics.

    event_lag.py BEFORE AFTER CONSUMER

BEFORE and AFTER hold the emporium_event_lag_seconds histogram lines; the
events handled between the scrapes are their difference. Prints
"count p50_ms p99_ms": each quantile is the upper bound of the histogram
bucket it falls in (the buckets are 1, 2.5, 5, 10, 25, 50, 100, 250 ms, ...),
so read "<= 25 ms" for 25.
"""

import re
import sys

LINE = re.compile(r'^emporium_event_lag_seconds_bucket\{consumer="([^"]+)",le="([^"]+)"\} (\d+)')


def buckets(path, consumer):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line)
            if m and m.group(1) == consumer:
                out[m.group(2)] = int(m.group(3))
    return out


def main():
    before = buckets(sys.argv[1], sys.argv[3])
    after = buckets(sys.argv[2], sys.argv[3])
    bounds = sorted((float("inf") if le == "+Inf" else float(le), le) for le in after)
    cumulative = [(b, after[le] - before.get(le, 0)) for b, le in bounds]
    total = cumulative[-1][1] if cumulative else 0
    if total == 0:
        print("0 - -")
        return

    def quantile(q):
        for bound, count in cumulative:
            if count >= q * total:
                return "inf" if bound == float("inf") else "%g" % (bound * 1000)
        return "inf"

    print(total, quantile(0.5), quantile(0.99))


main()
