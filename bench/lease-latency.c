/* lc-bench-lease-latency: lease latency figures as JSON lines (one per case,
 * lease-stats.h), each broker figure with its baseline measured earlier in
 * the same run, and a closing summary against Helix's manager. Run inside
 * the VM rig: tests/vm/scenarios/broker-bench.sh runs every mode in one boot
 * and keeps the lines in $LC_OUT/bench.jsonl.
 *
 *   raw CARD N        as DRM master, no broker: raw-create-lease
 *                     (drmModeCreateLease + close of a connected output) and
 *                     raw-revoke-lease (drmModeRevokeLease).
 *   raw-exporter CARD HOST:PORT KEYFILE N
 *                     as the exporter's authenticated control client and DRM
 *                     master, no broker: raw-turn-on (ENABLE_SCANOUT ->
 *                     HOTPLUG + probe connected -> CreateLease),
 *                     raw-revoke-disable (revoke + DISABLE round trip),
 *                     raw-turn-off (revoke -> guest shows disconnected).
 *   broker HELIX_SOCKET WAYLAND_SOCKET N ACQ_TAG REL_TAG FILE ACQ_BASE REL_BASE
 *                     N Helix cycles then N Wayland cycles through the broker
 *                     (lease-broker.c); ratios to the cases ACQ_BASE and
 *                     REL_BASE of FILE.
 *   summary FILE      every case of FILE against its baseline and against
 *                     Helix's fixed costs: a table on stderr, one JSON line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease-modes.h"
#include "lease-stats.h"

static long count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	return *end == '\0' && n > 0 && n <= 1000000 ? n : -1;
}

static double json_num(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(line, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static void json_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(line, pat);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(pat);
	const char *e = strchr(p, '"');
	if (e && (size_t)(e - p) < len)
		snprintf(out, len, "%.*s", (int)(e - p), p);
}

static int summary(const char *file)
{
	FILE *in = fopen(file, "r");
	if (!in) {
		perror(file);
		return 1;
	}
	char line[4096];
	int cases = 0, compared = 0;
	double worst_acq = 0, worst_rel = 0, worst_ratio = 0;
	fprintf(stderr, "%-34s %5s %9s %9s  %-20s %8s %8s\n", "case", "n", "p50_ms", "p99_ms",
		"baseline", "r_p50", "r_p99");
	while (fgets(line, sizeof(line), in)) {
		char name[96], base[96];
		json_str(line, "case", name, sizeof(name));
		if (!strstr(line, "\"bench\":\"lease\"") || !name[0] ||
		    strcmp(name, "summary") == 0)
			continue;
		json_str(line, "baseline", base, sizeof(base));
		double p50 = json_num(line, "p50_ms"), p99 = json_num(line, "p99_ms");
		cases++;
		fprintf(stderr, "%-34s %5.0f %9.3f %9.3f  %-20s", name, json_num(line, "n"), p50,
			p99, base[0] ? base : "-");
		if (base[0]) {
			double r50 = json_num(line, "ratio_p50"), r99 = json_num(line, "ratio_p99");
			fprintf(stderr, " %8.2f %8.2f", r50, r99);
			compared++;
			if (r50 > worst_ratio)
				worst_ratio = r50;
			if (strncmp(name, "acquire-", 8) == 0 && p99 > worst_acq)
				worst_acq = p99;
			if (strncmp(name, "release-", 8) == 0 && p99 > worst_rel)
				worst_rel = p99;
		}
		fprintf(stderr, "\n");
	}
	fclose(in);
	fprintf(stderr, "Helix's manager: %.0f ms per acquire, %.0f ms per release (fixed)\n",
		HELIX_ACQUIRE_SLEEP_MS, HELIX_RELEASE_STALL_MS);
	printf("{\"bench\":\"lease\",\"case\":\"summary\",\"cases\":%d,\"compared\":%d,"
	       "\"worst_ratio_p50\":%.2f,\"worst_acquire_p99_ms\":%.3f,"
	       "\"worst_release_p99_ms\":%.3f,\"helix_acquire_fixed_ms\":%.0f,"
	       "\"helix_release_fixed_ms\":%.0f,\"worst_acquire_p99_to_helix\":%.5f,"
	       "\"worst_release_p99_to_helix\":%.5f}\n",
	       cases, compared, worst_ratio, worst_acq, worst_rel, HELIX_ACQUIRE_SLEEP_MS,
	       HELIX_RELEASE_STALL_MS, worst_acq / HELIX_ACQUIRE_SLEEP_MS,
	       worst_rel / HELIX_RELEASE_STALL_MS);
	/* A run without any broker figure compared has not measured anything. */
	return compared > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "raw") == 0 && argc == 4 && count(argv[3]) > 0)
		return bench_raw_ioctl(argv[2], count(argv[3]));
	if (strcmp(mode, "raw-exporter") == 0 && argc == 6 && count(argv[5]) > 0)
		return bench_raw_exporter(argv[2], argv[3], argv[4], count(argv[5]));
	if (strcmp(mode, "broker") == 0 && argc == 10 && count(argv[4]) > 0) {
		struct broker_bench cfg = {
			.helix_socket = argv[2],
			.wayland_socket = argv[3],
			.n = count(argv[4]),
			.acquire_tag = argv[5],
			.release_tag = argv[6],
			.baseline_file = argv[7],
			.acquire_baseline = argv[8],
			.release_baseline = argv[9],
		};
		return bench_broker(&cfg);
	}
	if (strcmp(mode, "summary") == 0 && argc == 3)
		return summary(argv[2]);
	fprintf(stderr,
		"usage: lc-bench-lease-latency raw CARD N\n"
		"       lc-bench-lease-latency raw-exporter CARD HOST:PORT KEYFILE N\n"
		"       lc-bench-lease-latency broker HELIX_SOCKET WAYLAND_SOCKET N ACQ_TAG REL_TAG "
		"FILE ACQ_BASE REL_BASE\n"
		"       lc-bench-lease-latency summary FILE\n");
	return 2;
}
