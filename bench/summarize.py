"""Prints the benchmark's tables (markdown) from the JSON files bench/run.sh wrote."""
import glob
import json
import os
import sys

out, rate, cores = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
COMMITS_PER_FLOW = 3  # sign-up (with its new client), prepare, attempt; the outbox read is a read


def load(path):
    return json.load(open(path)) if os.path.exists(path) else None


runs = [p for p in sorted(glob.glob(f"{out}/ours-*-c*.json")) if not os.path.basename(p).startswith("ours-driver")]
if runs:
    print("### otp-load against otp-server (sign-up flows)\n")
    print("| backend | concurrency | flows/s | flow p50 ms | flow p99 ms | server CPU ms/flow | load tool CPU ms/flow | "
          "peak RSS MiB | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    best, best_cpu = 0.0, None
    for path in runs:
        name = os.path.basename(path)
        r = load(path)
        backend = name.split("-")[1]
        c = r["config"]["concurrency"]
        cpu = r["server"]["cpu_ms_per_flow"] + r["load_tool"]["cpu_ms_per_flow"]
        if backend == "sqlite" and r["flows_per_sec"] > best:
            best, best_cpu = r["flows_per_sec"], cpu
        print(f"| {backend} | {c} | {r['flows_per_sec']:.0f} | {r['flow']['p50_ms']:.2f} | {r['flow']['p99_ms']:.2f} | "
              f"{r['server']['cpu_ms_per_flow']:.3f} | {r['load_tool']['cpu_ms_per_flow']:.3f} | "
              f"{r['server']['vmhwm_kb'] / 1024:.1f} | {sum(r['errors'].values())} |")
    bound = rate / COMMITS_PER_FLOW
    print(f"\nSQLite commit rate {rate:.0f}/s; at {COMMITS_PER_FLOW} commits per sign-up flow the bound is "
          f"{bound:.0f} flows/s; best SQLite run {best:.0f} flows/s = {best / bound:.2f} of the bound.")
    if best_cpu:
        # Server and load tool share the cores: their CPU per flow caps the flows/s of this machine.
        print(f"In that run server and load tool took {best_cpu:.3f} ms of CPU per flow together: {cores} cores "
              f"can run at most {cores * 1000 / best_cpu:.0f} flows/s of this pair.")
    print()

peer = sorted(glob.glob(f"{out}/better-auth-email-c*-w0.json"))
if peer:
    print("### Same driver (bench.mjs), one after the other: better-auth vs otp-server (SQLite)\n")
    print("| concurrency | server | flows/s | flow p99 ms | server CPU ms/flow | peak RSS MiB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    ratios = []
    for path in peer:
        c = int(os.path.basename(path).split("-c")[1].split("-")[0])
        ba, us = load(path), load(f"{out}/ours-driver-c{c}.json")
        if not us:
            continue
        for name, r in (("better-auth", ba), ("otp-server", us)):
            s = r["server"]
            print(f"| {c} | {name} | {r['flows_per_s']:.0f} | {r['latency_ms']['flow']['p99']:.2f} | "
                  f"{s['cpu_ms_per_flow']:.3f} | {s['vmhwm_kb'] / 1024:.1f} |")
        ratios.append((c, ba["server"]["cpu_ms_per_flow"] / us["server"]["cpu_ms_per_flow"],
                       ba["latency_ms"]["flow"]["p99"] / us["latency_ms"]["flow"]["p99"],
                       ba["server"]["vmhwm_kb"] / us["server"]["vmhwm_kb"],
                       us["flows_per_s"] / ba["flows_per_s"]))
    print("\n| concurrency | CPU/flow: better-auth ÷ ours | p99: better-auth ÷ ours | peak RSS: better-auth ÷ ours | flows/s: ours ÷ better-auth |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for c, cpu, p99, rss, fps in ratios:
        print(f"| {c} | {cpu:.1f}× | {p99:.1f}× | {rss:.1f}× | {fps:.1f}× |")

costs = [(n, load(f"{out}/cost-{n}.json")) for n in
         ("default", "no-enumeration-protection", "rs256", "webhook", "janitor-1s")]
base = dict(costs).get("default")
if base:
    print("\n### What each feature costs per flow (SQLite, sign-up flows)\n")
    print("| run | flows/s | flow p99 ms | server CPU ms/flow | vs default | peak RSS MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in costs:
        if not r:
            continue
        cpu = r["server"]["cpu_ms_per_flow"]
        print(f"| {name} | {r['flows_per_sec']:.0f} | {r['flow']['p99_ms']:.2f} | {cpu:.3f} | "
              f"{cpu - base['server']['cpu_ms_per_flow']:+.3f} | {r['server']['vmhwm_kb'] / 1024:.1f} |")

grown = [(b, load(f"{out}/grown-{b}-empty.json"), load(f"{out}/grown-{b}-seeded.json"),
          load(f"{out}/grown-{b}-seed.json")) for b in ("sqlite", "postgres")]
if any(e and s for _, e, s, _ in grown):
    print("\n### A grown database: empty, then seeded (sign-up flows)\n")
    print("| backend | users seeded | seeding s | bytes per user | flows/s empty | flows/s seeded | ratio | "
          "server CPU ms/flow empty → seeded | flow p99 ms empty → seeded |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for b, e, s, seed in grown:
        if not (e and s and seed):
            continue
        print(f"| {b} | {seed['users']:,} | {seed['seed_s']:.0f} | {seed['bytes_per_user']:.0f} | "
              f"{e['flows_per_sec']:.0f} | {s['flows_per_sec']:.0f} | {s['flows_per_sec'] / e['flows_per_sec']:.2f} | "
              f"{e['server']['cpu_ms_per_flow']:.3f} → {s['server']['cpu_ms_per_flow']:.3f} | "
              f"{e['flow']['p99_ms']:.2f} → {s['flow']['p99_ms']:.2f} |")

app = load(f"{out}/app.json")
if app:
    print("\n### The app (bench/app.sh)\n")
    start = app.get("cold_start") or {}
    if start:
        print(f"- desktop cold start to the sign-up screen: median {start['median_ms']:.0f} ms over "
              f"{start['runs']} run(s) (min {start['min_ms']:.0f}, max {start['max_ms']:.0f})")
    for key, label in (("desktop", "production desktop binary"), ("desktop_dev", "desktop binary with the dev backend")):
        if app.get(key):
            print(f"- {label}: {app[key]['bytes'] / 1048576:.1f} MiB")
    if app.get("web"):
        w = app["web"]
        print(f"- web: wasm {w['wasm_bytes'] / 1024:.0f} KiB, gzip {w['wasm_gzip_bytes'] / 1024:.0f} KiB, "
              f"brotli {w['wasm_brotli_bytes'] / 1024:.0f} KiB")
