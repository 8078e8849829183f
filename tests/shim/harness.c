#define _GNU_SOURCE /* pipe2 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char bus_conf[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>system</type>\n"
	"  <listen>unix:path=%s/bus</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"%s"
	"</busconfig>\n";

static const char allow_all[] = "  <policy context=\"default\">\n"
				"    <allow user=\"*\"/>\n"
				"    <allow own=\"*\"/>\n"
				"    <allow send_destination=\"*\"/>\n"
				"    <allow receive_sender=\"*\"/>\n"
				"  </policy>\n";

/* The default policy of Debian's /usr/share/dbus-1/system.conf. */
static const char system_policy[] =
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
	"    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
	"  </policy>\n"
	"  <include>%s</include>\n";

static const char *shim_path(void)
{
	const char *p = getenv("LC_SHIM");
	return p ? p : "leasecast-logind-shim";
}

static int read_line_timeout(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t n = 0;
	while (n + 1 < size) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

int harness_start_bus(struct harness *h)
{
	return harness_start_bus_with_policy(h, NULL);
}

int harness_start_bus_with_policy(struct harness *h, const char *policy_file)
{
	memset(h, 0, sizeof(*h));
	h->lease_fd = h->control_w = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/lc-shim-test-XXXXXX");
	if (!mkdtemp(h->dir) || chmod(h->dir, 0755) < 0) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(h->run, sizeof(h->run), "%s/run", h->dir);
	mkdir(h->run, 0755);
	snprintf(h->shim_log, sizeof(h->shim_log), "%s/shim.log", h->dir);

	char conf[128];
	snprintf(conf, sizeof(conf), "%s/bus.conf", h->dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	char policy[4096];
	if (policy_file)
		snprintf(policy, sizeof(policy), system_policy, policy_file);
	else
		snprintf(policy, sizeof(policy), "%s", allow_all);
	fprintf(f, bus_conf, h->dir, policy);
	fclose(f);

	int p[2];
	if (pipe(p) < 0)
		return -1;
	h->bus_pid = fork();
	if (h->bus_pid == 0) {
		dup2(p[1], 3);
		char conf_arg[160];
		snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", conf);
		execlp("dbus-daemon", "dbus-daemon", conf_arg, "--nofork", "--print-address=3",
		       (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	int r = read_line_timeout(p[0], h->address, sizeof(h->address), 10000);
	close(p[0]);
	if (r <= 0) {
		fprintf(stderr, "dbus-daemon did not print its address\n");
		return -1;
	}
	return 0;
}

static pid_t spawn_shim(struct harness *h, const char *const *args, int lease_fd, int ready_w,
			int control_r, int err_fd, const int *extra_fds, int n_extra)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Fixed fd numbers, as a launcher would hand them over: the lease,
	 * ready and control fds at 3, 4, 5, the extra ones from 6 on. */
	int fds[3 + HARNESS_MAX_EXTRA_FDS] = {lease_fd, ready_w, control_r};
	int nfd = 3;
	for (int i = 0; i < n_extra && i < HARNESS_MAX_EXTRA_FDS; i++)
		fds[nfd++] = extra_fds[i];
	/* Everything out of the way first, the log too: any of them may sit
	 * where another goes (under flock(1), fd 3 is the lock and the rest
	 * shift up). */
	for (int i = 0; i < nfd; i++)
		if (fds[i] >= 0)
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 40);
	err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 40);
	for (int i = 0; i < nfd; i++)
		if (fds[i] >= 0)
			dup2(fds[i], 3 + i);
	dup2(err_fd, 2);
	const char *argv[64];
	int n = 0;
	argv[n++] = shim_path();
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int harness_start_shim(struct harness *h, const char *const *extra)
{
	return harness_start_shim_fds(h, extra, NULL, 0);
}

int harness_start_shim_fds(struct harness *h, const char *const *extra, const int *fds, int n_fds)
{
	char lease[128], bus_arg[200];
	snprintf(lease, sizeof(lease), "%s/lease", h->dir);
	h->lease_fd = open(lease, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int ready[2], control[2];
	if (h->lease_fd < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(control, O_CLOEXEC) < 0)
		return -1;
	snprintf(bus_arg, sizeof(bus_arg), "%s", h->address);
	const char *args[48] = {
		"--lease-fd",   "3",     "--device-rdev", "226:0", "--ready-fd",     "4",
		"--control-fd", "5",     "--bus-address", bus_arg, "--runtime-root", h->run,
		"--uid",        "65534", "--input-allow", "13:99", "--log-level",    "debug"};
	int n = 18;
	for (int i = 0; extra && extra[i] && n < 47; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	int log = open(h->shim_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	h->shim_pid = spawn_shim(h, args, h->lease_fd, ready[1], control[0], log, fds, n_fds);
	close(log);
	close(ready[1]);
	close(control[0]);
	h->control_w = control[1];
	char line[32];
	int r = read_line_timeout(ready[0], line, sizeof(line), 10000);
	close(ready[0]);
	if (r < 0 || strcmp(line, "READY=1") != 0) {
		fprintf(stderr, "the shim did not report READY=1; its log (%s):\n", h->shim_log);
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "cat %s >&2", h->shim_log);
		if (system(cmd) < 0)
			perror("system");
		return -1;
	}
	return 0;
}

int harness_wait_shim(struct harness *h, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		int st;
		pid_t r = waitpid(h->shim_pid, &st, WNOHANG);
		if (r == h->shim_pid) {
			h->shim_pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

int harness_run_shim(struct harness *h, const char *const *args, int lease_fd, char **err)
{
	return harness_run_shim_fds(h, args, lease_fd, NULL, 0, err);
}

int harness_run_shim_fds(struct harness *h, const char *const *args, int lease_fd, const int *fds,
			 int n, char **err)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/run-shim.err", h->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid = spawn_shim(h, args, lease_fd, -1, -1, fd, fds, n);
	int st = 0;
	waitpid(pid, &st, 0);
	*err = calloc(1, 4096);
	if (pread(fd, *err, 4095, 0) < 0)
		(*err)[0] = '\0';
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kill_wait(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return;
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

void harness_stop(struct harness *h)
{
	kill_wait(&h->shim_pid);
	kill_wait(&h->bus_pid);
	if (h->lease_fd >= 0)
		close(h->lease_fd);
	if (h->control_w >= 0)
		close(h->control_w);
	h->lease_fd = h->control_w = -1;
	const char *keep = getenv("LC_KEEP");
	if (h->dir[0] && !(keep && *keep)) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) < 0)
			perror("system");
	}
}

bool harness_file_contains(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

bool harness_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
