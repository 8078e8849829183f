/* Real parts for the shim's tests: a private system-like dbus-daemon in a
 * temp dir, the shim started on it with a stand-in lease fd, a control
 * pipe and a ready pipe. */
#ifndef SHIM_HARNESS_H
#define SHIM_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct harness {
	char dir[64]; /* temp dir, 0755 so other uids reach the bus */
	char run[96]; /* the shim's --runtime-root */
	char address[160];
	pid_t bus_pid;
	pid_t shim_pid;
	int lease_fd;  /* the harness' copy of the stand-in lease */
	int control_w; /* write end of the shim's --control-fd */
	char shim_log[128];
};

/* Starts the bus; -1 on failure (reason printed). The bus allows
 * everything, or, with a policy file, has system.conf's default policy
 * plus that file (as a system bus with system.d/ would). */
int harness_start_bus(struct harness *h);
int harness_start_bus_with_policy(struct harness *h, const char *policy_file);
/* Starts the shim with the standard test options plus extra (NULL-ended)
 * and waits for READY=1; -1 on failure. */
int harness_start_shim(struct harness *h, const char *const *extra);
/* The same, with fds[0..n) handed down as the shim's fds 6, 7, ... */
#define HARNESS_MAX_EXTRA_FDS 8
int harness_start_shim_fds(struct harness *h, const char *const *extra, const int *fds, int n);
/* Waits for the shim to exit; its status, or -1 after timeout_ms. */
int harness_wait_shim(struct harness *h, int timeout_ms);
/* Runs the shim to completion with the given argv tail, capturing stderr
 * into *err (caller frees); returns the exit status. */
int harness_run_shim(struct harness *h, const char *const *args, int lease_fd, char **err);
int harness_run_shim_fds(struct harness *h, const char *const *args, int lease_fd, const int *fds,
			 int n, char **err);
void harness_stop(struct harness *h);

bool harness_file_contains(const char *path, const char *needle);
bool harness_path_exists(const char *path);

#endif
