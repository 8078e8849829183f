#define _GNU_SOURCE /* setresuid, initgroups */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"

int ll_session_init(struct ll_session *s, const char *user)
{
	memset(s, 0, sizeof(*s));
	struct passwd *pw;
	errno = 0;
	if (user) {
		char *end;
		unsigned long n = strtoul(user, &end, 10);
		pw = *user && !*end ? getpwuid((uid_t)n) : getpwnam(user);
	} else {
		pw = getpwuid(getuid());
	}
	if (!pw) {
		lc_err("unknown user %s", user ? user : "(self)");
		return -1;
	}
	if (user && pw->pw_uid != getuid() && geteuid() != 0) {
		lc_err("--user %s needs root", user);
		return -1;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	snprintf(s->user, sizeof(s->user), "%s", pw->pw_name);
	snprintf(s->home, sizeof(s->home), "%s", pw->pw_dir);
	snprintf(s->shell, sizeof(s->shell), "%s", pw->pw_shell);
	snprintf(s->runtime_dir, sizeof(s->runtime_dir), "/run/user/%u", (unsigned)s->uid);
	return 0;
}

static int write_user_file(const struct ll_session *s, const char *path, const char *content)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(content);
	int r = write(fd, content, len) == (ssize_t)len ? 0 : -EIO;
	if (r == 0 && fchown(fd, s->uid, s->gid) < 0 && geteuid() == 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int ll_session_write_files(struct ll_session *s, const struct ll_lease_info *info)
{
	if (mkdir("/run/user", 0755) < 0 && errno != EEXIST) {
		lc_err("mkdir /run/user: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (mkdir(s->runtime_dir, 0700) == 0) {
		s->created_runtime_dir = true;
		if (chown(s->runtime_dir, s->uid, s->gid) < 0) {
			lc_err("chown %s: %s", s->runtime_dir, strerror(errno));
			return -1;
		}
	} else if (errno != EEXIST) {
		lc_err("mkdir %s: %s", s->runtime_dir, strerror(errno));
		return -1;
	}
	if (lstat(s->runtime_dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != s->uid ||
	    (st.st_mode & 077)) {
		lc_err("%s is not a private directory of uid %u", s->runtime_dir, (unsigned)s->uid);
		return -1;
	}
	char text[256];
	snprintf(s->scanout_file, sizeof(s->scanout_file), "%s/helix-scanout-id", s->runtime_dir);
	snprintf(s->stream_file, sizeof(s->stream_file), "%s/leasecast-stream", s->runtime_dir);
	if (info->scanout_id != LL_NO_SCANOUT) {
		snprintf(text, sizeof(text), "%u\n", info->scanout_id);
		int r = write_user_file(s, s->scanout_file, text);
		if (r < 0) {
			lc_err("%s: %s", s->scanout_file, strerror(-r));
			return -1;
		}
	}
	/* The key is a capability: only the user reads this file. */
	snprintf(text, sizeof(text), "connector=%s\nscanout=%d\nkey=%s\n", info->connector,
		 info->scanout_id == LL_NO_SCANOUT ? -1 : (int)info->scanout_id, info->stream_key);
	int r = write_user_file(s, s->stream_file, text);
	if (r < 0) {
		lc_err("%s: %s", s->stream_file, strerror(-r));
		return -1;
	}
	return 0;
}

void ll_session_cleanup(struct ll_session *s)
{
	if (s->scanout_file[0])
		unlink(s->scanout_file);
	if (s->stream_file[0])
		unlink(s->stream_file);
	if (s->authmagic_socket[0])
		unlink(s->authmagic_socket);
	/* Only an empty dir we made: the compositor's sockets are its own
	 * to clean up, and a dir that was there before stays. */
	if (s->created_runtime_dir)
		rmdir(s->runtime_dir);
}

static void set_default(const char *name, const char *value)
{
	if (!getenv(name))
		setenv(name, value, 1);
}

/* LD_PRELOAD gets the wrapper in front of whatever was there. */
static void prepend_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	if (!old || !*old) {
		setenv("LD_PRELOAD", lib, 1);
		return;
	}
	size_t n = strlen(lib) + strlen(old) + 2;
	char *v = malloc(n);
	if (!v)
		_exit(127);
	snprintf(v, n, "%s:%s", lib, old);
	setenv("LD_PRELOAD", v, 1);
	free(v);
}

static void child_environment(const struct ll_session *s, const struct ll_options *o,
			      const struct ll_lease_info *info, bool private_bus)
{
	char num[32];
	setenv("USER", s->user, 1);
	setenv("LOGNAME", s->user, 1);
	setenv("HOME", s->home, 1);
	setenv("SHELL", s->shell, 1);
	setenv("XDG_RUNTIME_DIR", s->runtime_dir, 1);
	setenv("XDG_SESSION_ID", "c1", 1);
	setenv("XDG_SESSION_TYPE", "wayland", 1);
	setenv("XDG_SEAT", "seat0", 1);
	setenv("LIBSEAT_BACKEND", "logind", 1);
	if (private_bus)
		setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" LL_SYSTEM_BUS_SOCKET, 1);
	/* A compositor that sees a parent display nests instead of using DRM. */
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("WAYLAND_SOCKET");
	unsetenv("DISPLAY");
	setenv("LEASECAST_CONNECTOR", info->connector, 1);
	snprintf(num, sizeof(num), "%d",
		 info->scanout_id == LL_NO_SCANOUT ? -1 : (int)info->scanout_id);
	setenv("LEASECAST_SCANOUT_ID", num, 1);
	/* wlroots 0.15 with WLR_LIBINPUT_NO_DEVICES=1 (the default below, for
	 * a lease without input) leaves libinput's first devices unprocessed
	 * until one of them sends an event: not with the lease's devices. */
	if (o->wlroots && info->n_inputs > 0)
		set_default("WLR_LIBINPUT_NO_DEVICES", "0");
	if (o->wlroots) {
		/* virtio-gpu without 3D: no working render node, so no GLES2
		 * (vm-test-rig.md item 10); dumb buffers through pixman. The
		 * caller's own settings win. */
		set_default("WLR_RENDERER", "pixman");
		/* libinput for the lease's keyboard and pointer (TakeDevice on
		 * the shim); none at all is fine too (WLR_LIBINPUT_NO_DEVICES). */
		set_default("WLR_BACKENDS", "drm,libinput");
		set_default("WLR_LIBINPUT_NO_DEVICES", "1");
		set_default("WLR_DRM_DEVICES", o->card);
		if (s->authmagic_socket[0]) {
			setenv("LEASECAST_AUTHMAGIC_SOCKET", s->authmagic_socket, 1);
			prepend_preload(o->authmagic_lib);
		}
	}
}

pid_t ll_session_spawn(const struct ll_session *s, const struct ll_options *o,
		       const struct ll_lease_info *info, bool private_bus, char *const *argv,
		       char *const *env)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	ll_child_reset_signals();
	/* Its own session: our terminal's signals reach it through us, and
	 * its process group is what teardown sweeps. */
	setsid();
	child_environment(s, o, info, private_bus);
	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
	if (getuid() == 0 || geteuid() == 0) {
		if (initgroups(s->user, s->gid) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
		    setresuid(s->uid, s->uid, s->uid) < 0) {
			fprintf(stderr, "lease-launch: dropping privileges to %s failed: %s\n",
				s->user, strerror(errno));
			_exit(127);
		}
		if (s->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
			fprintf(stderr, "lease-launch: privileges not dropped\n");
			_exit(127);
		}
	}
	/* After the uid change, which clears it: lease-launch's death (even
	 * SIGKILL) ends the compositor. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if (chdir(s->home) < 0 && chdir("/") < 0)
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "lease-launch: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}
