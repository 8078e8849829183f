/* The state of the one session the shim plays logind for, and its
 * lifecycle: start, lease revoked, controller gone, exit. */
#ifndef SHIM_H
#define SHIM_H

#include <dbus/dbus.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "devices.h"
#include "files.h"
#include "inputs.h"
#include "options.h"

#define SHIM_PATH_MAX 256

struct loop;

struct shim {
	struct shim_options opt;
	struct loop *loop;
	DBusConnection *conn;

	char session_path[SHIM_PATH_MAX];
	char seat_path[SHIM_PATH_MAX];
	char user_path[SHIM_PATH_MAX];
	char user_name[64];
	uint32_t user_gid;
	uint32_t leader;

	int lease_fd; /* the shim's own dup, for the session's life */
	unsigned card_major, card_minor;
	bool card_is_drm; /* a real DRM node: poll it for revocation */

	struct shim_inputs inputs; /* --input-fd devices, the shim's copies */
	char *controller;          /* unique bus name, NULL when uncontrolled */
	struct shim_devices devices;
	char type[16];
	bool active;
	bool revoked;
	bool idle_hint, locked_hint;
	uint64_t idle_since_rt_us, idle_since_mono_us;
	uint64_t created_rt_us, created_mono_us;

	struct shim_files files;
	int signal_fd;
	int control_fd;
	char control_buf[64];
	size_t control_len;

	uint64_t exit_deadline_ms; /* after a revoke: give up on the controller */
	uint64_t next_lease_check_ms;
	bool quit;
	int exit_status;
};

int shim_init(struct shim *shim, const struct shim_options *opt);
/* Runs the loop until SIGTERM/SIGINT, the bus going away, or the end of a
 * revoked lease. Returns the exit status. */
int shim_run(struct shim *shim);
void shim_finish(struct shim *shim);

const char *shim_state(const struct shim *shim);

/* The lease ended from outside: tell the controller, go inactive, exit once
 * the compositor lets go (or after --grace-ms). */
void shim_lease_revoked(struct shim *shim, const char *why);

/* The session goes inactive and at once active again, as a VT switch away
 * and back looks to the compositor: compositors re-read their outputs on
 * resume (Mutter: a full KMS re-read and a new monitor configuration), the
 * only re-read a lessee gets when no udev event reaches it. No PauseDevice:
 * a lessee cannot drop master, and the input devices are the broker's open
 * files, not the shim's to revoke. Ignored unless active. */
void shim_cycle_active(struct shim *shim);

/* Drops the controller and frees its devices without signals (systemd's
 * session_release_controller(s, false)); reverts SetType. */
void shim_release_controller(struct shim *shim);

void shim_request_exit(struct shim *shim, int status);

#endif
