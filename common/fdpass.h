/* Passing file descriptors over Unix sockets (SCM_RIGHTS), strictly: a
 * receiver never leaks a descriptor it did not ask for. */
#ifndef LC_FDPASS_H
#define LC_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes in one sendmsg, with fd attached when fd >= 0.
 * Returns bytes sent or -errno. Never raises SIGPIPE. */
ssize_t lc_send_with_fd(int sock, const void *buf, size_t len, int fd);

/* Receives up to len bytes in one recvmsg. *fd is set to the one descriptor
 * that came with the data (close-on-exec), or -1. More than one descriptor,
 * or truncated control data, closes every received descriptor and returns
 * -EPROTO. Returns bytes received (0 at EOF) or -errno. */
ssize_t lc_recv_with_fd(int sock, void *buf, size_t len, int *fd);

#endif
