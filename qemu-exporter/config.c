#include "config.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_args.h"
#include "sock.h"

#ifndef QE_VERSION
#define QE_VERSION "0"
#endif

#define DEFAULT_VAAPI_DEVICE "/dev/dri/renderD128"
#define DEFAULT_BITRATE 8000000u
#define DEFAULT_IDR_MS 2000u

static const char *const x264_presets[] = {
	"ultrafast", "superfast", "veryfast", "faster",   "fast",
	"medium",    "slow",      "slower",   "veryslow", "placebo",
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Bridges QEMU's D-Bus display (-display dbus) to HXFR over TCP.\n\n"
		"  --listen HOST:PORT              HXFR address (default 127.0.0.1:%d)\n"
		"  --allow-remote                  allow a non-loopback --listen address\n"
		"  --dbus-address ADDR             bus of QEMU's display (default\n"
		"                                  $DBUS_SESSION_BUS_ADDRESS)\n"
		"  --control-key FILE              shared secret for HXFR AUTH\n"
		"  --allow-shared-key-mode         accept a key file readable by group/others\n"
		"  --allow-unauthenticated-control let any client ENABLE/DISABLE scanouts\n"
		"                                  (Helix v1 brokers; unsafe)\n"
		"  --max-clients N                 simultaneous HXFR clients (default 64)\n"
		"  --allow-unkeyed-subscribe       accept Helix's SUBSCRIBE without a stream key\n"
		"                                  (anyone reaching the port may watch; unsafe)\n"
		"  --encoder x264|vaapi            H.264 encoder (default x264)\n"
		"  --vaapi-device PATH             render node for vaapi (default %s)\n"
		"  --preset NAME                   x264 preset (default ultrafast)\n"
		"  --bitrate BPS                   target bit rate per scanout (default %u)\n"
		"  --idr-interval-ms N             IDR at the first change after N ms (default\n"
		"                                  %u; 0: only on join, request, resize)\n"
		"  --max-subscribers-per-scanout N (default 8)\n"
		"  --subscriber-queue-frames N     frames queued per subscriber before it\n"
		"                                  skips to the next IDR (default 16)\n"
		"  --gpu-id ID                     stream the heads of the virtio-gpu with id=ID\n"
		"                                  (default: the first labelled virtio-*)\n"
		"  --log-level L                   error, warn, info, debug (default info)\n"
		"  --help, --version\n\n"
		"  --print-qemu-args --gpu-id ID --outputs N [--qemu-version 7.2|10]\n"
		"                                  print, one a line, the QEMU arguments that\n"
		"                                  give heads 1..N-1 a keyboard and tablet each\n",
		prog, HXFR_DEFAULT_PORT, DEFAULT_VAAPI_DEVICE, DEFAULT_BITRATE, DEFAULT_IDR_MS);
}

enum qe_config_result qe_config_parse(struct qe_config *cfg, int argc, char **argv)
{
	enum {
		OPT_LISTEN = 256,
		OPT_DBUS,
		OPT_KEY,
		OPT_SHARED_KEY,
		OPT_REMOTE,
		OPT_UNAUTH,
		OPT_MAX_CLIENTS,
		OPT_LOG_LEVEL,
		OPT_UNKEYED,
		OPT_ENCODER,
		OPT_VAAPI_DEVICE,
		OPT_PRESET,
		OPT_BITRATE,
		OPT_IDR,
		OPT_MAX_SUBS,
		OPT_QUEUE_FRAMES,
		OPT_GPU_ID,
		OPT_PRINT_ARGS,
		OPT_OUTPUTS,
		OPT_QEMU_VERSION,
		OPT_HELP,
		OPT_VERSION,
	};
	static const struct option opts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"dbus-address", required_argument, NULL, OPT_DBUS},
		{"control-key", required_argument, NULL, OPT_KEY},
		{"allow-shared-key-mode", no_argument, NULL, OPT_SHARED_KEY},
		{"allow-remote", no_argument, NULL, OPT_REMOTE},
		{"allow-unauthenticated-control", no_argument, NULL, OPT_UNAUTH},
		{"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"allow-unkeyed-subscribe", no_argument, NULL, OPT_UNKEYED},
		{"encoder", required_argument, NULL, OPT_ENCODER},
		{"vaapi-device", required_argument, NULL, OPT_VAAPI_DEVICE},
		{"preset", required_argument, NULL, OPT_PRESET},
		{"bitrate", required_argument, NULL, OPT_BITRATE},
		{"idr-interval-ms", required_argument, NULL, OPT_IDR},
		{"max-subscribers-per-scanout", required_argument, NULL, OPT_MAX_SUBS},
		{"subscriber-queue-frames", required_argument, NULL, OPT_QUEUE_FRAMES},
		{"gpu-id", required_argument, NULL, OPT_GPU_ID},
		{"print-qemu-args", no_argument, NULL, OPT_PRINT_ARGS},
		{"outputs", required_argument, NULL, OPT_OUTPUTS},
		{"qemu-version", required_argument, NULL, OPT_QEMU_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	const char *prog = argc > 0 ? argv[0] : "qemu-frame-exporter";
	const char *listen = NULL;

	*cfg = (struct qe_config){
		.listen_port = HXFR_DEFAULT_PORT,
		.max_clients = 64,
		.log_level = LC_LOG_INFO,
		.encoder = QE_ENCODER_X264,
		.preset = "ultrafast",
		.vaapi_device = DEFAULT_VAAPI_DEVICE,
		.bitrate_bps = DEFAULT_BITRATE,
		.idr_interval_ms = DEFAULT_IDR_MS,
		.max_subscribers_per_scanout = 8,
		.queue_bytes = 8u << 20,
		.queue_frames = 16,
		.unbound_tablet = true,
	};
	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");

	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned long v;
		int lvl;
		switch (c) {
		case OPT_LISTEN: listen = optarg; break;
		case OPT_DBUS:
			if (!*optarg) {
				fprintf(stderr, "%s: --dbus-address: empty address\n", prog);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->dbus_address = optarg;
			break;
		case OPT_KEY: cfg->control_key_path = optarg; break;
		case OPT_SHARED_KEY: cfg->allow_shared_key_mode = true; break;
		case OPT_REMOTE: cfg->allow_remote = true; break;
		case OPT_UNAUTH: cfg->allow_unauthenticated_control = true; break;
		case OPT_MAX_CLIENTS:
			if (lc_parse_ulong(optarg, 1, 4096, &v) < 0) {
				fprintf(stderr,
					"%s: --max-clients: '%s' is not a number from 1 to 4096\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->max_clients = (unsigned)v;
			break;
		case OPT_UNKEYED: cfg->allow_unkeyed_subscribe = true; break;
		case OPT_ENCODER:
			if (strcmp(optarg, "x264") == 0) {
				cfg->encoder = QE_ENCODER_X264;
			} else if (strcmp(optarg, "vaapi") == 0) {
				cfg->encoder = QE_ENCODER_VAAPI;
			} else {
				fprintf(stderr, "%s: --encoder: '%s' is not x264 or vaapi\n", prog,
					optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			break;
		case OPT_VAAPI_DEVICE: cfg->vaapi_device = optarg; break;
		case OPT_PRESET: {
			bool known = false;
			for (size_t i = 0; i < sizeof(x264_presets) / sizeof(x264_presets[0]); i++)
				known |= strcmp(optarg, x264_presets[i]) == 0;
			if (!known) {
				fprintf(stderr,
					"%s: --preset: '%s' is not an x264 preset (ultrafast .. "
					"placebo)\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->preset = optarg;
			break;
		}
		case OPT_BITRATE:
			if (lc_parse_ulong(optarg, 100000, 200000000, &v) < 0) {
				fprintf(stderr,
					"%s: --bitrate: '%s' is not a number of bit/s from "
					"100000 to 200000000\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->bitrate_bps = (uint32_t)v;
			break;
		case OPT_IDR:
			if (lc_parse_ulong(optarg, 0, 3600000, &v) < 0) {
				fprintf(stderr,
					"%s: --idr-interval-ms: '%s' is not a number from 0 to "
					"3600000\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->idr_interval_ms = (uint32_t)v;
			break;
		case OPT_MAX_SUBS:
			if (lc_parse_ulong(optarg, 1, 256, &v) < 0) {
				fprintf(stderr,
					"%s: --max-subscribers-per-scanout: '%s' is not a "
					"number from 1 to 256\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->max_subscribers_per_scanout = (unsigned)v;
			break;
		case OPT_QUEUE_FRAMES:
			if (lc_parse_ulong(optarg, 2, 1024, &v) < 0) {
				fprintf(stderr,
					"%s: --subscriber-queue-frames: '%s' is not a number "
					"from 2 to 1024\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->queue_frames = (unsigned)v;
			break;
		case OPT_LOG_LEVEL:
			lvl = lc_log_level_from_string(optarg);
			if (lvl < 0) {
				fprintf(stderr,
					"%s: --log-level: '%s' is not one of silent, error, warn, info, debug\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->log_level = (enum lc_log_level)lvl;
			break;
		case OPT_GPU_ID:
			if (!qe_qemu_args_valid_id(optarg)) {
				fprintf(stderr,
					"%s: --gpu-id: '%s' is not a QEMU device id (a letter, then "
					"letters, digits, '-', '.', '_')\n",
					prog, optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->gpu_id = optarg;
			break;
		case OPT_PRINT_ARGS: cfg->print_qemu_args = true; break;
		case OPT_OUTPUTS:
			if (lc_parse_ulong(optarg, 2, QE_QEMU_ARGS_MAX_OUTPUTS, &v) < 0) {
				fprintf(stderr,
					"%s: --outputs: '%s' is not a number from 2 to %d (the "
					"GPU's max_outputs)\n",
					prog, optarg, QE_QEMU_ARGS_MAX_OUTPUTS);
				return QE_CONFIG_EXIT_USAGE;
			}
			cfg->outputs = (unsigned)v;
			break;
		case OPT_QEMU_VERSION:
			/* Only the two the project verified (input-and-newer-qemu.md). */
			if (strcmp(optarg, "7.2") == 0) {
				cfg->unbound_tablet = true;
			} else if (strcmp(optarg, "10") == 0 || strcmp(optarg, "10.0") == 0) {
				cfg->unbound_tablet = false;
			} else {
				fprintf(stderr, "%s: --qemu-version: '%s' is not 7.2 or 10\n", prog,
					optarg);
				return QE_CONFIG_EXIT_USAGE;
			}
			break;
		case OPT_HELP: usage(stdout, prog); return QE_CONFIG_EXIT_OK;
		case OPT_VERSION:
			printf("qemu-frame-exporter %s\n", QE_VERSION);
			return QE_CONFIG_EXIT_OK;
		case '?':
		default:
			if (optopt)
				fprintf(stderr, "%s: option needs an argument or takes none: %s\n",
					prog, argv[optind - 1]);
			else
				fprintf(stderr, "%s: unknown option: %s\n", prog, argv[optind - 1]);
			usage(stderr, prog);
			return QE_CONFIG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
		return QE_CONFIG_EXIT_USAGE;
	}
	if (cfg->print_qemu_args) {
		if (!cfg->gpu_id || !cfg->outputs) {
			fprintf(stderr, "%s: --print-qemu-args needs --gpu-id ID and --outputs N\n",
				prog);
			return QE_CONFIG_EXIT_USAGE;
		}
		if (qe_qemu_args_print(stdout, cfg->gpu_id, cfg->outputs, cfg->unbound_tablet) <
		    0) {
			fprintf(stderr, "%s: --print-qemu-args: cannot write\n", prog);
			return QE_CONFIG_EXIT_USAGE;
		}
		return QE_CONFIG_EXIT_OK;
	}
	if (cfg->outputs) {
		fprintf(stderr, "%s: --outputs is only for --print-qemu-args\n", prog);
		return QE_CONFIG_EXIT_USAGE;
	}

	if (listen && lc_parse_hostport(listen, cfg->listen_host, sizeof(cfg->listen_host),
					&cfg->listen_port) < 0) {
		fprintf(stderr,
			"%s: --listen: '%s' is not HOST:PORT (numeric host, port 1-65535)\n", prog,
			listen);
		return QE_CONFIG_EXIT_USAGE;
	}
	if (!lc_addr_is_loopback(cfg->listen_host) && !cfg->allow_remote) {
		/* HXFR frames are unencrypted desktops: exposing them beyond the host
		 * must be a deliberate choice. */
		fprintf(stderr,
			"%s: --listen: %s is not a loopback address (or not a numeric address); "
			"HXFR is unencrypted, so pass --allow-remote to listen there anyway\n",
			prog, cfg->listen_host);
		return QE_CONFIG_EXIT_USAGE;
	}

	if (cfg->encoder == QE_ENCODER_VAAPI && access(cfg->vaapi_device, R_OK | W_OK) < 0) {
		fprintf(stderr,
			"%s: --encoder vaapi: render node %s: %s (pass --vaapi-device, or "
			"use --encoder x264)\n",
			prog, cfg->vaapi_device, strerror(errno));
		return QE_CONFIG_EXIT_USAGE;
	}

	if (cfg->control_key_path) {
		int r = hxfr_key_load(cfg->control_key_path, &cfg->key, cfg->allow_shared_key_mode);
		if (r < 0) {
			if (r == -EPERM || r == -EACCES)
				fprintf(stderr,
					"%s: --control-key %s: %s (the file must be mode 0600 or 0400; "
					"--allow-shared-key-mode overrides)\n",
					prog, cfg->control_key_path, strerror(-r));
			else if (r == -EINVAL || r == -EFBIG)
				fprintf(stderr,
					"%s: --control-key %s: not a key (a regular file of %d to %d "
					"bytes)\n",
					prog, cfg->control_key_path, HXFR_KEY_MIN, HXFR_KEY_MAX);
			else
				fprintf(stderr, "%s: --control-key %s: %s\n", prog,
					cfg->control_key_path, strerror(-r));
			return QE_CONFIG_EXIT_USAGE;
		}
		cfg->have_key = true;
	}
	return QE_CONFIG_RUN;
}

void qe_config_finish(struct qe_config *cfg)
{
	explicit_bzero(&cfg->key, sizeof(cfg->key));
	cfg->have_key = false;
}
