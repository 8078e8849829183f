/* lease-launch's helper processes: the private system bus and the logind
 * shim. Each is started and made ready synchronously (bounded), then lives
 * until lease-launch stops it; lease-launch reaps them through SIGCHLD. */
#ifndef LL_HELPERS_H
#define LL_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LL_SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

/* A private dbus-daemon for the system bus at LL_SYSTEM_BUS_SOCKET, with the
 * Debian system bus' default policy plus policy_file. 0 with *pid = 0 when a
 * system bus already answers there; 0 with *pid when started; -1. */
int ll_bus_start(const char *policy_file, int timeout_ms, pid_t *pid, char *conf_dir,
		 size_t conf_len);
void ll_bus_cleanup(const char *conf_dir);

/* The shim as fd 3 = lease fd, 4 = ready pipe, 5 = control pipe (read
 * end; lease-launch keeps *control_fd, the write end: closing it tells the
 * shim the lease ended), and 6.. = the input fds, one `--input-fd N` each
 * (given only when there are some). Returns the pid once READY=1 arrived,
 * or -1. The caller keeps its copies of every fd. */
pid_t ll_shim_start(const char *shim, int lease_fd, const int *input_fds, size_t n_inputs,
		    uid_t uid, const char *card, bool bus_env, int timeout_ms, int *control_fd);

/* SIGTERM, then SIGKILL after kill_ms; waits. -1 if pid <= 0. Returns the
 * wait status. */
int ll_stop_process(pid_t pid, int kill_ms);

/* In a forked child before exec: default dispositions, nothing blocked
 * (lease-launch blocks the signals it reads through a signalfd). */
void ll_child_reset_signals(void);

/* The shim's path: explicit, next to our own executable, or installed. */
const char *ll_find_shim(const char *explicit_path, char *buf, size_t len);

#endif
