#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#ifndef LL_DEFAULT_SHIM
#define LL_DEFAULT_SHIM "/usr/local/libexec/leasecast/leasecast-logind-shim"
#endif
#ifndef LL_DEFAULT_POLICY
#define LL_DEFAULT_POLICY "/usr/local/share/dbus-1/system.d/leasecast-logind-shim.conf"
#endif
#ifndef LL_DEFAULT_AUTHMAGIC
#define LL_DEFAULT_AUTHMAGIC "/usr/local/lib/leasecast/libleasecast-authmagic.so"
#endif

static const char usage[] =
	"usage: lease-launch [options] -- COMPOSITOR ARGS...\n"
	"  --wayland-socket PATH   lease through wp_drm_lease_v1 there (default /run/leasecast/wayland-0)\n"
	"  --helix-socket PATH     lease through the Helix lease socket instead\n"
	"  --output NAME           lease this connector (default: any free one)\n"
	"  --size WxH              requested mode for an output that must be turned on\n"
	"  --user USER             run the compositor as USER (default: the caller)\n"
	"  --shim PATH             leasecast-logind-shim to run\n"
	"  --bus-policy FILE       the shim's D-Bus policy for the private system bus\n"
	"  --no-private-bus        never start a private system bus\n"
	"  --wlroots               environment for wlroots compositors (pixman, DRM backend,\n"
	"                          drmAuthMagic wrapper)\n"
	"  --authmagic-lib PATH    the drmAuthMagic wrapper LD_PRELOADed with --wlroots\n"
	"  --card PATH             the card node compositors open (/dev/dri/card0)\n"
	"  --ready-timeout-ms N    bound for the lease, the bus and the shim each (15000)\n"
	"  --term-grace-ms N       after a revoke, SIGTERM the compositor after N ms (3000)\n"
	"  --kill-grace-ms N       after SIGTERM, SIGKILL after N ms (5000)\n"
	"  --on-preferred-mode CMD when the leased connector's preferred mode changes (a viewer's\n"
	"                          resize), run sh -c CMD as the compositor's user with\n"
	"                          LEASECAST_MODE=WxH (and _WIDTH, _HEIGHT), LEASECAST_CONNECTOR\n"
	"                          and LEASECAST_COMPOSITOR_PID set\n"
	"  --resume-on-preferred-mode\n"
	"                          on such a change, make the session inactive and active\n"
	"                          again, as a VT switch does: Mutter re-reads its outputs\n"
	"  --mode-probe-ms N       probe the connector for those every N ms (1000)\n"
	"  --log-level L           error, warn, info or debug (info)\n"
	"environment (a container's, from drm-lease-broker's CDI spec; options win):\n"
	"  LEASECAST_WAYLAND_SOCKET, LEASECAST_CARD, LEASECAST_OUTPUT (a name, or any)\n";

enum {
	OPT_WAYLAND = 256,
	OPT_HELIX,
	OPT_OUTPUT,
	OPT_SIZE,
	OPT_USER,
	OPT_SHIM,
	OPT_POLICY,
	OPT_NO_BUS,
	OPT_WLROOTS,
	OPT_AUTHMAGIC,
	OPT_CARD,
	OPT_READY,
	OPT_TERM,
	OPT_KILL,
	OPT_LOG_LEVEL,
	OPT_ON_MODE,
	OPT_MODE_PROBE,
	OPT_RESUME_ON_MODE,
	OPT_HELP,
};

static const struct option long_options[] = {
	{"wayland-socket", required_argument, NULL, OPT_WAYLAND},
	{"helix-socket", required_argument, NULL, OPT_HELIX},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"size", required_argument, NULL, OPT_SIZE},
	{"user", required_argument, NULL, OPT_USER},
	{"shim", required_argument, NULL, OPT_SHIM},
	{"bus-policy", required_argument, NULL, OPT_POLICY},
	{"no-private-bus", no_argument, NULL, OPT_NO_BUS},
	{"wlroots", no_argument, NULL, OPT_WLROOTS},
	{"authmagic-lib", required_argument, NULL, OPT_AUTHMAGIC},
	{"card", required_argument, NULL, OPT_CARD},
	{"ready-timeout-ms", required_argument, NULL, OPT_READY},
	{"term-grace-ms", required_argument, NULL, OPT_TERM},
	{"kill-grace-ms", required_argument, NULL, OPT_KILL},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"on-preferred-mode", required_argument, NULL, OPT_ON_MODE},
	{"mode-probe-ms", required_argument, NULL, OPT_MODE_PROBE},
	{"resume-on-preferred-mode", no_argument, NULL, OPT_RESUME_ON_MODE},
	{"help", no_argument, NULL, OPT_HELP},
	{0},
};

static int parse_ms(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10);
	if (end == s || *end != 'x')
		return -1;
	const char *p = end + 1;
	unsigned long b = strtoul(p, &end, 10);
	if (end == p || *end != '\0' || a == 0 || b == 0 || a > 16384 || b > 16384)
		return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

int ll_options_parse(struct ll_options *o, int argc, char **argv)
{
	*o = (struct ll_options){
		.wayland_socket = "/run/leasecast/wayland-0",
		.shim = NULL,
		.bus_policy = LL_DEFAULT_POLICY,
		.authmagic_lib = LL_DEFAULT_AUTHMAGIC,
		.card = "/dev/dri/card0",
		.private_bus = true,
		.ready_timeout_ms = 15000,
		.term_grace_ms = 3000,
		.kill_grace_ms = 5000,
		.log_level = LC_LOG_INFO,
		.mode_probe_ms = 1000,
	};
	/* Defaults from the environment a container gets from the broker's CDI
	 * spec (drm-lease-broker --cdi-spec); options still win. */
	const char *env = getenv("LEASECAST_WAYLAND_SOCKET");
	if (env && *env)
		o->wayland_socket = env;
	env = getenv("LEASECAST_CARD");
	if (env && *env)
		o->card = env;
	env = getenv("LEASECAST_OUTPUT");
	if (env && *env && strcmp(env, "any") != 0)
		o->output = env;
	int c;
	/* "+": stop at the first non-option, the compositor's argv is its own. */
	while ((c = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_WAYLAND: o->wayland_socket = optarg; break;
		case OPT_HELIX: o->helix_socket = optarg; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_SIZE:
			if (parse_size(optarg, &o->width, &o->height) < 0) {
				fprintf(stderr, "lease-launch: bad --size '%s' (WxH, 1..16384)\n",
					optarg);
				return -1;
			}
			break;
		case OPT_USER: o->user = optarg; break;
		case OPT_SHIM: o->shim = optarg; break;
		case OPT_POLICY: o->bus_policy = optarg; break;
		case OPT_NO_BUS: o->private_bus = false; break;
		case OPT_WLROOTS: o->wlroots = true; break;
		case OPT_AUTHMAGIC: o->authmagic_lib = optarg; break;
		case OPT_CARD: o->card = optarg; break;
		case OPT_READY:
		case OPT_TERM:
		case OPT_KILL: {
			int *dst = c == OPT_READY  ? &o->ready_timeout_ms
				   : c == OPT_TERM ? &o->term_grace_ms
						   : &o->kill_grace_ms;
			if (parse_ms(optarg, dst) < 0) {
				fprintf(stderr, "lease-launch: bad number '%s'\n", optarg);
				return -1;
			}
			break;
		}
		case OPT_ON_MODE: o->on_preferred_mode = optarg; break;
		case OPT_RESUME_ON_MODE: o->resume_on_preferred_mode = true; break;
		case OPT_MODE_PROBE:
			if (parse_ms(optarg, &o->mode_probe_ms) < 0 || o->mode_probe_ms < 50) {
				fprintf(stderr,
					"lease-launch: bad --mode-probe-ms '%s' (at least 50)\n",
					optarg);
				return -1;
			}
			break;
		case OPT_LOG_LEVEL:
			o->log_level = lc_log_level_from_string(optarg);
			if (o->log_level < 0) {
				fprintf(stderr, "lease-launch: bad --log-level '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lease-launch: no compositor given\n%s", usage);
		return -1;
	}
	o->argv = argv + optind;
	return 0;
}
