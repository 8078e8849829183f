#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every leasecast test:
# a normal build, an ASan+UBSan build, and the libFuzzer targets (clang),
# each with ctest. VM tests boot a real kernel with a 16-output virtio-gpu.
#
# Every build runs even when an earlier one failed; the script reports each
# build's result, its wall time and slowest tests, and exits non-zero if
# anything failed. The last line is "test.sh: N passed, M failed".
#
# LC_TEST_HOG=N (default 0): N busy loops on the host for the whole run, a
# stand-in for a slower or shared machine (on 2 cores, LC_TEST_HOG=1 takes
# one core). A check to run by hand, not part of CI.
set -uo pipefail
. "$(dirname "$0")/as-root.sh"
cd "$(dirname "$0")/.."
src=$PWD
jobs=$(nproc)
logs=$src/build-logs
mkdir -p "$logs"

bash scripts/install-deps.sh || { echo "test.sh: installing the dependencies failed"; exit 1; }

hog_pids=()
stop_hogs() {
	[ ${#hog_pids[@]} -eq 0 ] || kill "${hog_pids[@]}" 2>/dev/null
	wait "${hog_pids[@]}" 2>/dev/null
	hog_pids=()
}
trap stop_hogs EXIT
hogs=${LC_TEST_HOG:-0}
[[ "$hogs" =~ ^[0-9]+$ ]] || { echo "test.sh: LC_TEST_HOG must be a whole number"; exit 2; }
for _ in $(seq "$hogs"); do
	( trap - EXIT; while :; do :; done ) &
	hog_pids+=($!)
done
[ "$hogs" = 0 ] || echo "test.sh: $hogs busy loop(s) running for the whole run (pids ${hog_pids[*]})"

t_all=$SECONDS
results=() failed_builds=() total_pass=0 total_fail=0

# run_build NAME DIR "ENV..." CMAKE-ARGS -- CTEST-ARGS : configure, build and
# test one build; its ctest output in build-logs/NAME.log.
run_build() {
	local name=$1 dir=$2 envs=$3 t0=$SECONDS rc=0 log=$logs/$1.log
	shift 3
	local cm=() ct=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cm+=("$1"); shift; done
	shift
	ct=("$@")
	echo "== build: $name =="
	if ! env $envs cmake -S "$src" -B "$dir" "${cm[@]}" >"$logs/$name-configure.log" 2>&1; then
		cat "$logs/$name-configure.log"
		rc=1
	elif ! cmake --build "$dir" -j"$jobs"; then
		rc=1
	else
		env $envs ctest --test-dir "$dir" --output-on-failure --timeout 600 "${ct[@]}" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	local p=0 f=0 line
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" 2>/dev/null | tail -1)
	if [ -n "$line" ]; then
		f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
		p=$(($(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line") - f))
	elif [ "$rc" != 0 ]; then
		f=1 # it did not get as far as running its tests
	fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	local verdict=passed
	[ "$rc" = 0 ] || { verdict=FAILED; failed_builds+=("$name"); }
	results+=("$name: $verdict, $p passed, $f failed, $((SECONDS - t0)) s")
	if [ -s "$log" ]; then
		echo "-- $name: slowest tests"
		sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) \.+.* ([0-9.]+) sec$/\2 \1/p' "$log" |
			sort -rn | head -5 | awk '{ printf "   %7.1f s  %s\n", $1, $2 }'
		grep -E '^ +[0-9]+ - .* \((Failed|Timeout|Not Run|SEGFAULT|Subprocess aborted)\)' "$log" |
			sed "s/^/   $name failed: /"
	fi
}

run_build release build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -- -LE "fuzz|bench"

# The sanitizer build runs the unit, host and VM tests again (leaks and
# undefined behaviour fail them), less the longest VM scenarios (label
# "heavy": the race cycles, all-16-consoles, Mutter, cage), which the
# normal build runs. Benchmarks (label "bench", -DLC_BENCH=ON) are not tests.
run_build asan build-asan \
	"ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" \
	-DCMAKE_BUILD_TYPE=Debug -DLC_SANITIZE=ON -- -LE "fuzz|bench|heavy"

# The fuzzers are independent and each takes one core for LC_FUZZ_TIME.
run_build fuzz build-fuzz "CC=clang" -DCMAKE_BUILD_TYPE=Debug -DLC_FUZZ=ON -DLC_VM_TESTS=OFF -- -L fuzz -j"$jobs"

stop_hogs
echo "== summary (LC_TEST_HOG=$hogs, $jobs cores, load average now $(cut -d' ' -f1-3 /proc/loadavg)) =="
printf '  %s\n' "${results[@]}"
echo "  wall time: $((SECONDS - t_all)) s"
[ ${#failed_builds[@]} -eq 0 ] || echo "  failed builds: ${failed_builds[*]}"
echo "test.sh: $total_pass passed, $total_fail failed"
[ ${#failed_builds[@]} -eq 0 ]
