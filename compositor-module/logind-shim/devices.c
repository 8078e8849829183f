#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct shim_device *devices_find(struct shim_devices *d, unsigned major, unsigned minor)
{
	for (int i = 0; i < d->n; i++)
		if (d->dev[i].major == major && d->dev[i].minor == minor)
			return &d->dev[i];
	return NULL;
}

struct shim_device *devices_add(struct shim_devices *d, unsigned major, unsigned minor, int fd)
{
	if (d->n >= SHIM_MAX_DEVICES)
		return NULL;
	struct shim_device *dev = &d->dev[d->n++];
	*dev = (struct shim_device){.major = major, .minor = minor, .fd = fd};
	return dev;
}

void devices_remove(struct shim_devices *d, struct shim_device *dev)
{
	if (dev->fd >= 0) {
		/* The compositor holds the same open file: revoking it is the
		 * only way to take the device back, as logind does. */
		ioctl(dev->fd, EVIOCREVOKE, NULL);
		close(dev->fd);
	}
	*dev = d->dev[--d->n];
}

void devices_clear(struct shim_devices *d)
{
	while (d->n > 0)
		devices_remove(d, &d->dev[d->n - 1]);
}

bool devices_input_allowed(const struct shim_options *opt, unsigned major, unsigned minor)
{
	if (major != 13)
		return false;
	for (int i = 0; i < opt->n_input_allow; i++) {
		const struct shim_input_allow *a = &opt->input_allow[i];
		if (a->any_event || (a->major == major && a->minor == minor))
			return true;
	}
	return false;
}

int devices_open_input(unsigned major, unsigned minor)
{
	char path[96], line[256], node[300] = "";
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/uevent", major, minor);
	FILE *f = fopen(path, "re");
	if (!f)
		return -ENODEV;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "DEVNAME=", 8) == 0)
			snprintf(node, sizeof(node), "/dev/%s", line + 8);
	}
	fclose(f);
	/* logind hands out only evdev nodes among the input devices. */
	if (strncmp(node, "/dev/input/event", 16) != 0 || strstr(node, ".."))
		return -ENODEV;
	int fd = open(node, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(major, minor)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}
