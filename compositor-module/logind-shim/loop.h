/* The shim's one event loop: poll(2) over libdbus' watches and timeouts and
 * the shim's own fds (signals, control fd). No threads. */
#ifndef SHIM_LOOP_H
#define SHIM_LOOP_H

#include <dbus/dbus.h>
#include <stdint.h>

struct loop;
typedef void (*loop_fd_fn)(void *data, int fd, short revents);

struct loop *loop_create(void);
void loop_destroy(struct loop *loop);

/* Hands the connection's watches and timeouts to the loop; the loop also
 * dispatches the connection's incoming messages after every wakeup. */
int loop_attach_dbus(struct loop *loop, DBusConnection *conn);
void loop_detach_dbus(struct loop *loop);

int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *data);
void loop_remove_fd(struct loop *loop, int fd);

/* One poll round; timeout_ms < 0 waits for an event. Returns -errno on a
 * poll failure other than EINTR. */
int loop_run_once(struct loop *loop, int timeout_ms);

#endif
