#define _GNU_SOURCE /* pipe2 */
#include "clock.h"
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"

#ifndef LL_DEFAULT_SHIM
#define LL_DEFAULT_SHIM "/usr/local/libexec/leasecast/leasecast-logind-shim"
#endif

/* Debian's system.conf default policy: nobody may own names or call
 * methods unless a policy file (the shim's) allows it. */
static const char bus_conf[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>system</type>\n"
	"  <listen>unix:path=" LL_SYSTEM_BUS_SOCKET "</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow user=\"*\"/>\n"
	"    <deny own=\"*\"/>\n"
	"    <deny send_type=\"method_call\"/>\n"
	"    <allow send_type=\"signal\"/>\n"
	"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
	"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
	"    <allow receive_type=\"method_call\"/>\n"
	"    <allow receive_type=\"method_return\"/>\n"
	"    <allow receive_type=\"error\"/>\n"
	"    <allow receive_type=\"signal\"/>\n"
	"    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
	"    <allow send_destination=\"org.freedesktop.DBus\""
	" send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
	"    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Peer\"/>\n"
	"  </policy>\n"
	"  <include>%s</include>\n"
	"</busconfig>\n";

static bool bus_answers(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", LL_SYSTEM_BUS_SOCKET);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* One line from fd before the deadline; -1 on EOF or timeout. */
static int read_line(int fd, char *buf, size_t size, int64_t deadline)
{
	size_t n = 0;
	while (n + 1 < size) {
		int64_t left = deadline - lc_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0)
			return -1;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t k = read(fd, buf + n, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

void ll_child_reset_signals(void)
{
	sigset_t all;
	sigfillset(&all);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}

/* In a child: fd `from` becomes `to`, without close-on-exec. */
static void child_fd(int from, int to)
{
	if (from == to) {
		fcntl(to, F_SETFD, 0);
		return;
	}
	if (dup2(from, to) < 0)
		_exit(127);
}

int ll_bus_start(const char *policy_file, int timeout_ms, pid_t *pid, char *conf_dir,
		 size_t conf_len)
{
	*pid = 0;
	conf_dir[0] = '\0';
	if (bus_answers()) {
		lc_info("a system bus answers at %s: using it", LL_SYSTEM_BUS_SOCKET);
		return 0;
	}
	if (access(policy_file, R_OK) < 0) {
		lc_err("bus policy %s: %s", policy_file, strerror(errno));
		return -1;
	}
	if (mkdir("/run/dbus", 0755) < 0 && errno != EEXIST) {
		lc_err("mkdir /run/dbus: %s", strerror(errno));
		return -1;
	}
	unlink(LL_SYSTEM_BUS_SOCKET); /* stale: nothing answered on it */
	snprintf(conf_dir, conf_len, "/run/lease-launch.XXXXXX");
	if (!mkdtemp(conf_dir)) {
		lc_err("mkdtemp: %s", strerror(errno));
		conf_dir[0] = '\0';
		return -1;
	}
	char conf[PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/system-bus.conf", conf_dir);
	FILE *f = fopen(conf, "we");
	if (!f || fprintf(f, bus_conf, policy_file) < 0 || fclose(f) != 0) {
		lc_err("writing %s failed", conf);
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		ll_child_reset_signals();
		child_fd(p[1], 3);
		char arg_conf[PATH_MAX + 32];
		snprintf(arg_conf, sizeof(arg_conf), "--config-file=%s", conf);
		execlp("dbus-daemon", "dbus-daemon", arg_conf, "--nofork", "--nopidfile",
		       "--print-address=3", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char line[512];
	int r = read_line(p[0], line, sizeof(line), lc_now_ms() + timeout_ms);
	close(p[0]);
	if (r <= 0) {
		lc_err("the private system bus did not start");
		ll_stop_process(child, 1000);
		return -1;
	}
	*pid = child;
	lc_info("private system bus %s (pid %d)", line, (int)child);
	return 0;
}

void ll_bus_cleanup(const char *conf_dir)
{
	if (!conf_dir[0])
		return;
	char conf[PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/system-bus.conf", conf_dir);
	unlink(conf);
	rmdir(conf_dir);
}

/* Where the shim finds its fds: 3, 4, 5, then the input fds. Sources are
 * first moved at or above this, so that no dup2 onto 3.. clobbers one. */
#define SHIM_FIRST_INPUT_FD 6
#define SHIM_SAFE_FD (SHIM_FIRST_INPUT_FD + LC_FDPASS_MAX_FDS + 16)

pid_t ll_shim_start(const char *shim, int lease_fd, const int *input_fds, size_t n_inputs,
		    uid_t uid, const char *card, bool bus_env, int timeout_ms, int *control_fd)
{
	if (n_inputs > LC_FDPASS_MAX_FDS)
		return -1;
	int ready[2], control[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(control, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	pid_t child = fork();
	if (child == 0) {
		ll_child_reset_signals();
		/* Through free numbers first, so no target clobbers a source. */
		int a = fcntl(lease_fd, F_DUPFD_CLOEXEC, SHIM_SAFE_FD),
		    b = fcntl(ready[1], F_DUPFD_CLOEXEC, SHIM_SAFE_FD),
		    c = fcntl(control[0], F_DUPFD_CLOEXEC, SHIM_SAFE_FD);
		int in[LC_FDPASS_MAX_FDS];
		for (size_t i = 0; i < n_inputs; i++)
			if ((in[i] = fcntl(input_fds[i], F_DUPFD_CLOEXEC, SHIM_SAFE_FD)) < 0)
				_exit(127);
		if (a < 0 || b < 0 || c < 0)
			_exit(127);
		child_fd(a, 3);
		child_fd(b, 4);
		child_fd(c, 5);
		for (size_t i = 0; i < n_inputs; i++)
			child_fd(in[i], SHIM_FIRST_INPUT_FD + (int)i);
		if (bus_env)
			setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" LL_SYSTEM_BUS_SOCKET, 1);
		char uid_s[16];
		snprintf(uid_s, sizeof(uid_s), "%u", (unsigned)uid);
		const char *level = lc_log_get_level() >= LC_LOG_DEBUG ? "debug" : "info";
		/* --input-fd only when there are input fds: a shim that predates
		 * it refuses the option, and a lease without devices needs none. */
		char in_s[LC_FDPASS_MAX_FDS][12];
		const char *argv[16 + 2 * LC_FDPASS_MAX_FDS];
		size_t k = 0;
		const char *fixed[] = {shim,  "--lease-fd",      "3",  "--ready-fd",
				       "4",   "--control-fd",    "5",  "--uid",
				       uid_s, "--lease-fd-card", card, "--log-level",
				       level};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			argv[k++] = fixed[i];
		for (size_t i = 0; i < n_inputs; i++) {
			snprintf(in_s[i], sizeof(in_s[i]), "%d", SHIM_FIRST_INPUT_FD + (int)i);
			argv[k++] = "--input-fd";
			argv[k++] = in_s[i];
		}
		argv[k] = NULL;
		execv(shim, (char *const *)argv);
		_exit(127);
	}
	close(ready[1]);
	close(control[0]);
	if (child < 0) {
		close(ready[0]);
		close(control[1]);
		return -1;
	}
	char line[128];
	int r = read_line(ready[0], line, sizeof(line), lc_now_ms() + timeout_ms);
	close(ready[0]);
	if (r < 0 || strcmp(line, "READY=1") != 0) {
		lc_err("the logind shim (%s) did not get ready", shim);
		close(control[1]);
		ll_stop_process(child, 1000);
		return -1;
	}
	/* Lines to the shim ("resume") must never block the launcher's loop. */
	fcntl(control[1], F_SETFL, O_NONBLOCK);
	*control_fd = control[1];
	lc_info("logind shim ready (pid %d)", (int)child);
	return child;
}

int ll_stop_process(pid_t pid, int kill_ms)
{
	if (pid <= 0)
		return -1;
	int status = 0;
	kill(pid, SIGTERM);
	int64_t deadline = lc_now_ms() + kill_ms;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (lc_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return status;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

const char *ll_find_shim(const char *explicit_path, char *buf, size_t len)
{
	if (explicit_path)
		return explicit_path;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/leasecast-logind-shim", self);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return LL_DEFAULT_SHIM;
}
