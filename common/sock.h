/* Socket setup shared by the daemons: listening Unix sockets with the
 * project's permission policy, TCP endpoints, peer credentials. */
#ifndef LC_SOCK_H
#define LC_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct lc_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Binds a SOCK_STREAM listener at path (non-blocking, close-on-exec) with
 * mode and, if group is not (gid_t)-1, that group. A "<path>.lock" flock
 * guards against a second instance; a stale socket file is replaced only
 * when the lock is ours. *lock_fd receives the lock's fd (keep it open).
 * Returns the listening fd or -errno. */
int lc_unix_listen(const char *path, mode_t mode, gid_t group, int *lock_fd);
int lc_unix_connect(const char *path); /* blocking, close-on-exec */

/* Parses "host:port" or "[v6]:port" into host (NUL-terminated) and port. */
int lc_parse_hostport(const char *s, char *host, size_t host_len, uint16_t *port);
/* Listens on a numeric TCP address; non-blocking, close-on-exec, SO_REUSEADDR. */
int lc_tcp_listen(const char *host, uint16_t port);
/* Starts a non-blocking TCP connect to a numeric address. Returns the fd
 * (the connection may still be in progress: wait for POLLOUT and check
 * SO_ERROR with lc_sock_error) or -errno. */
int lc_tcp_connect_start(const char *host, uint16_t port);
int lc_sock_error(int fd); /* pending SO_ERROR as -errno, or 0 */
/* Waits up to timeout_ms for a connect begun by lc_tcp_connect_start to
 * end: 0 when connected, else -errno (-ETIMEDOUT). */
int lc_tcp_connect_wait(int fd, int timeout_ms);
/* Sends all len bytes on a non-blocking socket, waiting up to timeout_ms
 * for room each time it is full: 0, or -errno (-ETIMEDOUT). No SIGPIPE.
 * For tests and tools that block; daemons queue instead (netbuf.h). */
int lc_send_all(int fd, const void *buf, size_t len, int timeout_ms);
bool lc_addr_is_loopback(const char *host);

int lc_peer_get(int fd, struct lc_peer *peer);
int lc_set_nonblock(int fd);
/* Resolves a group name or number; (gid_t)-1 and -ENOENT when unknown. */
int lc_group_lookup(const char *name, gid_t *gid);
/* Counts the open fds of this process (for leak checks in tests and logs). */
int lc_count_open_fds(void);

#endif
