#!/usr/bin/env python3
"""Enumeration timing: does the time of a create tell whether an identifier has an account?

Starts an otp-server (dev mode, so the codes of the accounts it signs up come from the dev
outbox), signs up KNOWN accounts (half phone numbers, half emails), warms up, then sends N
interleaved pairs of creates (the order inside each pair drawn at random) on one keep-alive
connection and times each round trip on loopback:
  sign-in:  a known identifier        vs an unknown one (a new one each time)
  sign-up:  a taken identifier        vs a free one (a new one each time)
Each create carries no client token, so each makes a new client, as a scripted attacker's does.
Prints the medians, their difference in % of the known median, and a two-sided Mann-Whitney U
test (normal approximation with the tie correction).

  cargo build --release -p otp-server
  python3 bench/enumeration.py --server target/release/otp-server [--n 2000]
  python3 bench/enumeration.py --server target/release/otp-server \
      --database-url postgres://postgres@127.0.0.1:5432/otp_bench   # an empty database
  python3 bench/enumeration.py --any-status --extra=--enumeration-protection=false   # before

Standard library only.
"""

import argparse
import http.client
import json
import math
import os
import random
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.parse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, method, path, form=None, token=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if token:
            headers["Authorization"] = token
        body = urllib.parse.urlencode(form) if form is not None else None
        start = time.perf_counter_ns()
        self.conn.request(method, path, body=body, headers=headers)
        res = self.conn.getresponse()
        data = res.read()
        elapsed = time.perf_counter_ns() - start
        return res.status, res.getheader("Authorization"), data, elapsed


def field(identifier):
    return "email_address" if "@" in identifier else "phone_number"


def strategy(identifier):
    return "email_code" if "@" in identifier else "phone_code"


def sign_up(api, identifier):
    status, token, data, _ = api.call("POST", "/v1/client/sign_ups", {field(identifier): identifier})
    assert status == 200, status
    base = "/v1/client/sign_ups/"
    sign_up_id = json.loads(data)["response"]["id"]
    status, _, _, _ = api.call(
        "POST", f"{base}{sign_up_id}/prepare_verification", {"strategy": strategy(identifier)}, token
    )
    assert status == 200, status
    _, _, data, _ = api.call("GET", "/v1/dev/outbox?" + urllib.parse.urlencode({"to": identifier}))
    code = json.loads(data)["code"]
    status, _, _, _ = api.call(
        "POST",
        f"{base}{sign_up_id}/attempt_verification",
        {"strategy": strategy(identifier), "code": code},
        token,
    )
    assert status == 200, status


def identifiers(prefix, start, n):
    """n identifiers, alternately phone numbers (+1 202 555 1000-9999) and emails."""
    out = []
    for i in range(n):
        k = start + i
        if i % 2 == 0:
            out.append(f"+1202555{1000 + k % 9000:04d}")
        else:
            out.append(f"{prefix}{k}@example.com")
    return out


def mann_whitney(a, b):
    """Two-sided Mann-Whitney U test, normal approximation with tie correction: (U, z, p)."""
    pooled = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = rank
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    mu = n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u1 - mu) / sigma
    p = math.erfc(abs(z) / math.sqrt(2))
    return u1, z, p


def measure(api, path, first, second, n, warmup, rng, any_status):
    """Interleaved pairs: times of `first(i)` and `second(i)` creates, after `warmup` pairs."""
    times = ([], [])
    for i in range(warmup + n):
        pair = [(0, first(i)), (1, second(i))]
        rng.shuffle(pair)
        for group, identifier in pair:
            key = "identifier" if path.endswith("sign_ins") else field(identifier)
            status, _, data, elapsed = api.call("POST", path, {key: identifier})
            assert any_status or status == 200, (status, identifier, data[:300])
            if i >= warmup:
                times[group].append(elapsed / 1e6)
    return times


def report(name, labels, times):
    a, b = times
    ma, mb = statistics.median(a), statistics.median(b)
    u, z, p = mann_whitney(a, b)
    diff = (mb - ma) / ma * 100
    print(
        f"| {name} | {labels[0]} {ma:.3f} ms | {labels[1]} {mb:.3f} ms | {diff:+.1f} % "
        f"| U = {u:.0f}, z = {z:+.2f}, p = {p:.3f} |"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", default="target/release/otp-server")
    ap.add_argument("--database-url", help="default: SQLite in a temporary data directory")
    ap.add_argument("--n", type=int, default=2000, help="pairs measured per comparison")
    ap.add_argument("--warmup", type=int, default=200, help="pairs before measuring")
    ap.add_argument("--known", type=int, default=20, help="accounts signed up")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--extra", nargs="*", default=[], help="more server flags")
    ap.add_argument("--any-status", action="store_true",
                    help="accept error answers (to measure --extra=--enumeration-protection=false)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        cmd = [args.server, "--dev", "--no-ip-limits", "--bind", f"127.0.0.1:{port}",
               "--data-dir", data, *args.extra]
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTP_")}
        env["RUST_LOG"] = "warn"
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            api = Api(port)
            known = identifiers("known", 0, args.known)
            for identifier in known:
                sign_up(api, identifier)
            total = args.warmup + args.n
            unknown = identifiers("nobody", 1000, total)
            free = identifiers("free", 5000, total)
            print(f"server: {' '.join(cmd[1:2])} {args.database_url or 'SQLite'}; "
                  f"{args.n} pairs after {args.warmup} warm-up pairs, {args.known} accounts")
            print("| creates | median | median | difference | Mann-Whitney (two-sided) |")
            print("|---|---|---|---|---|")
            times = measure(api, "/v1/client/sign_ins",
                            lambda i: known[i % len(known)], lambda i: unknown[i],
                            args.n, args.warmup, rng, args.any_status)
            report("sign-in", ("known", "unknown"), times)
            times = measure(api, "/v1/client/sign_ups",
                            lambda i: known[i % len(known)], lambda i: free[i],
                            args.n, args.warmup, rng, args.any_status)
            report("sign-up", ("taken", "free"), times)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
