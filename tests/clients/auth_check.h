/* DRM authentication checks for lease holders: a second fd on the card, its
 * magic, and whether the card's master authenticated it. */
#ifndef LC_AUTH_CHECK_H
#define LC_AUTH_CHECK_H

#include <stdint.h>

/* Opens path again (neither master nor authenticated while the broker is
 * master) and gets its magic. Returns the fd or -errno. */
int auth_check_open(const char *path, uint32_t *magic);
/* 1 when fd is authenticated, 0 when a DRM_AUTH ioctl is refused with
 * EACCES, -errno on any other failure. The probe is GEM_FLINK of a small
 * dumb buffer (both DRM_AUTH-only on Linux 6.1; creating the buffer is
 * not), destroyed again at once. */
int auth_check_is_authenticated(int fd);

#endif
