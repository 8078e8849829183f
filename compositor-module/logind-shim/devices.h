/* Devices the controller has taken with TakeDevice: the card (served from
 * the lease fd), the lease's input devices (served from the fds the
 * launcher gave, inputs.h) and allow-listed evdev nodes (opened by the
 * shim). */
#ifndef SHIM_DEVICES_H
#define SHIM_DEVICES_H

#include <stdbool.h>

#include "options.h"

#define SHIM_MAX_DEVICES 64

struct shim_device {
	unsigned major, minor;
	/* An allow-listed input node: the file the shim opened for it (revoked
	 * on release, as logind does); the card and --input-fd devices: -1
	 * (their files are not the shim's to take back). */
	int fd;
};

struct shim_devices {
	struct shim_device dev[SHIM_MAX_DEVICES];
	int n;
};

struct shim_device *devices_find(struct shim_devices *d, unsigned major, unsigned minor);
/* Returns NULL when the table is full. */
struct shim_device *devices_add(struct shim_devices *d, unsigned major, unsigned minor, int fd);
/* Closes (and for input, revokes) the device. */
void devices_remove(struct shim_devices *d, struct shim_device *dev);
void devices_clear(struct shim_devices *d);

bool devices_input_allowed(const struct shim_options *opt, unsigned major, unsigned minor);
/* Opens an evdev node by number via sysfs' DEVNAME; -errno on failure
 * (-ENODEV when it is not an event* node or does not exist). */
int devices_open_input(unsigned major, unsigned minor);

#endif
