#!/usr/bin/env bash
# The app's benchmark: release binary size, desktop cold start, idle memory after sign-in, and the
# web bundle, for one cargo profile (the shipping one, `dist`, by default). See docs/benchmarks.md.
#   bench/app.sh            build (if needed) and measure everything once
#   bench/app.sh --quick    one cold start of the desktop app: fails if the sign-up screen never
#                           shows (a CI smoke run; asserts nothing about speed)
#   bench/app.sh --sweep    only the profile sweep: one setting at a time from `release` (opt-level,
#                           lto, codegen-units, panic), each built to its own profile, for the
#                           production desktop binary and the web bundle (10-30 min per row)
# Options: --no-web, --no-memory, --no-start.
# Env: OUT (target/bench/app-<time>; results in $OUT/app.json), PROFILE (dist), RUNS (10),
#      IDLE_S (5), BIN (a desktop binary with the dev backend to start instead of building one;
#      "skip": none), PRODUCTION_BIN (a production binary to measure instead of building one),
#      SERVER (an otp-server binary: the production binary's cold start and memory, against it),
#      WEB_PROFILE (PROFILE; `release` means dx's default `wasm-release`), TIMELINE (1: save every
#      distinct frame of each cold start as a PNG),
#      SWEEP (the sweep's rows, default all: "release opt-3 opt-s opt-z lto-thin lto-fat cgu1
#      panic-abort"), SWEEP_TARGETS ("desktop web"),
#      CARGO_TARGET_DIR (as cargo's).
# Cold start: a fresh Xvfb, data directory and WebKit cache per run, inside a private D-Bus session
# with an unlocked keyring (scripts/with-desktop.sh); the time runs from just before the process is
# spawned to the first captured frame that shows the sign-up screen's accent-coloured Continue
# button (the root window read with XGetImage every 10 ms; the frame is saved as a PNG).
set -euo pipefail
# One compound command, read whole before it runs: editing this file cannot derail a running sweep.
{
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=no SWEEP_RUN=no WEB=yes MEMORY=yes START=yes
for arg in "$@"; do
  case $arg in
    --quick) QUICK=yes WEB=no MEMORY=no ;;
    --sweep) SWEEP_RUN=yes START=no MEMORY=no ;;
    --no-web) WEB=no ;;
    --no-memory) MEMORY=no ;;
    --no-start) START=no ;;
    *) echo "usage: bench/app.sh [--quick] [--sweep] [--no-web] [--no-memory] [--no-start]" >&2; exit 2 ;;
  esac
done
PROFILE=${PROFILE:-dist}
RUNS=${RUNS:-10}
[[ $QUICK == yes ]] && RUNS=1
IDLE_S=${IDLE_S:-5}
SWEEP=${SWEEP:-"release opt-3 opt-s opt-z lto-thin lto-fat cgu1 panic-abort"}
SWEEP_TARGETS=${SWEEP_TARGETS:-"desktop web"}
# The web bundle's profile: PROFILE's, or dx's own default `wasm-release` for `release`.
WEB_PROFILE=${WEB_PROFILE:-$PROFILE}
[[ $WEB_PROFILE == release ]] && WEB_PROFILE=wasm-release
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$ROOT/target/bench/app-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=$OUT/app_bench.py

# Everything that needs the display and the keychain is Python (standard library, libX11 through
# ctypes), run inside scripts/with-desktop.sh's session. Written out so that session can run it.
cat > "$PY" <<'PY'
"""Cold start and idle memory of the desktop app under Xvfb, and one-line summaries."""
import ctypes, ctypes.util, json, os, re, shutil, signal, statistics, struct, subprocess
import sys, tempfile, time, urllib.parse, urllib.request, zlib

ACCENT = bytes([0xE5, 0x46, 0x4F])  # otp-dioxus's --otp-accent #4f46e5, as B, G, R in a ZPixmap
ACCENT_MIN = 3000                   # pixels: the Continue button is ~340x44; the spinner is tiny
CAPTURE = (0, 0, 640, 800)          # the window sits at 0,0 (no window manager), 480x720
TITLE = "Passwordless sign-in"
PHONE = "+12025550143"

class Funcs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_void_p) for n in
                ("create_image", "destroy_image", "get_pixel", "put_pixel", "sub_image", "add_pixel")]

class XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int),
                ("bitmap_pad", ctypes.c_int), ("depth", ctypes.c_int),
                ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int),
                ("red_mask", ctypes.c_ulong), ("green_mask", ctypes.c_ulong),
                ("blue_mask", ctypes.c_ulong), ("obdata", ctypes.c_void_p), ("f", Funcs)]

X11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
X11.XOpenDisplay.restype = ctypes.c_void_p
X11.XOpenDisplay.argtypes = [ctypes.c_char_p]
X11.XDefaultRootWindow.restype = ctypes.c_ulong
X11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
X11.XGetImage.restype = ctypes.POINTER(XImage)
X11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                          ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
X11.XCloseDisplay.argtypes = [ctypes.c_void_p]
DESTROY = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(XImage))

class Screen:
    """Reads the root window of one X display: one XGetImage per frame (a few ms for 640x800)."""
    def __init__(self, display):
        self.dpy = X11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {display}")
        self.root = X11.XDefaultRootWindow(self.dpy)

    def frame(self):
        x, y, w, h = CAPTURE
        img = X11.XGetImage(self.dpy, self.root, x, y, w, h, 0xFFFFFFFF, 2)  # ZPixmap
        im = img.contents
        assert im.bits_per_pixel == 32 and im.bytes_per_line == w * 4, "expected a 32-bit ZPixmap"
        data = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        DESTROY(im.f.destroy_image)(img)
        return data

    def close(self):
        X11.XCloseDisplay(self.dpy)

def save_png(data, path):
    """The BGRX frame as an RGB PNG (zlib only)."""
    w, h = CAPTURE[2], CAPTURE[3]
    rgb = bytearray(w * h * 3)
    rgb[0::3], rgb[1::3], rgb[2::3] = data[2::4], data[1::4], data[0::4]
    raw = b"".join(b"\0" + bytes(rgb[r * w * 3:(r + 1) * w * 3]) for r in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

def shows_sign_up(data):
    return data.count(ACCENT) >= ACCENT_MIN

def shows_content(data):
    """Black text in the window (480x720 at 0,0): the page's first render, before its stylesheets
    (styled text is #0f172a, never pure black; the bare root window is all black)."""
    w = CAPTURE[2] * 4
    window = b"".join(data[r * w:r * w + 480 * 4] for r in range(720))
    return 50 <= window.count(b"\0\0\0") <= 20000

def loadavg():
    return [float(x) for x in open("/proc/loadavg").read().split()[:3]]

def start_xvfb():
    """A fresh X server on the first free display from 120: black root, nothing drawn yet."""
    n = 120
    while os.path.exists(f"/tmp/.X11-unix/X{n}") or os.path.exists(f"/tmp/.X{n}-lock"):
        n += 1
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                             "-br"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(f"/tmp/.X11-unix/X{n}"):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, f":{n}"

def descendants(pid):
    """pid and every process below it (the app, WebKitWebProcess, WebKitNetworkProcess, ...)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out

class App:
    """The app started cold: fresh data, config and cache directories, on a fresh display."""
    def __init__(self, binary, manifest_dir, log_path, api_url=None):
        self.xvfb, self.display = start_xvfb()
        self.screen = Screen(self.display)
        self.dirs = tempfile.mkdtemp(prefix="otp-app-bench-")
        env = dict(os.environ, DISPLAY=self.display, RUST_LOG="info",
                   XDG_DATA_HOME=f"{self.dirs}/data", XDG_CONFIG_HOME=f"{self.dirs}/config",
                   XDG_CACHE_HOME=f"{self.dirs}/cache",
                   # Where asset!() finds the stylesheets when the binary runs outside cargo/dx.
                   CARGO_MANIFEST_DIR=manifest_dir)
        env.pop("OTP_API_URL", None)  # the embedded dev backend, unless a server is given
        if api_url:
            env["OTP_API_URL"] = api_url
        self.api_url = api_url
        self.blank = self.screen.frame()
        self.log_path = log_path
        self.load = loadavg()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([binary], env=env, stdout=open(log_path, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for_screen(self, timeout=60, timeline=None):
        """(ms to the first changed frame, ms to the first sign-up frame, that frame). With
        `timeline` (a path prefix), every distinct frame is saved as <prefix>-<ms>.png."""
        first_change, last = None, self.blank
        self.content_ms = None
        deadline = self.t0 + timeout
        while time.monotonic() < deadline:
            data = self.screen.frame()
            t = time.monotonic()
            if first_change is None and data != self.blank:
                first_change = (t - self.t0) * 1000
            if self.content_ms is None and first_change is not None and shows_content(data):
                self.content_ms = (t - self.t0) * 1000
            if timeline and data != last:
                save_png(data, f"{timeline}-{(t - self.t0) * 1000:05.0f}.png")
                last = data
            if shows_sign_up(data):
                return first_change, (t - self.t0) * 1000, data
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited ({self.proc.returncode}):\n" + self.log())
            time.sleep(0.01)
        raise RuntimeError("the sign-up screen never showed; the app printed:\n" + self.log())

    def log(self):
        return open(self.log_path, errors="replace").read()[-4000:]

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        # WebKit's helper processes share the app's process group: none may outlive the run.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.3)
        self.proc.wait()
        self.screen.close()
        self.xvfb.terminate()
        self.xvfb.wait()
        shutil.rmtree(self.dirs, ignore_errors=True)

def cold_start(binary, manifest_dir, runs, out, api_url=None, tag="start"):
    """runs + 1 cold starts; the first (files not yet in the page cache) is reported apart."""
    results, timeline = [], os.environ.get("TIMELINE")
    for i in range(runs + 1 if runs > 1 else 1):
        app = App(binary, manifest_dir, f"{out}/{tag}-{i}.log", api_url)
        try:
            first, screen, frame = app.wait_for_screen(
                timeline=f"{out}/{tag}-timeline-{i}" if timeline else None)
        finally:
            app.stop()
        save_png(frame, f"{out}/{tag}-{i}.png")
        content = app.content_ms or screen
        results.append({"run": i, "first_change_ms": round(first or screen, 1),
                        "unstyled_content_ms": round(content, 1),
                        "sign_up_screen_ms": round(screen, 1), "loadavg": app.load})
        print(f"   run {i}{' (first, not counted)' if i == 0 and runs > 1 else ''}: "
              f"window {first or screen:.0f} ms, page (unstyled) {content:.0f} ms, "
              f"sign-up screen {screen:.0f} ms, load {app.load[0]:.2f}", flush=True)
        time.sleep(0.5)
    counted = results[1:] if runs > 1 else results
    ms = [r["sign_up_screen_ms"] for r in counted]
    return {"runs": len(counted), "median_ms": round(statistics.median(ms), 1),
            "min_ms": min(ms), "max_ms": max(ms),
            "first_change_median_ms": round(statistics.median(r["first_change_ms"] for r in counted), 1),
            "unstyled_content_median_ms":
                round(statistics.median(r["unstyled_content_ms"] for r in counted), 1),
            "first_run": results[0] if runs > 1 else None, "all": counted,
            "loadavg_max": max(r["loadavg"][0] for r in counted),
            "detector": "XGetImage of the root window every 10 ms until >= %d pixels have the "
                        "accent colour #4f46e5 (the Continue button)" % ACCENT_MIN}

def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True, capture_output=True)

def rollup(pid):
    vals = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) >= 3 and parts[1].isdigit():
            vals[parts[0].rstrip(":")] = int(parts[1])
    return vals

def memory(binary, manifest_dir, idle_s, out, api_url=None, tag="memory"):
    """Signs up by phone through the window, waits idle_s, reads smaps_rollup of every process."""
    app = App(binary, manifest_dir, f"{out}/{tag}.log", api_url)
    try:
        app.wait_for_screen()
        url = api_url
        for _ in range(0 if url else 50):
            m = re.search(r"embedded dev server at (http://[0-9.:]+)", app.log())
            if m:
                url = m.group(1)
                break
            time.sleep(0.1)
        if not url:
            raise RuntimeError("no embedded server URL in the log:\n" + app.log())
        os.environ["DISPLAY"] = app.display
        window = subprocess.run(["xdotool", "search", "--sync", "--name", TITLE], check=True,
                                capture_output=True, text=True).stdout.split()[0]
        code = None
        for _ in range(3):  # keys typed before the page listens are lost: type again
            xdotool("windowfocus", "--sync", window)
            xdotool("key", "ctrl+a")
            xdotool("type", "--delay", "25", PHONE)
            xdotool("key", "Return")
            for _ in range(50):
                try:
                    q = urllib.parse.quote(PHONE)
                    code = json.load(urllib.request.urlopen(f"{url}/v1/dev/outbox?to={q}"))["code"]
                    break
                except Exception:
                    time.sleep(0.2)
            if code:
                break
        if not code:
            raise RuntimeError("no code was sent")
        time.sleep(0.5)
        xdotool("windowfocus", "--sync", window)
        xdotool("type", "--delay", "25", code)
        # Signed in: the token is in the keychain (Secret Service), as the app's tests check.
        for _ in range(100):
            r = subprocess.run(["secret-tool", "search", "service", "otp-app"], capture_output=True)
            if r.returncode == 0 and r.stdout:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("no session in the keychain after typing the code")
        time.sleep(idle_s)
        save_png(app.screen.frame(), f"{out}/{tag}-signed-in.png")
        procs = []
        for pid in descendants(app.proc.pid):
            try:
                name = open(f"/proc/{pid}/comm").read().strip()
                r = rollup(pid)
            except OSError:
                continue
            procs.append({"pid": pid, "name": name, "rss_kib": r.get("Rss", 0),
                          "pss_kib": r.get("Pss", 0), "uss_kib": r.get("Private_Clean", 0)
                          + r.get("Private_Dirty", 0)})
    finally:
        app.stop()
    procs = [p for p in procs if p["rss_kib"] > 0]
    return {"idle_s": idle_s, "processes": procs,
            "total_rss_kib": sum(p["rss_kib"] for p in procs),
            "total_pss_kib": sum(p["pss_kib"] for p in procs)}

def show(kind, text):
    """One human-readable line for a JSON result."""
    d = json.loads(text)
    if kind == "desktop":
        return f"{d['bytes']} bytes ({d['mib']} MiB), stripped {d['stripped_bytes']}"
    if kind == "web":
        return (f"wasm {d['wasm_bytes']} bytes, gzip -9 {d['wasm_gzip_bytes']}, brotli "
                f"{d['wasm_brotli_bytes']}; js {d['js_bytes']} (gzip {d['js_gzip_bytes']})")
    z = d["sizes"]
    sizes = (f"{z['bytes']:>10} bytes, stripped {z['stripped_bytes']:>10}" if "bytes" in z else
             f"wasm {z['wasm_bytes']:>9}, gzip {z['wasm_gzip_bytes']:>8}, brotli {z['wasm_brotli_bytes']:>8}")
    return f"{d['target']:<8}{d['row']:<12}{sizes}  ({d['build_s']} s)"

def main():
    if sys.argv[1] == "show":
        print("   " + show(sys.argv[2], sys.argv[3]), flush=True)
        return
    mode, binary, manifest_dir, out, n = sys.argv[1:6]
    api_url = sys.argv[6] if len(sys.argv) > 6 else None
    tag = mode + ("-production" if api_url else "")
    against = f" against {api_url}" if api_url else " (embedded dev backend)"
    if mode == "start":
        runs = int(n)
        print(f"== cold start: {binary}{against}, {runs} run(s)", flush=True)
        r = cold_start(binary, manifest_dir, runs, out, api_url, tag)
        print(f"   median {r['median_ms']:.0f} ms (min {r['min_ms']:.0f}, max {r['max_ms']:.0f}); "
              f"medians: window drawn {r['first_change_median_ms']:.0f} ms, page's first render "
              f"(unstyled) {r['unstyled_content_median_ms']:.0f} ms")
    else:
        print(f"== idle memory after sign-in: {binary}{against}", flush=True)
        r = memory(binary, manifest_dir, int(n), out, api_url, tag)
        for p in r["processes"]:
            print(f"   {p['name']:<22} RSS {p['rss_kib'] / 1024:6.1f} MiB  PSS {p['pss_kib'] / 1024:6.1f} MiB")
        print(f"   {'total':<22} RSS {r['total_rss_kib'] / 1024:6.1f} MiB  PSS {r['total_pss_kib'] / 1024:6.1f} MiB")
    json.dump(r, open(f"{out}/{tag}.json", "w"), indent=2)

if __name__ == "__main__":
    main()
PY

# Each part writes $OUT/<part>.json; they are merged into $OUT/app.json at the end.
size_json() { # FILE -> {"bytes", "mib", "stripped_bytes"}
  local stripped
  stripped=$(mktemp); strip -o "$stripped" "$1"
  echo "{\"path\": \"$1\", \"bytes\": $(stat -c %s "$1"), \"mib\": $(awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.2f", b/1048576}'), \"stripped_bytes\": $(stat -c %s "$stripped")}"
  rm -f "$stripped"
}

# A sweep row's one setting, as TOML (`key=value`), over `release` (desktop) or over dx's default
# web profile `wasm-release` (release with opt-level "s"). Empty: the base itself.
row_setting() {
  case $1 in
    release) echo "" ;;
    opt-3) echo "opt-level=3" ;;
    opt-s) echo 'opt-level="s"' ;;
    opt-z) echo 'opt-level="z"' ;;
    lto-thin) echo 'lto="thin"' ;;
    lto-fat) echo 'lto="fat"' ;;
    cgu1) echo "codegen-units=1" ;;
    panic-abort) echo 'panic="abort"' ;;
    *) echo "unknown sweep row $1" >&2; exit 2 ;;
  esac
}

# Builds the desktop app in profile $1 with cargo args $2..; prints the binary's path.
build_desktop() {
  local profile=$1; shift
  cargo build --locked --quiet --profile "$profile" "$@" >&2
  echo "$TARGET_DIR/$profile/otp-app"
}

# Builds the web bundle with dx in profile $1 (wasm-release: dx's default), with more cargo
# arguments in $2; prints the wasm's path (after wasm-opt).
build_web() {
  local profile=$1 args=(--release)
  [[ $profile != wasm-release ]] && args+=(--profile "$profile")
  [[ -n ${2:-} ]] && args+=("--cargo-args=$2")
  touch "$OUT/dx.stamp"
  # dx takes esbuild and wasm-opt from tools/ (no downloads); a release build runs wasm-opt -Oz.
  NO_DOWNLOADS=1 PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH" \
    dx build --platform web "${args[@]}" >"$OUT/dx.log" 2>&1 ||
    { tail -30 "$OUT/dx.log" >&2; exit 1; }
  find "$TARGET_DIR/dx/otp-app/release/web/public" -name '*.wasm' -newer "$OUT/dx.stamp" | head -1
}

web_json() { # WASM -> sizes of the wasm raw, gzip -9, brotli -q 11, and of the JS beside it
  local js
  js=$(find "$(dirname "$1")" -maxdepth 1 -name '*.js' | head -1)
  echo "{\"path\": \"$1\", \"wasm_bytes\": $(stat -c %s "$1"), \"wasm_gzip_bytes\": $(gzip -9 -c "$1" | wc -c), \"wasm_brotli_bytes\": $(brotli -q 11 -c "$1" | wc -c), \"js_bytes\": $(stat -c %s "$js"), \"js_gzip_bytes\": $(gzip -9 -c "$js" | wc -c)}"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "{\"profile\": \"$PROFILE\", \"cores\": $(nproc), \"date\": \"$(date -u +%FT%TZ)\"}" > "$OUT/meta.json"

# 1. The desktop binaries: the production build (what ships: no dev backend) for its size, and
#    the default build (with the embedded dev backend) that the cold start and memory runs start.
if [[ $SWEEP_RUN == no ]]; then
  if [[ -n ${PRODUCTION_BIN:-} ]]; then
    cp "$PRODUCTION_BIN" "$OUT/otp-app-production"
  elif [[ $QUICK == no ]]; then
    echo "== building the production desktop app (profile $PROFILE)"
    prod=$(build_desktop "$PROFILE" --no-default-features --features desktop)
    cp "$prod" "$OUT/otp-app-production"
  fi
  if [[ -z ${BIN:-} ]]; then
    echo "== building the desktop app with the dev backend (profile $PROFILE)"
    BIN=$(build_desktop "$PROFILE")
    cp "$BIN" "$OUT/otp-app-dev"
    BIN=$OUT/otp-app-dev
  fi
  if [[ -f $OUT/otp-app-production ]]; then
    size_json "$OUT/otp-app-production" > "$OUT/desktop.json"
    echo -n "   production binary:"; python3 "$PY" show desktop "$(cat "$OUT/desktop.json")"
  fi
  if [[ $BIN != skip ]]; then
    size_json "$BIN" > "$OUT/desktop-dev.json"
    echo -n "   with dev backend:"; python3 "$PY" show desktop "$(cat "$OUT/desktop-dev.json")"
  fi
fi

# 2-3. Cold start and memory, in a private D-Bus session with a keyring (fresh HOME).
if [[ $SWEEP_RUN == no && $BIN != skip ]]; then
  [[ $START == yes ]] && scripts/with-desktop.sh python3 "$PY" start "$BIN" "$ROOT" "$OUT" "$RUNS"
  [[ $MEMORY == yes ]] && scripts/with-desktop.sh python3 "$PY" memory "$BIN" "$ROOT" "$OUT" "$IDLE_S"
fi

# 2b. The same for the production binary (no embedded server), against SERVER (an otp-server
#     binary, started here in dev mode on a free port with a fresh database), when given.
if [[ -n ${SERVER:-} && -f $OUT/otp-app-production && ( $START == yes || $MEMORY == yes ) ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sdata=$(mktemp -d)
  RUST_LOG=warn "$SERVER" --dev --bind "127.0.0.1:$port" --data-dir "$sdata" --send-interval-secs 0 \
    > "$OUT/server.log" 2>&1 &
  spid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  [[ $START == yes ]] && scripts/with-desktop.sh python3 "$PY" start "$OUT/otp-app-production" "$ROOT" "$OUT" "$RUNS" "http://127.0.0.1:$port"
  [[ $MEMORY == yes ]] && scripts/with-desktop.sh python3 "$PY" memory "$OUT/otp-app-production" "$ROOT" "$OUT" "$IDLE_S" "http://127.0.0.1:$port"
  kill "$spid"; wait "$spid" 2>/dev/null || true
  rm -rf "$sdata"
fi

# 4. The web bundle.
if [[ $WEB == yes && $SWEEP_RUN == no ]]; then
  echo "== building the web bundle (dx build --platform web --release, profile $WEB_PROFILE)"
  wasm=$(build_web "$WEB_PROFILE")
  web_json "$wasm" > "$OUT/web.json"
  python3 "$PY" show web "$(cat "$OUT/web.json")"
fi

# 5. The sweep: each row is the base plus one setting, in its own profile (own target folder)
#    for the production desktop binary; through dx's --cargo-args for the web bundle.
if [[ $SWEEP_RUN == yes ]]; then
  echo "== profile sweep: $SWEEP"
  touch "$OUT/sweep.jsonl"  # appended to: a sweep can be run in parts into one OUT
  sweep_line() { # ROW TARGET SETTING SECONDS SIZES_JSON
    local line="{\"row\": \"$1\", \"target\": \"$2\", \"setting\": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$3"), \"build_s\": $4, \"sizes\": $5}"
    echo "$line" >> "$OUT/sweep.jsonl"
    python3 "$PY" show sweep "$line"
  }
  for row in $SWEEP; do
    [[ $SWEEP_TARGETS == *desktop* ]] || break
    [[ $row == opt-3 ]] && continue  # the desktop base is opt-level 3
    setting=$(row_setting "$row") name=release vars=()
    if [[ $row != release ]]; then
      name=sweep-$row up=SWEEP_$(tr 'a-z-' 'A-Z_' <<<"$row")
      key=$(tr 'a-z-' 'A-Z_' <<<"${setting%%=*}") value=${setting#*=}
      vars=("CARGO_PROFILE_${up}_INHERITS=release" "CARGO_PROFILE_${up}_${key}=${value//\"/}")
    fi
    t0=$(date +%s)
    bin=$( ((${#vars[@]})) && export "${vars[@]}"; build_desktop "$name" --no-default-features --features desktop)
    sweep_line "$row" desktop "$setting" $(($(date +%s) - t0)) "$(size_json "$bin")"
  done
  if [[ $WEB == yes && $SWEEP_TARGETS == *web* ]]; then
    for row in $SWEEP; do
      # wasm32-unknown-unknown always aborts on panic; dx's web base is opt-level "s".
      [[ $row == panic-abort || $row == opt-s ]] && continue
      setting=$(row_setting "$row") extra=""
      [[ -n $setting ]] && extra="--config 'profile.wasm-release.$setting'"  # quoted for dx's shell-words split
      t0=$(date +%s)
      wasm=$(build_web wasm-release "$extra")
      sweep_line "$row" web "$setting" $(($(date +%s) - t0)) "$(web_json "$wasm")"
    done
  fi
fi

# Everything in one file.
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
load = lambda n: json.load(open(f"{out}/{n}")) if os.path.exists(f"{out}/{n}") else None
r = load("meta.json")
r.update({"desktop": load("desktop.json"), "desktop_dev": load("desktop-dev.json"),
          "cold_start": load("start.json"), "memory": load("memory.json"), "web": load("web.json"),
          "cold_start_production": load("start-production.json"),
          "memory_production": load("memory-production.json")})
if os.path.exists(f"{out}/sweep.jsonl"):
    r["sweep"] = [json.loads(l) for l in open(f"{out}/sweep.jsonl") if l.strip()]
json.dump(r, open(f"{out}/app.json", "w"), indent=2)
print(f"== results: {out}/app.json")
PY
exit
}
