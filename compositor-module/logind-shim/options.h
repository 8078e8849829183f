/* The shim's command line: who the session belongs to, which fd is the
 * lease, where to write the sd-login/udev files and which bus to serve. */
#ifndef SHIM_OPTIONS_H
#define SHIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SHIM_MAX_INPUT_ALLOW 32
/* 15 leasable outputs, a keyboard and a tablet each, and room to spare. */
#define SHIM_MAX_INPUT_FDS 32

struct shim_input_allow {
	bool any_event;        /* "event*": every evdev node */
	unsigned major, minor; /* otherwise exactly this one */
};

struct shim_options {
	int lease_fd;
	const char *card_path;
	uid_t uid;
	const char *session_id;
	const char *seat_id;
	uint32_t vtnr;
	const char *session_type;
	struct shim_input_allow input_allow[SHIM_MAX_INPUT_ALLOW];
	int n_input_allow;
	int input_fds[SHIM_MAX_INPUT_FDS]; /* inherited evdev fds (--input-fd) */
	int n_input_fds;
	const char *runtime_root;
	const char *dev_root;    /* where missing input nodes are made (/dev) */
	const char *bus_address; /* NULL: the system bus */
	int ready_fd;
	int control_fd;
	int log_level;
	int grace_ms;
	int lease_check_ms;
	/* Test-only: the device number to serve instead of fstat(lease fd). */
	bool has_device_rdev;
	unsigned device_major, device_minor;
};

/* Returns 0 when the shim should run, 1 after --help, -1 on a bad command
 * line (the reason is printed). */
int shim_options_parse(struct shim_options *opt, int argc, char *argv[]);

/* systemd's rules, so sd-login accepts what the shim writes. */
bool shim_session_id_valid(const char *id);
bool shim_seat_id_valid(const char *id);
bool shim_session_type_valid(const char *type);

#endif
