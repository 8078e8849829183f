# Host side of vm-broker-race: while the guest cycles leases, pause and
# resume the VM's vCPU over QMP (stop ~2 ms, run ~2 ms), as a loaded host
# preempts it. QEMU's main loop keeps answering the exporter's SetUIInfo and
# the guest's queued GET_DISPLAY_INFO meanwhile, so a display event often
# lands between the guest's reading of the display info and its clearing of
# the event: the lost-event race of lease-broker/broker.c, made frequent.
. "$LC_SRC/tests/vm/lib.sh"
for phase in paced unpaced; do
lc_wait_signal "preempt-start-$phase" 300 || { echo "broker-race-host: guest never started $phase"; exit 1; }
python3 - "$LC_QMP" "$LC_OUT/.signal-preempt-stop-$phase" "$phase" <<'PY'
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def cmd(name):
    f.write(json.dumps({"execute": name}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())  # greeting
cmd("qmp_capabilities")
n = 0
while not os.path.exists(sys.argv[2]):
    cmd("stop"); time.sleep(0.002)
    cmd("cont"); time.sleep(0.002)
    n += 1
print("broker-race-host: %s: paused the vCPU %d times" % (sys.argv[3], n))
PY
done
