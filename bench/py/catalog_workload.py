#!/usr/bin/env python3
"""Builds the catalog bench's workload files from a running Emporium.

  catalog_workload.py BASE_URL WORKDIR PRODUCTS

Writes, deterministically (fixed seed):
  WORKDIR/product-paths   20,000 product-detail paths, ids drawn Zipf(1.0) over 1..PRODUCTS
  WORKDIR/listing-paths   one category listing page (the largest department)
  WORKDIR/search-paths    200 search paths (?q=word), words from product titles
  WORKDIR/search-words    those words, for cold-search runs
and mirrors every distinct response body under WORKDIR/html so that nginx
can serve the very same bytes: html/<path> for plain paths, html/q/<n> plus
an nginx map (WORKDIR/nginx-map) for paths with a query string.
"""
import bisect
import http.client
import json
import os
import random
import sys
import urllib.parse


def main():
    base, work, products = sys.argv[1], sys.argv[2], int(sys.argv[3])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def get(path):
        conn.request("GET", path)
        reply = conn.getresponse()
        body = reply.read()
        if reply.status != 200:
            sys.exit(f"workload: GET {path} -> {reply.status}: {body[:200]!r}")
        return body

    rng = random.Random(20261126)
    # Zipf(1.0) over ranks 1..N via the inverse CDF; rank r is product id r
    # shuffled, so popularity is not id order.
    n = products
    cdf, total = [], 0.0
    for r in range(1, n + 1):
        total += 1.0 / r
        cdf.append(total)
    ids = list(range(1, n + 1))
    rng.shuffle(ids)
    product_paths = []
    for _ in range(20000):
        rank = bisect.bisect_left(cdf, rng.random() * total)
        product_paths.append(f"/api/v1/products/{ids[min(rank, n - 1)]}")

    tree = json.loads(get("/api/v1/categories"))
    listing = json.loads(get("/api/v1/products?limit=1"))
    biggest = max(listing["facets"]["category"], key=lambda f: f["count"])["value"] if listing["facets"]["category"] else tree[0]["slug"]
    listing_paths = [f"/api/v1/products?category={biggest}"]

    words = []
    seen = set()
    page = json.loads(get("/api/v1/products?limit=100"))
    for item in page["items"]:
        for w in item["title"].lower().split():
            if w.isalpha() and len(w) >= 4 and w not in seen:
                seen.add(w)
                words.append(w)
    rng.shuffle(words)
    words = words[:200]
    search_paths = [f"/api/v1/products?q={w}" for w in words]

    html = os.path.join(work, "html")
    os.makedirs(html, exist_ok=True)
    mapping = []
    distinct = sorted(set(product_paths)) + listing_paths + search_paths
    for i, path in enumerate(distinct):
        body = get(path)
        if "?" in path:
            target = f"/q/{i}"
            mapping.append(f'    "{path}" {target};')
        else:
            target = path
        dest = os.path.join(html, target.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(body)

    def write(name, lines):
        with open(os.path.join(work, name), "w") as f:
            f.write("\n".join(lines) + "\n")

    write("product-paths", product_paths)
    write("listing-paths", listing_paths)
    write("search-paths", search_paths)
    write("search-words", words)
    write("nginx-map", mapping)
    print(f"workload: {len(set(product_paths))} distinct products in 20000 draws, "
          f"listing {listing_paths[0]}, {len(words)} search words", file=sys.stderr)


if __name__ == "__main__":
    main()
