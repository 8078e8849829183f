#include "clock.h"
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A connection has two watches and a handful of timeouts; the shim has at
 * most three fds of its own. Fixed tables keep the loop allocation-free. */
#define LOOP_MAX_WATCHES 8
#define LOOP_MAX_TIMEOUTS 16
#define LOOP_MAX_FDS 8

struct loop_timeout {
	DBusTimeout *timeout;
	uint64_t deadline_ms;
};

struct loop_fd {
	int fd;
	short events;
	loop_fd_fn fn;
	void *data;
};

struct loop {
	DBusConnection *conn;
	DBusWatch *watches[LOOP_MAX_WATCHES];
	int n_watches;
	struct loop_timeout timeouts[LOOP_MAX_TIMEOUTS];
	int n_timeouts;
	struct loop_fd fds[LOOP_MAX_FDS];
	int n_fds;
};

struct loop *loop_create(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_destroy(struct loop *loop)
{
	if (!loop)
		return;
	loop_detach_dbus(loop);
	free(loop);
}

static dbus_bool_t add_watch(DBusWatch *watch, void *data)
{
	struct loop *loop = data;
	if (loop->n_watches >= LOOP_MAX_WATCHES) {
		lc_err("loop: too many D-Bus watches");
		return FALSE;
	}
	loop->watches[loop->n_watches++] = watch;
	return TRUE;
}

static void remove_watch(DBusWatch *watch, void *data)
{
	struct loop *loop = data;
	for (int i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i] == watch) {
			loop->watches[i] = loop->watches[--loop->n_watches];
			return;
		}
	}
}

static void toggle_watch(DBusWatch *watch, void *data)
{
	/* Enabled state is read from the watch at every poll. */
}

static void arm_timeout(struct loop_timeout *t)
{
	t->deadline_ms = (uint64_t)lc_now_ms() + (uint64_t)dbus_timeout_get_interval(t->timeout);
}

static dbus_bool_t add_timeout(DBusTimeout *timeout, void *data)
{
	struct loop *loop = data;
	if (loop->n_timeouts >= LOOP_MAX_TIMEOUTS) {
		lc_err("loop: too many D-Bus timeouts");
		return FALSE;
	}
	struct loop_timeout *t = &loop->timeouts[loop->n_timeouts++];
	t->timeout = timeout;
	arm_timeout(t);
	return TRUE;
}

static void remove_timeout(DBusTimeout *timeout, void *data)
{
	struct loop *loop = data;
	for (int i = 0; i < loop->n_timeouts; i++) {
		if (loop->timeouts[i].timeout == timeout) {
			loop->timeouts[i] = loop->timeouts[--loop->n_timeouts];
			return;
		}
	}
}

static void toggle_timeout(DBusTimeout *timeout, void *data)
{
	struct loop *loop = data;
	for (int i = 0; i < loop->n_timeouts; i++)
		if (loop->timeouts[i].timeout == timeout)
			arm_timeout(&loop->timeouts[i]);
}

int loop_attach_dbus(struct loop *loop, DBusConnection *conn)
{
	loop->conn = conn;
	if (!dbus_connection_set_watch_functions(conn, add_watch, remove_watch, toggle_watch, loop,
						 NULL) ||
	    !dbus_connection_set_timeout_functions(conn, add_timeout, remove_timeout,
						   toggle_timeout, loop, NULL)) {
		loop->conn = NULL;
		return -ENOMEM;
	}
	return 0;
}

void loop_detach_dbus(struct loop *loop)
{
	if (!loop->conn)
		return;
	dbus_connection_set_watch_functions(loop->conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_timeout_functions(loop->conn, NULL, NULL, NULL, NULL, NULL);
	loop->conn = NULL;
	loop->n_watches = 0;
	loop->n_timeouts = 0;
}

int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *data)
{
	if (loop->n_fds >= LOOP_MAX_FDS)
		return -ENOSPC;
	loop->fds[loop->n_fds++] = (struct loop_fd){
		.fd = fd, .events = events, .fn = fn, .data = data};
	return 0;
}

void loop_remove_fd(struct loop *loop, int fd)
{
	for (int i = 0; i < loop->n_fds; i++) {
		if (loop->fds[i].fd == fd) {
			memmove(&loop->fds[i], &loop->fds[i + 1],
				(size_t)(loop->n_fds - i - 1) * sizeof(loop->fds[0]));
			loop->n_fds--;
			return;
		}
	}
}

static void dispatch_dbus(struct loop *loop)
{
	while (loop->conn &&
	       dbus_connection_get_dispatch_status(loop->conn) == DBUS_DISPATCH_DATA_REMAINS)
		dbus_connection_dispatch(loop->conn);
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
	/* Messages read during a blocking call (caller credentials) wait in
	 * libdbus' queue, not on the socket: dispatch them before sleeping. */
	dispatch_dbus(loop);

	struct pollfd pfds[LOOP_MAX_WATCHES + LOOP_MAX_FDS];
	DBusWatch *pwatch[LOOP_MAX_WATCHES + LOOP_MAX_FDS];
	loop_fd_fn pfn[LOOP_MAX_WATCHES + LOOP_MAX_FDS];
	void *pdata[LOOP_MAX_WATCHES + LOOP_MAX_FDS];
	int n = 0;
	for (int i = 0; i < loop->n_watches; i++) {
		DBusWatch *w = loop->watches[i];
		if (!dbus_watch_get_enabled(w))
			continue;
		unsigned flags = dbus_watch_get_flags(w);
		pfds[n] = (struct pollfd){
			.fd = dbus_watch_get_unix_fd(w),
			.events = (short)(((flags & DBUS_WATCH_READABLE) ? POLLIN : 0) |
					  ((flags & DBUS_WATCH_WRITABLE) ? POLLOUT : 0))};
		pwatch[n] = w;
		pfn[n] = NULL;
		n++;
	}
	for (int i = 0; i < loop->n_fds; i++) {
		pfds[n] = (struct pollfd){.fd = loop->fds[i].fd, .events = loop->fds[i].events};
		pwatch[n] = NULL;
		pfn[n] = loop->fds[i].fn;
		pdata[n] = loop->fds[i].data;
		n++;
	}

	uint64_t now = (uint64_t)lc_now_ms();
	for (int i = 0; i < loop->n_timeouts; i++) {
		if (!dbus_timeout_get_enabled(loop->timeouts[i].timeout))
			continue;
		uint64_t d = loop->timeouts[i].deadline_ms;
		int left = d <= now ? 0 : (d - now > INT32_MAX ? INT32_MAX : (int)(d - now));
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = left;
	}

	int r = poll(pfds, (nfds_t)n, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;

	for (int i = 0; i < n && r > 0; i++) {
		if (!pfds[i].revents)
			continue;
		if (pwatch[i]) {
			/* An earlier handler may have removed this watch. */
			bool present = false;
			for (int j = 0; j < loop->n_watches; j++)
				present |= loop->watches[j] == pwatch[i];
			if (!present)
				continue;
			unsigned flags = ((pfds[i].revents & POLLIN) ? DBUS_WATCH_READABLE : 0) |
					 ((pfds[i].revents & POLLOUT) ? DBUS_WATCH_WRITABLE : 0) |
					 ((pfds[i].revents & POLLHUP) ? DBUS_WATCH_HANGUP : 0) |
					 ((pfds[i].revents & POLLERR) ? DBUS_WATCH_ERROR : 0);
			dbus_watch_handle(pwatch[i], flags);
		} else {
			bool present = false;
			for (int j = 0; j < loop->n_fds; j++)
				present |= loop->fds[j].fd == pfds[i].fd &&
					   loop->fds[j].fn == pfn[i];
			if (present)
				pfn[i](pdata[i], pfds[i].fd, pfds[i].revents);
		}
	}

	now = (uint64_t)lc_now_ms();
	for (int i = 0; i < loop->n_timeouts; i++) {
		struct loop_timeout *t = &loop->timeouts[i];
		if (dbus_timeout_get_enabled(t->timeout) && t->deadline_ms <= now) {
			arm_timeout(t);
			dbus_timeout_handle(t->timeout);
			/* handle() may remove timeouts: restart the scan safely. */
			break;
		}
	}
	dispatch_dbus(loop);
	return 0;
}
