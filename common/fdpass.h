/* Passing file descriptors over Unix sockets (SCM_RIGHTS), strictly: a
 * receiver never leaks a descriptor it did not ask for. */
#ifndef LC_FDPASS_H
#define LC_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message may carry here (a lease's input
 * devices: two per output, at most 16 outputs). */
#define LC_FDPASS_MAX_FDS 32

/* Sends len bytes in one sendmsg, with fd attached when fd >= 0.
 * Returns bytes sent or -errno. Never raises SIGPIPE. */
ssize_t lc_send_with_fd(int sock, const void *buf, size_t len, int fd);

/* The same with n descriptors (0..LC_FDPASS_MAX_FDS, else -EINVAL), as one
 * SCM_RIGHTS message attached to the first byte sent. */
ssize_t lc_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n);

/* Receives up to len bytes in one recvmsg. *fd is set to the one descriptor
 * that came with the data (close-on-exec), or -1. More than one descriptor,
 * or truncated control data, closes every received descriptor and returns
 * -EPROTO. Returns bytes received (0 at EOF) or -errno. */
ssize_t lc_recv_with_fd(int sock, void *buf, size_t len, int *fd);

/* The same for up to max descriptors: fds[0..*n) (close-on-exec, in the
 * order sent) are the caller's. More than max, or truncated control data,
 * closes every one and returns -EPROTO with *n = 0. */
ssize_t lc_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n);

#endif
