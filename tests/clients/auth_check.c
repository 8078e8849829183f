#include "auth_check.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xf86drm.h>

int auth_check_open(const char *path, uint32_t *magic)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	drm_magic_t m = 0;
	int r = drmGetMagic(fd, &m);
	if (r != 0) {
		r = -errno;
		close(fd);
		return r ? r : -EINVAL;
	}
	*magic = m;
	return fd;
}

int auth_check_is_authenticated(int fd)
{
	struct drm_mode_create_dumb create = {.width = 64, .height = 64, .bpp = 32};
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0)
		return -errno;
	struct drm_gem_flink flink = {.handle = create.handle};
	int r = drmIoctl(fd, DRM_IOCTL_GEM_FLINK, &flink) == 0 ? 1 : errno == EACCES ? 0 : -errno;
	struct drm_mode_destroy_dumb destroy = {.handle = create.handle};
	drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	return r;
}
