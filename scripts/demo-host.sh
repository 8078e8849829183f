# Host side of the demo (scripts/demo.sh runs it as lc-vm-run's host hook):
# waits for the guest's desktop (scanout id and stream key in $LC_OUT),
# starts leasecast-frame-bridge on 127.0.0.1 with that key, opens the
# viewer page in headless Chromium, and once the page has decoded frames
# saves a screenshot of it to $LC_OUT/viewer.png and checks that it shows
# the desktop (sway's blue background, the windows' black and white, a
# variety of colours), not a blank or black page. Then uses the desktop
# from the page: clicks into its terminal and types a command, which the
# guest must see run (screenshot: $LC_OUT/viewer-typed.png).
#
# LC_DEMO_HOLD=1: then keeps the bridge running until scripts/demo.sh
# signals demo-release (the person pressed Enter); otherwise releases the
# guest itself. LC_DEMO_PORT: the port to try first (8080).
# Exits 0 only when the screenshot shows the desktop and the typed command ran.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
. "$LC_SRC/tests/bridge/bridge-lib.sh"

hold=${LC_DEMO_HOLD:-0}
bridge_bin="$LC_BUILD/compositor-module/leasecast-frame-bridge"
www="$LC_SRC/compositor-module/frame-bridge/www"
png="$LC_OUT/viewer.png" png_typed="$LC_OUT/viewer-typed.png"
# Typed into the desktop's terminal from the page; the guest reports the
# file it makes (signal demo-typed).
typed="echo hello from the browser; touch /tmp/lc-demo-typed
"
say() { printf '\n== %s\n' "$*"; }

bridge='' verdict=fail
finish() {
	trap - EXIT
	lc_signal demo-verdict "$verdict"
	if [ "$hold" = 1 ] && [ "$verdict" = pass ]; then
		lc_signal demo-ready "$url_public"
		lc_wait_for "[ -e '$LC_OUT/.signal-demo-release' ] || ! kill -0 $bridge 2>/dev/null" 86400
	fi
	[ -n "$bridge" ] && kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null
	lc_signal demo-release
	[ "$verdict" = pass ]
	exit
}
trap finish EXIT

port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
free_port() { "$LC_SRC/tests/lc-free-port"; }  # below the ephemeral range: see the script

say "host: waiting for the guest's desktop (scanout id and stream key in $LC_OUT)"
lc_wait_for "[ -e '$LC_OUT/.signal-desktop-up' ] || [ -e '$LC_OUT/.signal-demo-failed' ]" 150
[ -e "$LC_OUT/.signal-desktop-up" ] || { echo "   the guest's desktop did not come up"; exit 1; }
read -r scanout key <<<"$(lc_signal_content desktop-up)"
if [ "$key" = none ]; then
	echo "   the broker gave no stream key: asking the exporter for one"
	key="$(sc_key "$scanout")" || { echo "   no stream key"; exit 1; }
fi
( umask 077; printf '%s\n' "$key" >"$LC_TMP/stream-key" )
echo "   scanout $scanout, stream key ${key:0:8}… (64 hex digits)"

port=${LC_DEMO_PORT:-8080}
port_free "$port" || port=$(free_port)
say "host: leasecast-frame-bridge on 127.0.0.1:$port, subscribed to scanout $scanout at the exporter (127.0.0.1:$LC_EXPORTER_PORT); log: $LC_OUT/bridge.log"
"$bridge_bin" --exporter "$(sc_addr)" --scanout "$scanout" --key-file "$LC_TMP/stream-key" \
	--listen "127.0.0.1:$port" --www "$www" >"$LC_OUT/bridge.log" 2>&1 </dev/null &
bridge=$!
lc_wait_for "grep -q 'subscribed to scanout' '$LC_OUT/bridge.log' || ! kill -0 $bridge 2>/dev/null" 20
grep -q 'subscribed to scanout' "$LC_OUT/bridge.log" || { sed 's/^/   /' "$LC_OUT/bridge.log"; exit 1; }
url_public="http://127.0.0.1:$port/"
echo "   open $url_public in a browser"

say "host: headless Chromium on the viewer page; screenshot once it has decoded frames -> $png;" \
	"then a click into the terminal and a command typed in the page, as a person would"
rm -f "$png" "$png_typed"
rm -rf "$LC_TMP/chrome-profile"
python3 "$LC_SRC/scripts/demo-view.py" "${url_public}?hw=prefer-software" "$png" "$LC_TMP/chrome-profile" \
	"$LC_OUT/chrome.log" --type "$typed" --click 1700,300 --typed-png "$png_typed" \
	--focus-file "$LC_OUT/.signal-demo-focus" --focus-want leasecast-terminal \
	--wait-file "$LC_OUT/.signal-demo-typed" || { echo "   the viewer page step failed (log: $LC_OUT/chrome.log)"; exit 1; }
echo "   the guest ran the command typed in the page ($(lc_signal_content demo-typed)); screenshot: $png_typed"
[ -s "$png" ] || { echo "   no screenshot"; exit 1; }

say "host: checking $png"
# The PNG decoded with zlib (no imaging library needed): what fraction of a
# sample grid is sway's background, bright white, near black, and how many
# distinct colours there are.
python3 - "$png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG format %d/%d/%d" % (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride): line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
px = [tuple(rows[y][x * bpp:x * bpp + 3]) for y in range(0, h, 4) for x in range(0, w, 4)]
n = len(px)
bg = sum(1 for r, g, b in px if abs(r - 0x30) < 32 and abs(g - 0x60) < 32 and abs(b - 0xa0) < 32) / n
white = sum(1 for p in px if min(p) > 200) / n
black = sum(1 for p in px if max(p) < 40) / n
colours = len({(r >> 4, g >> 4, b >> 4) for r, g, b in px})
print("   %dx%d: sway background %.0f%%, white %.0f%%, near black %.0f%%, %d distinct colours" % (
    w, h, 100 * bg, 100 * white, 100 * black, colours))
ok = bg > 0.05 and white > 0.01 and black < 0.9 and colours >= 8
print("   the screenshot shows the desktop" if ok else "   the screenshot does NOT show the desktop")
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] && verdict=pass
[ "$verdict" = pass ] || exit 1
if [ "$hold" = 1 ]; then
	echo "   open $url_public in a browser; the bridge runs until the demo is ended (Enter or Ctrl-C)"
fi
exit 0
