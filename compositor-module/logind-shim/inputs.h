/* Input devices handed to the shim as open evdev fds (--input-fd, from
 * lease-launch, which got them from the broker with the lease). The shim
 * owns one copy of each for the session's life and serves it from
 * TakeDevice(13, minor) as that same open file, so the broker's
 * EVIOCREVOKE at lease end reaches every process that got it. It never
 * revokes them itself (the broker does) and never opens a node. It also
 * tells what kind of device each is, as udev's input_id builtin would,
 * for the udev database entries libinput needs (files.c). */
#ifndef SHIM_INPUTS_H
#define SHIM_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* The ID_INPUT_* classes libinput acts on (ID_INPUT=1 is always set). */
enum shim_input_class {
	SHIM_INPUT_KEY = 1 << 0,      /* ID_INPUT_KEY: has keys */
	SHIM_INPUT_KEYBOARD = 1 << 1, /* ID_INPUT_KEYBOARD: Esc, digits, Q..S */
	SHIM_INPUT_MOUSE =
		1
		<< 2, /* ID_INPUT_MOUSE: relative, or absolute with mouse buttons (QEMU's tablet) */
	SHIM_INPUT_TABLET = 1 << 3,      /* ID_INPUT_TABLET: a pen */
	SHIM_INPUT_TOUCHPAD = 1 << 4,    /* ID_INPUT_TOUCHPAD */
	SHIM_INPUT_TOUCHSCREEN = 1 << 5, /* ID_INPUT_TOUCHSCREEN */
};

/* A device's capability bitmaps, as EVIOCGBIT/EVIOCGPROP return them. */
struct shim_input_caps {
	uint8_t ev[4];   /* EV_MAX 0x1f */
	uint8_t key[96]; /* KEY_MAX 0x2ff */
	uint8_t rel[2];  /* REL_MAX 0x0f */
	uint8_t abs[8];  /* ABS_MAX 0x3f */
	uint8_t prop[4]; /* INPUT_PROP_MAX 0x1f */
};

/* The classes of a device with these capabilities (0: none libinput uses). */
unsigned shim_input_classify(const struct shim_input_caps *caps);

/* "ID_INPUT_KEY=1" style udev properties, one "E:NAME=1\n" line each, for
 * the classes; returns the length written (or needed, as snprintf). */
int shim_input_udev_props(unsigned classes, char *buf, size_t size);

struct shim_input {
	int fd; /* the shim's copy; -1 once the lease has ended */
	unsigned major, minor;
	unsigned classes;
	char name[80], uniq[64]; /* for the logs */
};

struct shim_inputs {
	struct shim_input in[SHIM_MAX_INPUT_FDS];
	int n;
};

/* Takes over the inherited fds: each must be an evdev node (char major
 * 13) and no two the same device; moves each to a close-on-exec fd of the
 * shim's own and closes the inherited number. -errno on failure (logged). */
int inputs_setup(struct shim_inputs *inputs, const int *fds, int n);
struct shim_input *inputs_find(struct shim_inputs *inputs, unsigned major, unsigned minor);
/* Closes the shim's copies (the lease ended, or exit); the devices' numbers
 * and classes stay for the files. */
void inputs_close(struct shim_inputs *inputs);

#endif
