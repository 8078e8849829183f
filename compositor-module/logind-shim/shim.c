#include "clock.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <xf86drmMode.h>

#include "bus.h"
#include "buslabel.h"
#include "log.h"
#include "loop.h"

const char *shim_state(const struct shim *shim)
{
	return shim->revoked ? "closing" : shim->active ? "active" : "online";
}

void shim_request_exit(struct shim *shim, int status)
{
	shim->quit = true;
	if (status > shim->exit_status)
		shim->exit_status = status;
}

void shim_release_controller(struct shim *shim)
{
	if (!shim->controller)
		return;
	/* Like systemd: forget the controller first, then free its devices
	 * silently. The card's lease fd stays with the shim: a lease cannot be
	 * taken back from one holder without ending it for all. */
	free(shim->controller);
	shim->controller = NULL;
	devices_clear(&shim->devices);
	if (strcmp(shim->type, shim->opt.session_type) != 0) {
		snprintf(shim->type, sizeof(shim->type), "%s", shim->opt.session_type);
		bus_emit_properties_changed(shim, shim->session_path, &session_interface,
					    (const char *const[]){"Type", NULL});
	}
	files_write(shim);
	if (shim->revoked) {
		lc_info("the compositor let go of the ended lease: exiting");
		shim_request_exit(shim, 0);
	}
}

/* Active, and what follows from it: the seat's ActiveSession, the user's
 * State. */
static void emit_active(struct shim *shim)
{
	bus_emit_properties_changed(shim, shim->session_path, &session_interface,
				    (const char *const[]){"Active", "State", NULL});
	bus_emit_properties_changed(shim, shim->seat_path, &seat_interface,
				    (const char *const[]){"ActiveSession", NULL});
	bus_emit_properties_changed(shim, shim->user_path, &user_interface,
				    (const char *const[]){"State", NULL});
}

static void send_pause_device(struct shim *shim, unsigned major, unsigned minor, const char *type)
{
	DBusMessage *sig = dbus_message_new_signal(shim->session_path,
						   "org.freedesktop.login1.Session", "PauseDevice");
	dbus_uint32_t ma = major, mi = minor;
	if (!sig)
		return;
	/* Unicast, as logind does: only the controller may see its devices go. */
	if (!dbus_message_set_destination(sig, shim->controller) ||
	    !dbus_message_append_args(sig, DBUS_TYPE_UINT32, &ma, DBUS_TYPE_UINT32, &mi,
				      DBUS_TYPE_STRING, &type, DBUS_TYPE_INVALID)) {
		dbus_message_unref(sig);
		return;
	}
	bus_send(shim, sig);
}

void shim_lease_revoked(struct shim *shim, const char *why)
{
	if (shim->revoked)
		return;
	lc_info("the lease has ended (%s): deactivating session %s", why, shim->opt.session_id);
	shim->revoked = true;
	shim->active = false;
	if (shim->controller) {
		/* "gone" for the card, "force" (already paused) for input: the
		 * compositor then sees Active=false and stops. */
		while (shim->devices.n > 0) {
			struct shim_device *dev = &shim->devices.dev[shim->devices.n - 1];
			bool card = dev->major == shim->card_major &&
				    dev->minor == shim->card_minor;
			send_pause_device(shim, dev->major, dev->minor, card ? "gone" : "force");
			devices_remove(&shim->devices, dev);
		}
	}
	emit_active(shim);
	files_write(shim);
	if (shim->lease_fd >= 0) {
		close(shim->lease_fd);
		shim->lease_fd = -1;
	}
	/* The broker revokes the input devices' open files itself; the shim's
	 * copies only go, so that nothing of the ended lease stays here. */
	inputs_close(&shim->inputs);
	if (!shim->controller) {
		shim_request_exit(shim, 0);
		return;
	}
	shim->exit_deadline_ms = (uint64_t)lc_now_ms() + (uint64_t)shim->opt.grace_ms;
}

void shim_cycle_active(struct shim *shim)
{
	if (shim->revoked || !shim->active) {
		lc_info("resume asked for while the session is %s: ignored", shim_state(shim));
		return;
	}
	lc_info("session %s: inactive and active again (the outputs changed)",
		shim->opt.session_id);
	shim->active = false;
	emit_active(shim);
	shim->active = true;
	emit_active(shim);
	files_write(shim);
}

static void on_signal(void *data, int fd, short revents)
{
	struct shim *shim = data;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		lc_info("signal %u: exiting", si.ssi_signo);
		shim_request_exit(shim, 0);
	}
}

static void control_line(struct shim *shim, const char *line)
{
	if (strcmp(line, "revoked") == 0)
		shim_lease_revoked(shim, "the launcher says revoked");
	else if (strcmp(line, "resume") == 0)
		shim_cycle_active(shim);
	else if (*line)
		lc_warn("control fd: unknown line '%.40s' ignored", line);
}

static void on_control(void *data, int fd, short revents)
{
	struct shim *shim = data;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		loop_remove_fd(shim->loop, fd);
		close(fd);
		shim->control_fd = -1;
		shim_lease_revoked(shim, n == 0 ? "control fd closed" : "control fd failed");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			shim->control_buf[shim->control_len] = '\0';
			control_line(shim, shim->control_buf);
			shim->control_len = 0;
		} else if (shim->control_len + 1 < sizeof(shim->control_buf)) {
			shim->control_buf[shim->control_len++] = buf[i];
		} else {
			lc_warn("control fd: line too long, discarded");
			shim->control_len = 0;
		}
	}
}

/* A revoked lessee sees an empty lease: no connectors at all. The kernel
 * sends the lessee no event, so this is polled. */
static void check_lease(struct shim *shim)
{
	drmModeRes *res = drmModeGetResources(shim->lease_fd);
	bool alive = res && res->count_connectors > 0;
	drmModeFreeResources(res);
	if (!alive)
		shim_lease_revoked(shim, "no connectors left on the lease");
}

static int timeout_ms(struct shim *shim)
{
	uint64_t now = (uint64_t)lc_now_ms(), next = 0;
	if (shim->exit_deadline_ms)
		next = shim->exit_deadline_ms;
	if (shim->next_lease_check_ms && (!next || shim->next_lease_check_ms < next))
		next = shim->next_lease_check_ms;
	if (!next)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void tick(struct shim *shim)
{
	uint64_t now = (uint64_t)lc_now_ms();
	if (shim->exit_deadline_ms && now >= shim->exit_deadline_ms) {
		lc_warn("the compositor did not release control within %d ms of the lease ending: exiting",
			shim->opt.grace_ms);
		shim_request_exit(shim, 0);
	}
	if (shim->next_lease_check_ms && now >= shim->next_lease_check_ms) {
		if (!shim->revoked && shim->lease_fd >= 0)
			check_lease(shim);
		shim->next_lease_check_ms = shim->revoked
						    ? 0
						    : now + (uint64_t)shim->opt.lease_check_ms;
	}
}

static int setup_lease(struct shim *shim)
{
	const struct shim_options *o = &shim->opt;
	struct stat st;
	if (fstat(o->lease_fd, &st) < 0) {
		lc_err("--lease-fd %d: %s", o->lease_fd, strerror(errno));
		return -EBADF;
	}
	shim->lease_fd = fcntl(o->lease_fd, F_DUPFD_CLOEXEC, 3);
	if (shim->lease_fd < 0)
		return -errno;
	close(o->lease_fd);
	if (o->has_device_rdev) {
		lc_warn("--device-rdev %u:%u: serving fd %d as that device (tests only)",
			o->device_major, o->device_minor, o->lease_fd);
		shim->card_major = o->device_major;
		shim->card_minor = o->device_minor;
		return 0;
	}
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 226) {
		lc_err("--lease-fd %d is not a DRM device node", o->lease_fd);
		return -ENODEV;
	}
	shim->card_major = major(st.st_rdev);
	shim->card_minor = minor(st.st_rdev);
	shim->card_is_drm = true;
	/* libseat asks for stat(path).st_rdev, so the node must be this card. */
	struct stat pst;
	if (stat(o->card_path, &pst) < 0 || pst.st_rdev != st.st_rdev)
		lc_warn("%s is not %u:%u: compositors opening it will be refused the lease",
			o->card_path, shim->card_major, shim->card_minor);
	return 0;
}

static int setup_names(struct shim *shim)
{
	const struct shim_options *o = &shim->opt;
	char label[128];
	if (bus_label_escape(o->session_id, label, sizeof(label)) < 0)
		return -ENAMETOOLONG;
	snprintf(shim->session_path, sizeof(shim->session_path), LOGIN1_PATH "/session/%s", label);
	if (bus_label_escape(o->seat_id, label, sizeof(label)) < 0)
		return -ENAMETOOLONG;
	snprintf(shim->seat_path, sizeof(shim->seat_path), LOGIN1_PATH "/seat/%s", label);
	snprintf(shim->user_path, sizeof(shim->user_path), LOGIN1_PATH "/user/_%u",
		 (unsigned)o->uid);

	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(o->uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		snprintf(shim->user_name, sizeof(shim->user_name), "%s", pw.pw_name);
		shim->user_gid = pw.pw_gid;
	} else {
		lc_warn("uid %u has no passwd entry: using the number as its name",
			(unsigned)o->uid);
		snprintf(shim->user_name, sizeof(shim->user_name), "%u", (unsigned)o->uid);
		shim->user_gid = (uint32_t)o->uid;
	}
	return 0;
}

static void notify_ready(struct shim *shim)
{
	if (shim->opt.ready_fd >= 0) {
		static const char ready[] = "READY=1\n";
		if (write(shim->opt.ready_fd, ready, sizeof(ready) - 1) !=
		    (ssize_t)sizeof(ready) - 1)
			lc_warn("--ready-fd %d: %s", shim->opt.ready_fd, strerror(errno));
		close(shim->opt.ready_fd);
	}
	sd_notify(0, "READY=1");
}

int shim_init(struct shim *shim, const struct shim_options *opt)
{
	*shim = (struct shim){
		.opt = *opt, .lease_fd = -1, .signal_fd = -1, .control_fd = -1, .active = true};
	shim->created_rt_us = (uint64_t)(lc_clock_ns(CLOCK_REALTIME) / 1000);
	shim->created_mono_us = (uint64_t)(lc_clock_ns(CLOCK_MONOTONIC) / 1000);
	shim->leader = (uint32_t)getppid();
	snprintf(shim->type, sizeof(shim->type), "%s", opt->session_type);
	int r;
	if ((r = setup_lease(shim)) < 0 ||
	    (r = inputs_setup(&shim->inputs, opt->input_fds, opt->n_input_fds)) < 0 ||
	    (r = setup_names(shim)) < 0)
		return r;

	shim->loop = loop_create();
	if (!shim->loop)
		return -ENOMEM;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	shim->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (shim->signal_fd < 0 ||
	    loop_add_fd(shim->loop, shim->signal_fd, POLLIN, on_signal, shim) < 0)
		return -errno;
	if (opt->control_fd >= 0) {
		shim->control_fd = opt->control_fd;
		if (fcntl(shim->control_fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(shim->control_fd, F_SETFL,
			  fcntl(shim->control_fd, F_GETFL) | O_NONBLOCK) < 0) {
			lc_err("--control-fd %d: %s", opt->control_fd, strerror(errno));
			shim->control_fd = -1;
			return -EBADF;
		}
		loop_add_fd(shim->loop, shim->control_fd, POLLIN, on_control, shim);
	}
	if (opt->ready_fd >= 0 && fcntl(opt->ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
		lc_err("--ready-fd %d: %s", opt->ready_fd, strerror(errno));
		shim->opt.ready_fd = -1;
		return -EBADF;
	}

	/* The name first, so a second shim never touches this one's files;
	 * READY comes after both, which is when a launcher starts the
	 * compositor. */
	if ((r = bus_open(shim)) < 0 || (r = files_write(shim)) < 0)
		return r;
	if (shim->card_is_drm && opt->lease_check_ms > 0)
		shim->next_lease_check_ms = (uint64_t)lc_now_ms() + (uint64_t)opt->lease_check_ms;
	lc_info("session %s (uid %u, seat %s) on %s, card %u:%u, %d input device%s",
		opt->session_id, (unsigned)opt->uid, opt->seat_id, shim->session_path,
		shim->card_major, shim->card_minor, shim->inputs.n, shim->inputs.n == 1 ? "" : "s");
	notify_ready(shim);
	return 0;
}

int shim_run(struct shim *shim)
{
	while (!shim->quit) {
		int r = loop_run_once(shim->loop, timeout_ms(shim));
		if (r < 0) {
			lc_err("poll: %s", strerror(-r));
			return 1;
		}
		tick(shim);
	}
	return shim->exit_status;
}

void shim_finish(struct shim *shim)
{
	sd_notify(0, "STOPPING=1");
	if (shim->conn) {
		DBusMessage *sig = dbus_message_new_signal(
			LOGIN1_PATH, "org.freedesktop.login1.Manager", "SessionRemoved");
		const char *id = shim->opt.session_id, *path = shim->session_path;
		if (sig &&
		    dbus_message_append_args(sig, DBUS_TYPE_STRING, &id, DBUS_TYPE_OBJECT_PATH,
					     &path, DBUS_TYPE_INVALID))
			bus_send(shim, sig);
		else if (sig)
			dbus_message_unref(sig);
	}
	devices_clear(&shim->devices);
	inputs_close(&shim->inputs);
	free(shim->controller);
	shim->controller = NULL;
	files_remove(&shim->files);
	bus_close(shim);
	if (shim->loop) {
		if (shim->control_fd >= 0)
			loop_remove_fd(shim->loop, shim->control_fd);
		loop_destroy(shim->loop);
		shim->loop = NULL;
	}
	if (shim->control_fd >= 0)
		close(shim->control_fd);
	if (shim->signal_fd >= 0)
		close(shim->signal_fd);
	if (shim->lease_fd >= 0)
		close(shim->lease_fd);
	shim->control_fd = shim->signal_fd = shim->lease_fd = -1;
}
