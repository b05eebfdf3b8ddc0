#!/usr/bin/env python3
"""Prepares a shop for bench/checkout.sh: products with ample stock, buyers
with card tokens from the sandbox (found from /api/v1/payments/config), and CARTS filled carts (1-3 lines each),
written as "<access token>\\t<cart id>\\t<payment JSON>" lines.

    checkout_setup.py BASE_URL ADMIN_TOKEN OUT_FILE CARTS [BUYERS]
"""
import json
import random
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, ADMIN, OUT, CARTS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
BUYERS = int(sys.argv[5]) if len(sys.argv) > 5 else 64
PRODUCTS = 100
local = threading.local()


def call(method, path, body=None, token=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        if r.status not in expect:
            raise RuntimeError(f"{method} {path}: {r.status}")
        return json.loads(r.read() or b"{}")


def tokenize_url():
    """Where cards are tokenized: the sandbox's own port, from the payments config."""
    return call("GET", "/api/v1/payments/config")["card"]["tokenize_url"]


def tokenize(url, number):
    req = urllib.request.Request(
        url, data=json.dumps({"number": number, "exp_month": 12, "exp_year": 2099,
                              "cvc": "123"}).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def main():
    rnd = random.Random(7)
    tokens_at = tokenize_url()
    call("POST", "/api/v1/admin/categories", {"name": "Bench", "slug": "bench"}, ADMIN)
    skus = []
    for i in range(PRODUCTS):
        sku = f"BENCH-{i:04d}"
        call("POST", "/api/v1/admin/products",
             {"title": f"Bench product {i}", "brand": "Bench", "category": "bench",
              "variants": [{"sku": sku, "price": rnd.randint(500, 9000), "stock": 1_000_000_000}]},
             ADMIN)
        skus.append(sku)

    def buyer(i):
        reply = call("POST", "/api/v1/auth/register",
                     {"email": f"buyer{i}@bench.example", "password": "bench-password-1",
                      "name": f"Buyer {i}"})
        # One token per buyer: a token pays for the first customer who uses it.
        card = tokenize(tokens_at, "4242424242424242")
        return reply["access_token"], json.dumps({"method": "card", "token": card["token"]})

    with ThreadPoolExecutor(8) as pool:
        buyers = list(pool.map(buyer, range(BUYERS)))

    def cart(i):
        r = random.Random(i)
        cart_id = call("POST", "/api/v1/carts", {})["id"]
        for sku in r.sample(skus, r.randint(1, 3)):
            call("POST", f"/api/v1/carts/{cart_id}/items", {"sku": sku, "quantity": r.randint(1, 3)})
        token, payment = buyers[i % len(buyers)]
        return f"{token}\t{cart_id}\t{payment}"

    with ThreadPoolExecutor(16) as pool:
        lines = list(pool.map(cart, range(CARTS)))
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
