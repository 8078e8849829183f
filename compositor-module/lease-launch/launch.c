#include "clock.h"
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "authmagic_server.h"
#include "helpers.h"
#include "lease.h"
#include "log.h"
#include "mode_watch.h"
#include "session.h"

struct launch {
	const struct ll_options *o;
	struct ll_lease *lease;
	struct ll_session session;
	struct ll_authmagic_server authmagic;
	bool authmagic_on;
	pid_t bus_pid, shim_pid, comp_pid;
	/* --on-preferred-mode: one command at a time; a change seen while it
	 * runs starts it again once it is done (with the newest mode). */
	struct ll_mode_watch modes;
	pid_t mode_cmd_pid;
	bool mode_cmd_due;
	char bus_conf_dir[64];
	int control_fd; /* write end of the shim's control pipe */
	int sig_fd;
	int comp_status;
	bool comp_exited, lease_ended;
	/* SIGTERM went to the compositor (ours or a forwarded one): it is
	 * ending, and a second SIGTERM would interrupt its clean-up (Mutter
	 * dies of one mid-shutdown); only kill_at escalates from here. */
	bool term_sent;
	int64_t term_at, kill_at; /* 0: not scheduled */
};

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void reap(struct launch *l)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == l->comp_pid) {
			l->comp_exited = true;
			l->comp_status = status;
			l->comp_pid = 0;
			if (WIFSIGNALED(status))
				lc_info("the compositor was killed by signal %d", WTERMSIG(status));
			else
				lc_info("the compositor exited with status %d", exit_code(status));
		} else if (pid == l->shim_pid) {
			l->shim_pid = 0;
			lc_warn("the logind shim exited (status %d)", exit_code(status));
			/* Without it the session is dead: end the compositor. */
			if (l->comp_pid > 0 && !l->term_at && !l->term_sent)
				l->term_at = lc_now_ms();
		} else if (pid == l->mode_cmd_pid) {
			l->mode_cmd_pid = 0;
			if (exit_code(status) != 0)
				lc_warn("--on-preferred-mode's command exited with status %d",
					exit_code(status));
			else
				lc_info("--on-preferred-mode's command done");
		} else if (pid == l->bus_pid) {
			l->bus_pid = 0;
			lc_warn("the private system bus exited (status %d)", exit_code(status));
			if (l->comp_pid > 0 && !l->term_at && !l->term_sent)
				l->term_at = lc_now_ms();
		}
	}
}

/* The lease is gone: the shim tells the compositor (PauseDevice "gone",
 * Active=false); the compositor gets term_grace_ms to leave on its own. */
static void lease_ended(struct launch *l)
{
	if (l->lease_ended)
		return;
	l->lease_ended = true;
	lc_info("lease ended: telling the session, the compositor has %d ms", l->o->term_grace_ms);
	ll_mode_watch_finish(&l->modes);
	l->mode_cmd_due = false;
	if (l->control_fd >= 0) {
		close(l->control_fd);
		l->control_fd = -1;
	}
	if (l->authmagic_on) {
		ll_authmagic_server_finish(&l->authmagic);
		l->authmagic_on = false;
	}
	if (!l->term_at && !l->term_sent)
		l->term_at = lc_now_ms() + l->o->term_grace_ms;
}

static void on_signal(struct launch *l)
{
	struct signalfd_siginfo si;
	while (read(l->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(l);
		} else if (l->comp_pid > 0) {
			lc_info("forwarding signal %u to the compositor", si.ssi_signo);
			kill(l->comp_pid, (int)si.ssi_signo);
			/* If it ignores a request to end: escalate. */
			bool ending = si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
				      si.ssi_signo == SIGHUP;
			if (ending) {
				l->term_sent = true;
				l->term_at = 0;
				if (!l->kill_at)
					l->kill_at = lc_now_ms() + l->o->kill_grace_ms;
			}
		}
	}
}

static void timers(struct launch *l)
{
	int64_t t = lc_now_ms();
	if (l->term_at && t >= l->term_at && l->comp_pid > 0) {
		lc_info("ending the compositor (SIGTERM)");
		kill(l->comp_pid, SIGTERM);
		l->term_sent = true;
		l->term_at = 0;
		if (!l->kill_at)
			l->kill_at = t + l->o->kill_grace_ms;
	}
	if (l->kill_at && t >= l->kill_at && l->comp_pid > 0) {
		lc_warn("the compositor did not exit: SIGKILL");
		kill(l->comp_pid, SIGKILL);
		l->kill_at = 0;
	}
}

/* The preferred mode changed: tell the compositor through the user's
 * command (sway has IPC for it; others may have nothing). */
static void run_mode_command(struct launch *l)
{
	if (l->mode_cmd_pid > 0 || l->comp_pid <= 0 || l->lease_ended)
		return;
	l->mode_cmd_due = false;
	char width[48], height[48], pid[48], mode[64];
	snprintf(width, sizeof(width), "LEASECAST_MODE_WIDTH=%u", l->modes.width);
	snprintf(height, sizeof(height), "LEASECAST_MODE_HEIGHT=%u", l->modes.height);
	snprintf(mode, sizeof(mode), "LEASECAST_MODE=%ux%u", l->modes.width, l->modes.height);
	snprintf(pid, sizeof(pid), "LEASECAST_COMPOSITOR_PID=%d", (int)l->comp_pid);
	char *env[] = {width, height, mode, pid, NULL};
	char *argv[] = {"/bin/sh", "-c", (char *)l->o->on_preferred_mode, NULL};
	l->mode_cmd_pid = ll_session_spawn(&l->session, l->o, &l->lease->info, l->o->private_bus,
					   argv, env);
	if (l->mode_cmd_pid < 0) {
		lc_err("--on-preferred-mode: fork: %s", strerror(errno));
		l->mode_cmd_pid = 0;
		return;
	}
	lc_info("--on-preferred-mode for %ux%u (pid %d)", l->modes.width, l->modes.height,
		(int)l->mode_cmd_pid);
}

/* --resume-on-preferred-mode: the shim cycles the session's Active (see
 * shim_cycle_active), after which Mutter re-reads KMS and configures the
 * new preferred mode. */
static void ask_shim_resume(struct launch *l)
{
	static const char line[] = "resume\n";
	if (l->control_fd < 0 || l->lease_ended || l->comp_pid <= 0)
		return;
	/* A pipe write this short is atomic; a full pipe (the shim stuck)
	 * loses one nudge, never blocks the launcher. */
	if (write(l->control_fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1)
		lc_warn("--resume-on-preferred-mode: cannot tell the shim: %s", strerror(errno));
	else
		lc_info("--resume-on-preferred-mode for %ux%u: the session resumes", l->modes.width,
			l->modes.height);
}

static void watch_modes(struct launch *l)
{
	if (l->modes.fd < 0)
		return;
	if (ll_mode_watch_probe(&l->modes, lc_now_ms())) {
		if (l->o->resume_on_preferred_mode)
			ask_shim_resume(l);
		l->mode_cmd_due = l->o->on_preferred_mode != NULL;
	}
	if (l->mode_cmd_due)
		run_mode_command(l);
}

static int next_timeout(const struct launch *l)
{
	int64_t t = lc_now_ms(), next = -1;
	if (l->term_at)
		next = l->term_at;
	if (l->modes.fd >= 0 && (next < 0 || l->modes.next_at < next))
		next = l->modes.next_at;
	if (l->kill_at && (next < 0 || l->kill_at < next))
		next = l->kill_at;
	if (next < 0)
		return -1;
	return next <= t ? 0 : (int)(next - t);
}

static void loop(struct launch *l)
{
	while (!l->comp_exited) {
		struct pollfd p[3 + LL_AUTHMAGIC_MAX_CLIENTS];
		size_t n = 0;
		p[n++] = (struct pollfd){.fd = l->sig_fd, .events = POLLIN};
		size_t lease_i = n;
		if (!l->lease_ended)
			p[n++] = (struct pollfd){.fd = l->lease->impl->fd(l->lease),
						 .events = l->lease->impl->prepare(l->lease)};
		size_t am_i = n;
		if (l->authmagic_on)
			n += ll_authmagic_server_pollfds(&l->authmagic, p + n);
		int r = poll(p, n, next_timeout(l));
		if (r < 0 && errno != EINTR) {
			lc_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0) {
			if (p[0].revents)
				on_signal(l);
			if (!l->lease_ended && p[lease_i].revents &&
			    !l->lease->impl->dispatch(l->lease, p[lease_i].revents))
				lease_ended(l);
			if (l->authmagic_on && n > am_i)
				ll_authmagic_server_dispatch(&l->authmagic, p + am_i, n - am_i);
		}
		timers(l);
		watch_modes(l);
	}
}

static void teardown(struct launch *l)
{
	if (l->comp_pid > 0) {
		int st = ll_stop_process(l->comp_pid, l->o->kill_grace_ms);
		if (!l->comp_exited) {
			l->comp_exited = true;
			l->comp_status = st;
		}
		l->comp_pid = 0;
	}
	if (l->authmagic_on)
		ll_authmagic_server_finish(&l->authmagic);
	l->authmagic_on = false;
	if (l->control_fd >= 0)
		close(l->control_fd);
	l->control_fd = -1;
	if (l->mode_cmd_pid > 0)
		ll_stop_process(l->mode_cmd_pid, 3000);
	l->mode_cmd_pid = 0;
	ll_mode_watch_finish(&l->modes);
	/* The shim holds the only lease fd left: once it is gone and the
	 * lease object released, the broker takes the output back. */
	ll_stop_process(l->shim_pid, 3000);
	l->shim_pid = 0;
	ll_lease_destroy(l->lease);
	l->lease = NULL;
	ll_stop_process(l->bus_pid, 3000);
	l->bus_pid = 0;
	ll_bus_cleanup(l->bus_conf_dir);
	ll_session_cleanup(&l->session);
	if (l->sig_fd >= 0)
		close(l->sig_fd);
}

/* The lease is the session user's. The broker attributes a lease to the
 * credentials of the connection it came on (SO_PEERCRED, fixed at
 * connect()): its quotas, its STATUS (stream keys to the holder's uid and
 * root only) and RELEASE from another connection go by them. A root
 * lease-launch for --user U therefore asks as U (U's effective ids and
 * groups, which also open the broker's 0660 root:GROUP socket), so that two
 * users' desktops are two tenants rather than both root's. */
struct saved_ids {
	bool switched;
	gid_t *groups;
	int n_groups;
};

static int ask_as_user(const struct ll_session *s, struct saved_ids *sv)
{
	*sv = (struct saved_ids){0};
	if (geteuid() != 0 || s->uid == 0)
		return 0;
	int n = getgroups(0, NULL);
	if (n < 0 || !(sv->groups = calloc((size_t)n + 1, sizeof(gid_t))) ||
	    (sv->n_groups = getgroups(n, sv->groups)) < 0)
		goto fail;
	if (initgroups(s->user, s->gid) < 0 || setegid(s->gid) < 0 || seteuid(s->uid) < 0)
		goto fail;
	sv->switched = true;
	return 0;
fail:
	lc_err("cannot ask for the lease as %s: %s", s->user, strerror(errno));
	if (setegid(0) < 0 ||
	    setgroups((size_t)(sv->n_groups > 0 ? sv->n_groups : 0), sv->groups) < 0)
		lc_err("and cannot return to root's groups: %s", strerror(errno));
	free(sv->groups);
	sv->groups = NULL;
	return -1;
}

static int back_to_root(struct saved_ids *sv)
{
	int r = 0;
	if (sv->switched &&
	    (seteuid(0) < 0 || setegid(0) < 0 || setgroups((size_t)sv->n_groups, sv->groups) < 0)) {
		lc_err("cannot return to root after asking for the lease: %s", strerror(errno));
		r = -1;
	}
	free(sv->groups);
	*sv = (struct saved_ids){0};
	return r;
}

int ll_launch_run(const struct ll_options *o)
{
	struct launch l = {.o = o, .control_fd = -1, .sig_fd = -1, .modes = {.fd = -1}};
	int rc = 1;
	if (ll_session_init(&l.session, o->user) < 0)
		return 1;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A write to a shim that just died is EPIPE, not our death; children
	 * get every signal back to default (ll_child_reset_signals). */
	signal(SIGPIPE, SIG_IGN);
	l.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l.sig_fd < 0) {
		lc_err("signalfd: %s", strerror(errno));
		return 1;
	}

	int64_t t_request = realtime_ms();
	lc_info("lease requested at realtime_ms=%lld", (long long)t_request);
	struct saved_ids ids;
	if (ask_as_user(&l.session, &ids) < 0)
		goto out;
	l.lease = o->helix_socket ? ll_lease_helix_acquire(o->helix_socket, o->output, o->width,
							   o->height, o->ready_timeout_ms)
				  : ll_lease_wayland_acquire(o->wayland_socket, o->output, o->width,
							     o->height, o->ready_timeout_ms);
	if (back_to_root(&ids) < 0 || !l.lease)
		goto out;
	if (l.session.uid != geteuid())
		lc_info("the lease is %s's (uid %u), as the broker sees it", l.session.user,
			(unsigned)l.session.uid);
	l.lease->info.n_inputs = l.lease->n_inputs; /* the fds move on to the shim */
	lc_info("lease granted: connector=%s scanout=%d key=%s inputs=%zu after_ms=%lld",
		l.lease->info.connector,
		l.lease->info.scanout_id == LL_NO_SCANOUT ? -1 : (int)l.lease->info.scanout_id,
		l.lease->info.stream_key[0] ? "yes" : "none", l.lease->n_inputs,
		(long long)(realtime_ms() - t_request));
	for (size_t i = 0; i < l.lease->n_inputs; i++)
		lc_info("input device: %s %s", lc_lease_input_kind_name(l.lease->inputs[i].kind),
			l.lease->inputs[i].uniq);

	if (o->private_bus && ll_bus_start(o->bus_policy, o->ready_timeout_ms, &l.bus_pid,
					   l.bus_conf_dir, sizeof(l.bus_conf_dir)) < 0)
		goto out;

	char shim_buf[4096];
	const char *shim = ll_find_shim(o->shim, shim_buf, sizeof(shim_buf));
	int lease_fd = ll_lease_take_fd(l.lease);
	if (o->on_preferred_mode || o->resume_on_preferred_mode) {
		/* Our own copy, for the probes (mode_watch.h); closed when the
		 * lease ends, like the shim's. */
		int copy = fcntl(lease_fd, F_DUPFD_CLOEXEC, 3);
		int r = copy < 0 ? -errno
				 : ll_mode_watch_init(&l.modes, copy, l.lease->info.connector,
						      o->mode_probe_ms);
		if (r < 0) {
			lc_err("cannot watch %s on the lease: %s", l.lease->info.connector,
			       strerror(-r));
			close(lease_fd);
			goto out;
		}
		lc_info("watching %s's preferred mode (%ux%u now) every %d ms",
			l.lease->info.connector, l.modes.width, l.modes.height, o->mode_probe_ms);
	}
	struct lc_lease_input inputs[LC_LEASE_INPUT_MAX];
	size_t n_inputs = ll_lease_take_inputs(l.lease, inputs);
	int input_fds[LC_LEASE_INPUT_MAX];
	for (size_t i = 0; i < n_inputs; i++)
		input_fds[i] = inputs[i].fd;
	l.shim_pid = ll_shim_start(shim, lease_fd, input_fds, n_inputs, l.session.uid, o->card,
				   o->private_bus, o->ready_timeout_ms, &l.control_fd);
	/* From here on only the shim holds the lease fd and the input fds
	 * (its TakeDevice hands those to the compositor). */
	close(lease_fd);
	lc_lease_inputs_close(inputs, n_inputs);
	if (l.shim_pid < 0) {
		l.shim_pid = 0;
		goto out;
	}
	if (ll_session_write_files(&l.session, &l.lease->info) < 0)
		goto out;
	if (o->wlroots) {
		snprintf(l.session.authmagic_socket, sizeof(l.session.authmagic_socket),
			 "%s/leasecast-authmagic", l.session.runtime_dir);
		int r = ll_authmagic_server_init(&l.authmagic, l.session.authmagic_socket,
						 l.session.uid, l.session.gid, l.lease);
		if (r < 0) {
			lc_err("authmagic socket %s: %s", l.session.authmagic_socket, strerror(-r));
			l.session.authmagic_socket[0] = '\0';
			goto out;
		}
		l.authmagic_on = true;
	}
	l.comp_pid = ll_session_spawn(&l.session, o, &l.lease->info, o->private_bus, o->argv, NULL);
	if (l.comp_pid < 0) {
		lc_err("fork: %s", strerror(errno));
		l.comp_pid = 0;
		goto out;
	}
	lc_info("compositor %s started as %s (pid %d)", o->argv[0], l.session.user,
		(int)l.comp_pid);
	loop(&l);
	if (l.comp_exited)
		rc = exit_code(l.comp_status);
out:
	teardown(&l);
	if (l.comp_exited)
		rc = exit_code(l.comp_status);
	lc_info("done: exit status %d", rc);
	return rc;
}
