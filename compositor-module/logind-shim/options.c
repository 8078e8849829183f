#include "options.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char usage[] =
	"usage: leasecast-logind-shim --lease-fd N [options]\n"
	"  --lease-fd N              inherited DRM lease fd, handed out by TakeDevice\n"
	"  --lease-fd-card PATH      the card node the compositor opens (/dev/dri/card0)\n"
	"  --uid UID|NAME            session owner (default: the shim's uid)\n"
	"  --session-id ID           alphanumeric session id (c1)\n"
	"  --seat SEAT               seat id (seat0)\n"
	"  --vtnr N                  VTNr property (0: no VT)\n"
	"  --session-type TYPE       wayland, x11, mir, tty, web or unspecified (wayland)\n"
	"  --input-fd N              inherited evdev fd TakeDevice hands out as it is (repeatable)\n"
	"  --input-allow MAJ:MIN|event*|eventN   input device TakeDevice may open (repeatable)\n"
	"  --runtime-root DIR        where systemd/ and udev/ files are written (/run)\n"
	"  --dev-root DIR            where a missing input device node is made (/dev)\n"
	"  --bus-address ADDR        bus to serve (default: the system bus)\n"
	"  --ready-fd N              write READY=1 there once the name is owned\n"
	"  --control-fd N            EOF or a \"revoked\" line: the lease ended; a \"resume\"\n"
	"                            line: inactive and active again (the outputs changed)\n"
	"  --grace-ms N              wait this long for the compositor after a revoke (5000)\n"
	"  --lease-check-ms N        poll a real lease for revocation every N ms (1000, 0=off)\n"
	"  --device-rdev MAJ:MIN     TESTS ONLY: serve this device number for the lease fd\n"
	"  --log-level L             error, warn, info or debug (info)\n";

enum {
	OPT_LEASE_FD = 256,
	OPT_CARD,
	OPT_UID,
	OPT_SESSION_ID,
	OPT_SEAT,
	OPT_VTNR,
	OPT_SESSION_TYPE,
	OPT_INPUT_FD,
	OPT_INPUT_ALLOW,
	OPT_RUNTIME_ROOT,
	OPT_DEV_ROOT,
	OPT_BUS_ADDRESS,
	OPT_READY_FD,
	OPT_CONTROL_FD,
	OPT_GRACE_MS,
	OPT_LEASE_CHECK_MS,
	OPT_DEVICE_RDEV,
	OPT_LOG_LEVEL,
	OPT_HELP,
};

static const struct option long_options[] = {
	{"lease-fd", required_argument, NULL, OPT_LEASE_FD},
	{"lease-fd-card", required_argument, NULL, OPT_CARD},
	{"uid", required_argument, NULL, OPT_UID},
	{"session-id", required_argument, NULL, OPT_SESSION_ID},
	{"seat", required_argument, NULL, OPT_SEAT},
	{"vtnr", required_argument, NULL, OPT_VTNR},
	{"session-type", required_argument, NULL, OPT_SESSION_TYPE},
	{"input-fd", required_argument, NULL, OPT_INPUT_FD},
	{"input-allow", required_argument, NULL, OPT_INPUT_ALLOW},
	{"runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT},
	{"dev-root", required_argument, NULL, OPT_DEV_ROOT},
	{"bus-address", required_argument, NULL, OPT_BUS_ADDRESS},
	{"ready-fd", required_argument, NULL, OPT_READY_FD},
	{"control-fd", required_argument, NULL, OPT_CONTROL_FD},
	{"grace-ms", required_argument, NULL, OPT_GRACE_MS},
	{"lease-check-ms", required_argument, NULL, OPT_LEASE_CHECK_MS},
	{"device-rdev", required_argument, NULL, OPT_DEVICE_RDEV},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"help", no_argument, NULL, OPT_HELP},
	{0},
};

static int parse_fd(const char *s, int *fd)
{
	unsigned long v;
	if (lc_parse_ulong(s, 0, INT_MAX, &v) < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

static int parse_majmin(const char *s, unsigned *major, unsigned *minor)
{
	char buf[32];
	unsigned long ma, mi;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (lc_parse_ulong(buf, 0, (1UL << 12) - 1, &ma) < 0 ||
	    lc_parse_ulong(colon + 1, 0, (1UL << 20) - 1, &mi) < 0)
		return -1;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return 0;
}

static int parse_input_allow(const char *s, struct shim_input_allow *a)
{
	unsigned long n;
	memset(a, 0, sizeof(*a));
	if (strcmp(s, "event*") == 0) {
		a->any_event = true;
		return 0;
	}
	if (strncmp(s, "event", 5) == 0) {
		/* evdev's first 32 minors start at 64; later ones are dynamic, so
		 * "eventN" is only a shorthand for the static range. */
		if (lc_parse_ulong(s + 5, 0, 31, &n) < 0)
			return -1;
		a->major = 13;
		a->minor = 64 + (unsigned)n;
		return 0;
	}
	if (parse_majmin(s, &a->major, &a->minor) < 0 || a->major != 13)
		return -1;
	return 0;
}

bool shim_session_id_valid(const char *id)
{
	if (!id || !*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

bool shim_seat_id_valid(const char *id)
{
	if (!id || strncmp(id, "seat", 4) != 0 || strlen(id) > 64)
		return false;
	for (const char *p = id + 4; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

bool shim_session_type_valid(const char *type)
{
	static const char *const types[] = {"unspecified", "tty", "x11", "wayland", "mir", "web"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (type && strcmp(type, types[i]) == 0)
			return true;
	return false;
}

static int bad(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "leasecast-logind-shim: --%s %s: %s\n", opt, value, why);
	return -1;
}

int shim_options_parse(struct shim_options *opt, int argc, char *argv[])
{
	*opt = (struct shim_options){
		.lease_fd = -1,
		.card_path = "/dev/dri/card0",
		.uid = getuid(),
		.session_id = "c1",
		.seat_id = "seat0",
		.session_type = "wayland",
		.runtime_root = "/run",
		.dev_root = "/dev",
		.ready_fd = -1,
		.control_fd = -1,
		.log_level = LC_LOG_INFO,
		.grace_ms = 5000,
		.lease_check_ms = 1000,
	};
	unsigned long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		const char *name = NULL;
		for (const struct option *o = long_options; o->name; o++)
			if (o->val == c)
				name = o->name;
		switch (c) {
		case OPT_LEASE_FD:
			if (parse_fd(optarg, &opt->lease_fd) < 0)
				return bad(name, optarg, "not a file descriptor number");
			break;
		case OPT_CARD: opt->card_path = optarg; break;
		case OPT_UID: {
			if (lc_parse_ulong(optarg, 0, UINT32_MAX - 1, &v) == 0) {
				opt->uid = (uid_t)v;
				break;
			}
			struct passwd *pw = getpwnam(optarg);
			if (!pw)
				return bad(name, optarg, "no such user");
			opt->uid = pw->pw_uid;
			break;
		}
		case OPT_SESSION_ID:
			if (!shim_session_id_valid(optarg))
				return bad(name, optarg,
					   "sd-login accepts only [A-Za-z0-9] session ids");
			opt->session_id = optarg;
			break;
		case OPT_SEAT:
			if (!shim_seat_id_valid(optarg))
				return bad(name, optarg,
					   "a seat id is \"seat\" followed by [A-Za-z0-9_-]");
			opt->seat_id = optarg;
			break;
		case OPT_VTNR:
			if (lc_parse_ulong(optarg, 0, 63, &v) < 0)
				return bad(name, optarg, "not a VT number (0-63)");
			opt->vtnr = (uint32_t)v;
			break;
		case OPT_SESSION_TYPE:
			if (!shim_session_type_valid(optarg))
				return bad(name, optarg, "not a logind session type");
			opt->session_type = optarg;
			break;
		case OPT_INPUT_FD: {
			int fd;
			if (opt->n_input_fds >= SHIM_MAX_INPUT_FDS)
				return bad(name, optarg, "too many --input-fd entries");
			if (parse_fd(optarg, &fd) < 0 || fd < 3)
				return bad(name, optarg,
					   "not a file descriptor number (3 or more)");
			for (int i = 0; i < opt->n_input_fds; i++)
				if (opt->input_fds[i] == fd)
					return bad(name, optarg, "given twice");
			opt->input_fds[opt->n_input_fds++] = fd;
			break;
		}
		case OPT_INPUT_ALLOW:
			if (opt->n_input_allow >= SHIM_MAX_INPUT_ALLOW)
				return bad(name, optarg, "too many --input-allow entries");
			if (parse_input_allow(optarg, &opt->input_allow[opt->n_input_allow]) < 0)
				return bad(name, optarg, "expected 13:MINOR, eventN or event*");
			opt->n_input_allow++;
			break;
		case OPT_RUNTIME_ROOT:
			if (optarg[0] != '/' || strlen(optarg) > 200)
				return bad(name, optarg,
					   "must be an absolute path (at most 200 bytes)");
			opt->runtime_root = optarg;
			break;
		case OPT_DEV_ROOT:
			if (optarg[0] != '/' || strlen(optarg) > 200)
				return bad(name, optarg,
					   "must be an absolute path (at most 200 bytes)");
			opt->dev_root = optarg;
			break;
		case OPT_BUS_ADDRESS: opt->bus_address = optarg; break;
		case OPT_READY_FD:
			if (parse_fd(optarg, &opt->ready_fd) < 0)
				return bad(name, optarg, "not a file descriptor number");
			break;
		case OPT_CONTROL_FD:
			if (parse_fd(optarg, &opt->control_fd) < 0)
				return bad(name, optarg, "not a file descriptor number");
			break;
		case OPT_GRACE_MS:
			if (lc_parse_ulong(optarg, 0, 600000, &v) < 0)
				return bad(name, optarg, "not a duration in ms (0-600000)");
			opt->grace_ms = (int)v;
			break;
		case OPT_LEASE_CHECK_MS:
			if (lc_parse_ulong(optarg, 0, 600000, &v) < 0)
				return bad(name, optarg, "not a duration in ms (0-600000)");
			opt->lease_check_ms = (int)v;
			break;
		case OPT_DEVICE_RDEV:
			if (parse_majmin(optarg, &opt->device_major, &opt->device_minor) < 0)
				return bad(name, optarg, "expected MAJOR:MINOR");
			opt->has_device_rdev = true;
			break;
		case OPT_LOG_LEVEL: {
			int l = lc_log_level_from_string(optarg);
			if (l < 0)
				return bad(name, optarg,
					   "expected error, warn, info, debug or silent");
			opt->log_level = l;
			break;
		}
		case OPT_HELP:
		case 'h': fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "leasecast-logind-shim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (opt->lease_fd < 0) {
		fprintf(stderr, "leasecast-logind-shim: --lease-fd is required\n%s", usage);
		return -1;
	}
	if (opt->ready_fd >= 0 &&
	    (opt->ready_fd == opt->lease_fd || opt->ready_fd == opt->control_fd))
		return bad("ready-fd", "", "must differ from --lease-fd and --control-fd");
	if (opt->control_fd >= 0 && opt->control_fd == opt->lease_fd)
		return bad("control-fd", "", "must differ from --lease-fd");
	for (int i = 0; i < opt->n_input_fds; i++) {
		int fd = opt->input_fds[i];
		if (fd == opt->lease_fd || fd == opt->ready_fd || fd == opt->control_fd) {
			char s[16];
			snprintf(s, sizeof(s), "%d", fd);
			return bad("input-fd", s,
				   "must differ from --lease-fd, --ready-fd and --control-fd");
		}
	}
	return 0;
}
