#define _GNU_SOURCE
#include "config.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char usage[] =
	"usage: drm-lease-broker [options]\n"
	"  --device PATH            DRM card (repeatable; default " LB_DEFAULT_DEVICE
	", env DRM_DEVICE)\n"
	"  --helix-socket PATH      Helix lease socket (default " LB_DEFAULT_HELIX_SOCKET
	", env DRM_SOCKET)\n"
	"  --wayland-socket PATH    wp_drm_lease_v1 socket (default " LB_DEFAULT_WAYLAND_SOCKET
	")\n"
	"  --no-wayland             do not serve wp_drm_lease_v1\n"
	"  --exporter HOST:PORT     frame exporter control link (env QEMU_ADDR); none by default\n"
	"  --exporter-auth hmac|none  authenticate the control link (default hmac)\n"
	"  --control-key FILE       shared key (default " LB_DEFAULT_CONTROL_KEY ")\n"
	"  --reserve NAME           never lease this output (repeatable; default Virtual-1; 'none')\n"
	"  --group NAME|GID         group of the sockets (default " LB_DEFAULT_GROUP ")\n"
	"  --allow-uid UID          only these uids (and root) may lease (repeatable)\n"
	"  --max-leases-per-uid N   quota for non-root holders (default 4; 0: unlimited)\n"
	"  --enable-timeout-ms N    how long an output may take to come up (default 5000)\n"
	"  --no-auth-magic          refuse lease holders' DRM magic authentication\n"
	"  --no-display-pacing      send display changes without waiting for the guest\n"
	"                           to show the previous one (diagnostics: exercises the\n"
	"                           lost-display-event recovery)\n"
	"  --cdi-spec PATH          write a CDI spec ("
	"leasecast.io/display"
	") for the first card\n"
	"                           there at start, remove it at exit (e.g. /run/cdi/leasecast.json)\n"
	"  --log-level L            error|warn|info|debug (default info)\n"
	"  --status                 print a running broker's outputs and leases as JSON\n";

int lb_config_parse(struct lb_config *cfg, int argc, char **argv)
{
	enum {
		OPT_DEVICE = 256,
		OPT_HELIX,
		OPT_WAYLAND,
		OPT_NO_WAYLAND,
		OPT_EXPORTER,
		OPT_EXPORTER_AUTH,
		OPT_KEY,
		OPT_RESERVE,
		OPT_GROUP,
		OPT_ALLOW_UID,
		OPT_MAX,
		OPT_TIMEOUT,
		OPT_NO_AUTH_MAGIC,
		OPT_NO_PACING,
		OPT_LOG,
		OPT_CDI,
		OPT_STATUS,
		OPT_HELP,
	};
	static const struct option opts[] = {
		{"device", required_argument, NULL, OPT_DEVICE},
		{"helix-socket", required_argument, NULL, OPT_HELIX},
		{"wayland-socket", required_argument, NULL, OPT_WAYLAND},
		{"no-wayland", no_argument, NULL, OPT_NO_WAYLAND},
		{"exporter", required_argument, NULL, OPT_EXPORTER},
		{"exporter-auth", required_argument, NULL, OPT_EXPORTER_AUTH},
		{"control-key", required_argument, NULL, OPT_KEY},
		{"reserve", required_argument, NULL, OPT_RESERVE},
		{"group", required_argument, NULL, OPT_GROUP},
		{"allow-uid", required_argument, NULL, OPT_ALLOW_UID},
		{"max-leases-per-uid", required_argument, NULL, OPT_MAX},
		{"enable-timeout-ms", required_argument, NULL, OPT_TIMEOUT},
		{"no-auth-magic", no_argument, NULL, OPT_NO_AUTH_MAGIC},
		{"no-display-pacing", no_argument, NULL, OPT_NO_PACING},
		{"log-level", required_argument, NULL, OPT_LOG},
		{"cdi-spec", required_argument, NULL, OPT_CDI},
		{"status", no_argument, NULL, OPT_STATUS},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	memset(cfg, 0, sizeof(*cfg));
	cfg->helix_socket = LB_DEFAULT_HELIX_SOCKET;
	cfg->wayland_socket = LB_DEFAULT_WAYLAND_SOCKET;
	cfg->control_key = LB_DEFAULT_CONTROL_KEY;
	cfg->exporter_auth = true;
	cfg->group = LB_DEFAULT_GROUP;
	cfg->max_leases_per_uid = 4;
	cfg->enable_timeout_ms = 5000;
	cfg->auth_magic = true;
	cfg->display_pacing = true;
	cfg->log_level = LC_LOG_INFO;

	/* Helix's environment first; options override it. */
	const char *env;
	if ((env = getenv("DRM_DEVICE")) && *env)
		cfg->devices[cfg->n_devices++] = env;
	if ((env = getenv("DRM_SOCKET")) && *env)
		cfg->helix_socket = env;
	if ((env = getenv("QEMU_ADDR")) && *env)
		cfg->exporter = env;

	bool devices_from_cli = false, reserve_given = false;
	unsigned long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DEVICE:
			if (!devices_from_cli) {
				cfg->n_devices = 0;
				devices_from_cli = true;
			}
			if (cfg->n_devices == LB_MAX_CARDS) {
				fprintf(stderr, "too many --device (max %d)\n", LB_MAX_CARDS);
				return -1;
			}
			cfg->devices[cfg->n_devices++] = optarg;
			break;
		case OPT_HELIX: cfg->helix_socket = optarg; break;
		case OPT_WAYLAND: cfg->wayland_socket = optarg; break;
		case OPT_NO_WAYLAND: cfg->wayland_socket = NULL; break;
		case OPT_NO_AUTH_MAGIC: cfg->auth_magic = false; break;
		case OPT_NO_PACING: cfg->display_pacing = false; break;
		case OPT_EXPORTER: cfg->exporter = optarg; break;
		case OPT_EXPORTER_AUTH:
			if (strcmp(optarg, "none") == 0) {
				cfg->exporter_auth = false;
			} else if (strcmp(optarg, "hmac") == 0) {
				cfg->exporter_auth = true;
			} else {
				fprintf(stderr,
					"--exporter-auth: expected hmac or none, got '%s'\n",
					optarg);
				return -1;
			}
			break;
		case OPT_KEY: cfg->control_key = optarg; break;
		case OPT_RESERVE:
			reserve_given = true;
			if (strcmp(optarg, "none") == 0)
				break;
			if (cfg->n_reserved == LB_MAX_RESERVED) {
				fprintf(stderr, "too many --reserve (max %d)\n", LB_MAX_RESERVED);
				return -1;
			}
			cfg->reserved[cfg->n_reserved++] = optarg;
			break;
		case OPT_GROUP: cfg->group = optarg; break;
		case OPT_ALLOW_UID:
			if (lc_parse_ulong(optarg, 0, UINT_MAX - 1, &v) < 0) {
				fprintf(stderr, "--allow-uid: '%s' is not a uid\n", optarg);
				return -1;
			}
			if (cfg->n_allow_uids == LB_MAX_ALLOW_UIDS) {
				fprintf(stderr, "too many --allow-uid (max %d)\n",
					LB_MAX_ALLOW_UIDS);
				return -1;
			}
			cfg->allow_uids[cfg->n_allow_uids++] = (uid_t)v;
			break;
		case OPT_MAX:
			if (lc_parse_ulong(optarg, 0, 1024, &v) < 0) {
				fprintf(stderr, "--max-leases-per-uid: '%s' is not 0..1024\n",
					optarg);
				return -1;
			}
			cfg->max_leases_per_uid = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (lc_parse_ulong(optarg, 0, 600000, &v) < 0 || v == 0) {
				fprintf(stderr, "--enable-timeout-ms: '%s' is not 1..600000\n",
					optarg);
				return -1;
			}
			cfg->enable_timeout_ms = (unsigned)v;
			break;
		case OPT_LOG: {
			int l = lc_log_level_from_string(optarg);
			if (l < 0) {
				fprintf(stderr, "--log-level: unknown level '%s'\n", optarg);
				return -1;
			}
			cfg->log_level = l;
			break;
		}
		case OPT_STATUS: cfg->status = true; break;
		case OPT_CDI:
			if (optarg[0] != '/') {
				fprintf(stderr,
					"drm-lease-broker: --cdi-spec wants an absolute path\n");
				return -1;
			}
			cfg->cdi_spec = optarg;
			break;
		case OPT_HELP: fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		fputs(usage, stderr);
		return -1;
	}
	if (cfg->n_devices == 0)
		cfg->devices[cfg->n_devices++] = LB_DEFAULT_DEVICE;
	if (!reserve_given)
		cfg->reserved[cfg->n_reserved++] = "Virtual-1";
	return 0;
}

bool lb_config_is_reserved(const struct lb_config *cfg, const char *output_name)
{
	for (size_t i = 0; i < cfg->n_reserved; i++)
		if (strcmp(cfg->reserved[i], output_name) == 0)
			return true;
	return false;
}
