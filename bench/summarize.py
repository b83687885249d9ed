"""Prints the benchmark's tables (markdown) from the JSON files bench/run.sh wrote."""
import glob
import json
import os
import sys

out, rate = sys.argv[1], float(sys.argv[2])
COMMITS_PER_FLOW = 3  # sign-up (with its new client), prepare, attempt; the outbox read is a read


def load(path):
    return json.load(open(path)) if os.path.exists(path) else None


print("### otp-load against otp-server (sign-up flows)\n")
print("| backend | concurrency | flows/s | flow p50 ms | flow p99 ms | server CPU ms/flow | peak RSS MiB | errors |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
best = 0.0
for path in sorted(glob.glob(f"{out}/ours-*-c*.json")):
    name = os.path.basename(path)
    if name.startswith("ours-driver"):
        continue
    r = load(path)
    backend = name.split("-")[1]
    c = r["config"]["concurrency"]
    if backend == "sqlite":
        best = max(best, r["flows_per_sec"])
    print(f"| {backend} | {c} | {r['flows_per_sec']:.0f} | {r['flow']['p50_ms']:.2f} | {r['flow']['p99_ms']:.2f} | "
          f"{r['server']['cpu_ms_per_flow']:.3f} | {r['server']['vmhwm_kb'] / 1024:.1f} | {sum(r['errors'].values())} |")
bound = rate / COMMITS_PER_FLOW
print(f"\nSQLite commit rate {rate:.0f}/s; at {COMMITS_PER_FLOW} commits per sign-up flow the bound is "
      f"{bound:.0f} flows/s; best SQLite run {best:.0f} flows/s = {best / bound:.2f} of the bound.\n")

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
