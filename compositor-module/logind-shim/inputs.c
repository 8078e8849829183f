#include "inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"

#define EVDEV_MAJOR 13

static bool has(const uint8_t *bits, size_t nbytes, unsigned bit)
{
	return bit / 8 < nbytes && (bits[bit / 8] >> (bit % 8)) & 1;
}
#define HAS(caps, field, bit) has((caps)->field, sizeof((caps)->field), (bit))

/* The classes udev's input_id builtin gives (systemd 252, Debian 12), by
 * its rules: libinput refuses a device without one, and takes the wrong
 * path with the wrong one (a pen-less "tablet" is rejected). QEMU's
 * virtio tablet (absolute X/Y and mouse buttons, no pen, no finger) is an
 * absolute mouse, as udev says of VMware's USB mouse. */
unsigned shim_input_classify(const struct shim_input_caps *c)
{
	unsigned classes = 0;
	if (!HAS(c, ev, EV_KEY))
		return 0; /* an accelerometer at most: nothing libinput serves */

	bool has_abs = HAS(c, ev, EV_ABS);
	bool abs_xy = has_abs && HAS(c, abs, ABS_X) && HAS(c, abs, ABS_Y);
	bool mt_xy = has_abs && HAS(c, abs, ABS_MT_POSITION_X) && HAS(c, abs, ABS_MT_POSITION_Y);
	bool pen = HAS(c, key, BTN_TOOL_PEN) || HAS(c, key, BTN_STYLUS);
	bool finger = HAS(c, key, BTN_TOOL_FINGER);
	bool touch = HAS(c, key, BTN_TOUCH);
	bool mouse_button = HAS(c, key, BTN_LEFT);
	bool direct = HAS(c, prop, INPUT_PROP_DIRECT);
	bool joystick = HAS(c, key, BTN_TRIGGER) || HAS(c, key, BTN_A) || HAS(c, key, BTN_1);
	if (abs_xy) {
		if (pen)
			classes |= SHIM_INPUT_TABLET;
		else if (finger && !direct)
			classes |= SHIM_INPUT_TOUCHPAD;
		else if (mouse_button && !joystick)
			classes |= SHIM_INPUT_MOUSE;
		else if (touch || direct)
			classes |= SHIM_INPUT_TOUCHSCREEN;
	}
	/* Multi-touch positions alone are never a mouse: QEMU's virtio
	 * multi-touch device has mouse buttons too, and is a touchscreen. */
	if (mt_xy) {
		if (pen)
			classes |= SHIM_INPUT_TABLET;
		else if (finger && !direct)
			classes |= SHIM_INPUT_TOUCHPAD;
		else if (touch || direct)
			classes |= SHIM_INPUT_TOUCHSCREEN;
	}
	if (HAS(c, ev, EV_REL) && HAS(c, rel, REL_X) && HAS(c, rel, REL_Y) && mouse_button)
		classes |= SHIM_INPUT_MOUSE;

	/* Keys proper: below BTN_MISC, or KEY_OK up to the trigger-happy
	 * buttons; not the BTN_* of pointers. */
	bool keys = false;
	for (unsigned k = 1; k < BTN_MISC && !keys; k++)
		keys = HAS(c, key, k);
	for (unsigned k = KEY_OK; k < BTN_TRIGGER_HAPPY && !keys; k++)
		keys = HAS(c, key, k);
	if (keys)
		classes |= SHIM_INPUT_KEY;
	/* A full keyboard has every key from Esc (1) to S (31): the first
	 * word of the bitmap but KEY_RESERVED. */
	bool full = true;
	for (unsigned k = KEY_ESC; k <= KEY_S && full; k++)
		full = HAS(c, key, k);
	if (full)
		classes |= SHIM_INPUT_KEYBOARD;
	return classes;
}

int shim_input_udev_props(unsigned classes, char *buf, size_t size)
{
	static const struct {
		unsigned class;
		const char *name;
	} names[] = {
		{SHIM_INPUT_KEY, "ID_INPUT_KEY"},
		{SHIM_INPUT_KEYBOARD, "ID_INPUT_KEYBOARD"},
		{SHIM_INPUT_MOUSE, "ID_INPUT_MOUSE"},
		{SHIM_INPUT_TABLET, "ID_INPUT_TABLET"},
		{SHIM_INPUT_TOUCHPAD, "ID_INPUT_TOUCHPAD"},
		{SHIM_INPUT_TOUCHSCREEN, "ID_INPUT_TOUCHSCREEN"},
	};
	int n = snprintf(buf, size, "E:ID_INPUT=1\n");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (classes & names[i].class)
			n += snprintf(buf + ((size_t)n < size ? (size_t)n : size),
				      (size_t)n < size ? size - (size_t)n : 0, "E:%s=1\n",
				      names[i].name);
	return n;
}

static void describe(unsigned classes, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", classes & SHIM_INPUT_KEYBOARD ? " keyboard" : "",
		 (classes & (SHIM_INPUT_KEY | SHIM_INPUT_KEYBOARD)) == SHIM_INPUT_KEY ? " keys"
										      : "",
		 classes & SHIM_INPUT_MOUSE ? " pointer" : "",
		 classes & SHIM_INPUT_TABLET ? " tablet" : "",
		 classes & SHIM_INPUT_TOUCHPAD ? " touchpad" : "",
		 classes & SHIM_INPUT_TOUCHSCREEN ? " touchscreen" : "");
	if (!buf[0])
		snprintf(buf, size, " (nothing libinput uses)");
}

/* Capabilities from the device itself, not a word from the command line:
 * what the compositor's libinput will find on the same fd. A failure (a
 * device revoked before the shim started) leaves the bitmaps empty. */
static void read_caps(int fd, struct shim_input_caps *c, char *name, size_t name_size, char *uniq,
		      size_t uniq_size)
{
	memset(c, 0, sizeof(*c));
	if (ioctl(fd, EVIOCGBIT(0, sizeof(c->ev)), c->ev) < 0 ||
	    ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(c->key)), c->key) < 0 ||
	    ioctl(fd, EVIOCGBIT(EV_REL, sizeof(c->rel)), c->rel) < 0 ||
	    ioctl(fd, EVIOCGBIT(EV_ABS, sizeof(c->abs)), c->abs) < 0 ||
	    ioctl(fd, EVIOCGPROP(sizeof(c->prop)), c->prop) < 0) {
		lc_warn("input fd %d: cannot read its capabilities: %s", fd, strerror(errno));
		memset(c, 0, sizeof(*c));
	}
	/* The ioctls return the length without a terminating NUL when the
	 * string fills the buffer. */
	memset(name, 0, name_size);
	memset(uniq, 0, uniq_size);
	if (ioctl(fd, EVIOCGNAME(name_size - 1), name) < 0)
		name[0] = '\0';
	if (ioctl(fd, EVIOCGUNIQ(uniq_size - 1), uniq) < 0)
		uniq[0] = '\0';
	for (char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	for (char *p = uniq; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int inputs_setup(struct shim_inputs *inputs, const int *fds, int n)
{
	memset(inputs, 0, sizeof(*inputs));
	if (n > SHIM_MAX_INPUT_FDS)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (fstat(fds[i], &st) < 0) {
			lc_err("--input-fd %d: %s", fds[i], strerror(errno));
			return -EBADF;
		}
		if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != EVDEV_MAJOR) {
			lc_err("--input-fd %d is not an evdev device node (char major 13)", fds[i]);
			return -ENODEV;
		}
		unsigned ma = major(st.st_rdev), mi = minor(st.st_rdev);
		/* EVIOCGVERSION answers only on evdev (not on js or mouse nodes,
		 * also major 13); ENODEV is a device already revoked, served as
		 * it is (the compositor's libinput then gives up on it). */
		int version;
		if (ioctl(fds[i], EVIOCGVERSION, &version) < 0 && errno != ENODEV) {
			lc_err("--input-fd %d (%u:%u) is not an evdev node: %s", fds[i], ma, mi,
			       strerror(errno));
			return -ENODEV;
		}
		if (inputs_find(inputs, ma, mi)) {
			lc_err("--input-fd %d: device %u:%u given twice", fds[i], ma, mi);
			return -EEXIST;
		}
		struct shim_input *in = &inputs->in[inputs->n];
		*in = (struct shim_input){.fd = -1, .major = ma, .minor = mi};
		struct shim_input_caps caps;
		read_caps(fds[i], &caps, in->name, sizeof(in->name), in->uniq, sizeof(in->uniq));
		in->classes = shim_input_classify(&caps);
		/* logind hands out non-blocking evdev fds and libinput reads
		 * until EAGAIN: a blocking one would stall the compositor. The
		 * flag is the open file's, the broker opens it so anyway. */
		int fl = fcntl(fds[i], F_GETFL);
		if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0)) {
			int r = -errno;
			lc_err("--input-fd %d: %s", fds[i], strerror(errno));
			return r;
		}
		in->fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (in->fd < 0) {
			int r = -errno;
			lc_err("--input-fd %d: %s", fds[i], strerror(errno));
			return r;
		}
		close(fds[i]);
		inputs->n++;
		char what[96];
		describe(in->classes, what, sizeof(what));
		lc_info("input %u:%u \"%s\" uniq \"%s\":%s", ma, mi, in->name, in->uniq, what);
	}
	return 0;
}

struct shim_input *inputs_find(struct shim_inputs *inputs, unsigned major, unsigned minor)
{
	for (int i = 0; i < inputs->n; i++)
		if (inputs->in[i].major == major && inputs->in[i].minor == minor)
			return &inputs->in[i];
	return NULL;
}

void inputs_close(struct shim_inputs *inputs)
{
	for (int i = 0; i < inputs->n; i++) {
		if (inputs->in[i].fd >= 0)
			close(inputs->in[i].fd);
		inputs->in[i].fd = -1;
	}
}
