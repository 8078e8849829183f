/* Tests of the logind shim's --input-fd (doc/leasecast-logind-shim.8):
 *
 *   shim-input-test class    udev's classes from capability bitmaps (no device)
 *   shim-input-test options  bad --input-fd values refused before the shim serves
 *   shim-input-test fd       real evdev devices through a real dbus-daemon
 *
 * "fd" acts as the broker and as the compositor: it opens evdev nodes as
 * the broker does (O_RDWR|O_NONBLOCK|O_CLOEXEC), hands them to the shim
 * with --input-fd, takes them with TakeDevice as libseat does, and checks
 * that the fd it gets is the same open file (its own EVIOCREVOKE kills the
 * taken one), that ReleaseDevice does not revoke, that other input
 * devices are refused, the udev database entries, and the lease's end.
 * Devices: LC_SHIM_EVDEV="PATH:keyboard PATH:pointer ..." (the rig's
 * virtio-input nodes), else two made with /dev/uinput, else skipped (77).
 * LC_SHIM points at the shim. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/kcmp.h>
#include <linux/uinput.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "harness.h"
#include "inputs.h"

void test_record(int ok, const char *file, int line, const char *what)
{
	check_record(ok, file, line, what);
}

#define SKIP 77
#define MAX_DEVS 4

static void set(uint8_t *bits, size_t n, unsigned bit)
{
	if (bit / 8 < n)
		bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
}
#define SET(caps, field, bit) set((caps)->field, sizeof((caps)->field), (bit))

/* ---- class: fixtures modelled on the devices' published capabilities --- */

static void qemu_keyboard(struct shim_input_caps *c)
{
	memset(c, 0, sizeof(*c));
	SET(c, ev, EV_KEY);
	SET(c, ev, EV_REP);
	SET(c, ev, EV_LED);
	for (unsigned k = KEY_ESC; k <= KEY_KPDOT; k++)
		SET(c, key, k);
	SET(c, key, KEY_LEFTMETA);
	SET(c, key, KEY_POWER);
}

static void qemu_tablet(struct shim_input_caps *c)
{
	memset(c, 0, sizeof(*c));
	SET(c, ev, EV_KEY);
	SET(c, ev, EV_ABS);
	SET(c, ev, EV_REL);
	SET(c, abs, ABS_X);
	SET(c, abs, ABS_Y);
	SET(c, rel, REL_WHEEL);
	unsigned buttons[] = {BTN_LEFT,  BTN_RIGHT,     BTN_MIDDLE,  BTN_SIDE,
			      BTN_EXTRA, BTN_GEAR_DOWN, BTN_GEAR_UP, BTN_TOUCH /* QEMU 8+ */};
	for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++)
		SET(c, key, buttons[i]);
}

static void case_class(void)
{
	struct shim_input_caps c;
	char buf[256];

	qemu_keyboard(&c);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_KEY | SHIM_INPUT_KEYBOARD);
	/* A tablet is an absolute mouse, never ID_INPUT_TABLET: libinput
	 * would reject a pen-less tablet. */
	qemu_tablet(&c);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_MOUSE);
	/* QEMU 7.2's tablet, without BTN_TOUCH, is the same. */
	c.key[BTN_TOUCH / 8] &= (uint8_t) ~(1u << (BTN_TOUCH % 8));
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_MOUSE);

	/* virtio-mouse: relative. */
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_KEY);
	SET(&c, ev, EV_REL);
	SET(&c, rel, REL_X);
	SET(&c, rel, REL_Y);
	SET(&c, rel, REL_WHEEL);
	SET(&c, key, BTN_LEFT);
	SET(&c, key, BTN_RIGHT);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_MOUSE);
	/* Relative axes without a mouse button: nothing. */
	c.key[BTN_LEFT / 8] = 0;
	CHECK_EQ(shim_input_classify(&c), 0);

	/* virtio-multitouch (QEMU 10): direct, multi-touch positions, and the
	 * same buttons as the tablet (BTN_LEFT too): a touchscreen. */
	qemu_tablet(&c);
	memset(c.abs, 0, sizeof(c.abs));
	c.ev[0] &= (uint8_t) ~(1u << EV_REL);
	SET(&c, ev, EV_KEY);
	SET(&c, ev, EV_ABS);
	SET(&c, prop, INPUT_PROP_DIRECT);
	SET(&c, abs, ABS_MT_SLOT);
	SET(&c, abs, ABS_MT_TRACKING_ID);
	SET(&c, abs, ABS_MT_POSITION_X);
	SET(&c, abs, ABS_MT_POSITION_Y);
	SET(&c, key, BTN_TOUCH);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_TOUCHSCREEN);

	/* A pen tablet, a touchpad. */
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_KEY);
	SET(&c, ev, EV_ABS);
	SET(&c, abs, ABS_X);
	SET(&c, abs, ABS_Y);
	SET(&c, abs, ABS_PRESSURE);
	SET(&c, key, BTN_TOOL_PEN);
	SET(&c, key, BTN_STYLUS);
	SET(&c, key, BTN_TOUCH);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_TABLET);
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_KEY);
	SET(&c, ev, EV_ABS);
	SET(&c, abs, ABS_X);
	SET(&c, abs, ABS_Y);
	SET(&c, key, BTN_TOOL_FINGER);
	SET(&c, key, BTN_TOUCH);
	SET(&c, key, BTN_LEFT);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_TOUCHPAD);

	/* A power button has keys but is no keyboard; a gamepad and an
	 * accelerometer are nothing libinput serves. */
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_KEY);
	SET(&c, key, KEY_POWER);
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_KEY);
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_KEY);
	SET(&c, ev, EV_ABS);
	SET(&c, abs, ABS_X);
	SET(&c, abs, ABS_Y);
	SET(&c, key, BTN_A);
	SET(&c, key, BTN_LEFT);
	CHECK_EQ(shim_input_classify(&c), 0);
	memset(&c, 0, sizeof(c));
	SET(&c, ev, EV_ABS);
	SET(&c, abs, ABS_X);
	SET(&c, abs, ABS_Y);
	SET(&c, abs, ABS_Z);
	CHECK_EQ(shim_input_classify(&c), 0);
	/* A keyboard missing one key of the first row is not a full one. */
	qemu_keyboard(&c);
	c.key[KEY_Q / 8] &= (uint8_t) ~(1u << (KEY_Q % 8));
	CHECK_EQ(shim_input_classify(&c), SHIM_INPUT_KEY);

	int n = shim_input_udev_props(SHIM_INPUT_KEY | SHIM_INPUT_KEYBOARD, buf, sizeof(buf));
	CHECK_STR(buf, "E:ID_INPUT=1\nE:ID_INPUT_KEY=1\nE:ID_INPUT_KEYBOARD=1\n");
	CHECK_EQ(n, (int)strlen(buf));
	shim_input_udev_props(SHIM_INPUT_MOUSE, buf, sizeof(buf));
	CHECK_STR(buf, "E:ID_INPUT=1\nE:ID_INPUT_MOUSE=1\n");
	shim_input_udev_props(0, buf, sizeof(buf));
	CHECK_STR(buf, "E:ID_INPUT=1\n");
	/* Truncation is reported as snprintf does, never overrun. */
	char small[8] = "xxxxxxx";
	n = shim_input_udev_props(SHIM_INPUT_TOUCHSCREEN | SHIM_INPUT_TABLET, small, 5);
	CHECK(n > 5 && strlen(small) == 4);
}

/* ---- options ---------------------------------------------------------- */

static void case_options(struct harness *h)
{
	char *err = NULL;
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	char run2[128];
	snprintf(run2, sizeof(run2), "%s/run2", h->dir);
	/* Not an evdev node: refused before anything is served or written. */
	int st = harness_run_shim_fds(
		h,
		(const char *const[]){"--lease-fd", "3", "--device-rdev", "226:0", "--bus-address",
				      h->address, "--runtime-root", run2, "--input-fd", "6", NULL},
		null_fd, &null_fd, 1, &err);
	CHECK(st == 1 && strstr(err, "--input-fd 6 is not an evdev device node"));
	free(err);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test -z \"$(find '%s' -type f 2>/dev/null)\"", run2);
	CHECK(system(cmd) == 0);
	/* Not open at all. */
	st = harness_run_shim_fds(
		h,
		(const char *const[]){"--lease-fd", "3", "--device-rdev", "226:0", "--bus-address",
				      h->address, "--runtime-root", run2, "--input-fd", "9", NULL},
		null_fd, NULL, 0, &err);
	CHECK(st == 1 && strstr(err, "--input-fd 9: Bad file descriptor"));
	free(err);
	static const char *const bad[][6] = {
		{"--input-fd", "x"},
		{"--input-fd", "-1"},
		{"--input-fd", "2"},
		{"--input-fd", "3"},                      /* the lease */
		{"--input-fd", "7", "--input-fd", "7"},   /* twice */
		{"--input-fd", "5", "--control-fd", "5"}, /* the control fd */
		{"--input-fd", "4", "--ready-fd", "4"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[10] = {"--lease-fd", "3"};
		int n = 2;
		for (int j = 0; j < 6 && bad[i][j]; j++)
			args[n++] = bad[i][j];
		args[n] = NULL;
		st = harness_run_shim(h, args, null_fd, &err);
		CHECK(st == 2 && strstr(err, "--input-fd"));
		if (st != 2)
			fprintf(stderr, "    case %zu: status %d: %s\n", i, st, err);
		free(err);
	}
	close(null_fd);
}

/* ---- fd: real evdev devices ------------------------------------------- */

struct dev {
	char path[300];
	char kind[16]; /* keyboard or pointer */
	unsigned major, minor;
	int fd;     /* the "broker's" copy, given to the shim */
	int uinput; /* when made here: the uinput fd that feeds it */
};

static int node_of_uinput(int ufd, char *path, size_t size)
{
	char sys[64], dir[160];
	if (ioctl(ufd, UI_GET_SYSNAME(sizeof(sys)), sys) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/sys/devices/virtual/input/%s", sys);
	for (int tries = 0; tries < 500; tries++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (strncmp(e->d_name, "event", 5) == 0) {
				snprintf(path, size, "/dev/input/%s", e->d_name);
				closedir(d);
				if (access(path, F_OK) == 0)
					return 0;
				d = NULL;
			}
		if (d)
			closedir(d);
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL); /* devtmpfs makes the node as the device appears */
	}
	return -1;
}

/* A uinput device shaped like QEMU's virtio keyboard or tablet. */
static int make_uinput(struct dev *d, const char *kind)
{
	int ufd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (ufd < 0)
		return -1;
	bool kbd = strcmp(kind, "keyboard") == 0;
	ioctl(ufd, UI_SET_EVBIT, EV_KEY);
	if (kbd) {
		ioctl(ufd, UI_SET_EVBIT, EV_REP);
		for (int k = KEY_ESC; k <= KEY_KPDOT; k++)
			ioctl(ufd, UI_SET_KEYBIT, k);
	} else {
		ioctl(ufd, UI_SET_EVBIT, EV_ABS);
		ioctl(ufd, UI_SET_EVBIT, EV_REL);
		ioctl(ufd, UI_SET_RELBIT, REL_WHEEL);
		ioctl(ufd, UI_SET_KEYBIT, BTN_LEFT);
		ioctl(ufd, UI_SET_KEYBIT, BTN_RIGHT);
		ioctl(ufd, UI_SET_KEYBIT, BTN_MIDDLE);
		for (int axis = ABS_X; axis <= ABS_Y; axis++) {
			struct uinput_abs_setup a = {.code = (uint16_t)axis,
						     .absinfo = {.minimum = 0, .maximum = 32767}};
			ioctl(ufd, UI_ABS_SETUP, &a);
		}
	}
	struct uinput_setup us = {
		.id = {.bustype = BUS_VIRTUAL, .vendor = 0x1d6b, .product = kbd ? 1 : 2}};
	snprintf(us.name, sizeof(us.name), "lc-shim-test %s", kind);
	if (ioctl(ufd, UI_DEV_SETUP, &us) < 0 || ioctl(ufd, UI_DEV_CREATE) < 0 ||
	    node_of_uinput(ufd, d->path, sizeof(d->path)) < 0) {
		close(ufd);
		return -1;
	}
	d->uinput = ufd;
	snprintf(d->kind, sizeof(d->kind), "%s", kind);
	return 0;
}

static int find_devices(struct dev *devs, int *n)
{
	*n = 0;
	const char *env = getenv("LC_SHIM_EVDEV");
	if (env && *env) {
		char copy[512];
		snprintf(copy, sizeof(copy), "%s", env);
		for (char *tok = strtok(copy, " "); tok && *n < MAX_DEVS; tok = strtok(NULL, " ")) {
			struct dev *d = &devs[(*n)++];
			*d = (struct dev){.fd = -1, .uinput = -1};
			char *colon = strrchr(tok, ':');
			if (!colon) {
				fprintf(stderr, "LC_SHIM_EVDEV: '%s' is not PATH:KIND\n", tok);
				return -1;
			}
			*colon = '\0';
			snprintf(d->path, sizeof(d->path), "%s", tok);
			snprintf(d->kind, sizeof(d->kind), "%s", colon + 1);
		}
		return 0;
	}
	devs[0] = devs[1] = (struct dev){.fd = -1, .uinput = -1};
	if (make_uinput(&devs[0], "keyboard") < 0 || make_uinput(&devs[1], "pointer") < 0) {
		if (devs[0].uinput >= 0)
			close(devs[0].uinput);
		return SKIP;
	}
	*n = 2;
	return 0;
}

static bool same_open_file(int a, int b)
{
	long r = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b);
	if (r < 0 && (errno == ENOSYS || errno == EPERM))
		return true; /* no kcmp here: the revoke below proves it */
	return r == 0;
}

static bool evdev_alive(int fd)
{
	int version;
	return ioctl(fd, EVIOCGVERSION, &version) == 0;
}

static int take_input(sd_bus *bus, const struct dev *d)
{
	sd_bus_message *reply = CALL_REPLY(bus, SESSION_PATH, SESSION_IF, "TakeDevice", "uu",
					   d->major, d->minor);
	int fd = -1, inactive = -1;
	if (!reply)
		return -1;
	CHECK(sd_bus_message_read(reply, "hb", &fd, &inactive) > 0);
	CHECK_EQ(inactive, 0);
	int mine = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1; /* as libseat does */
	sd_bus_message_unref(reply);
	CHECK(mine >= 0);
	return mine;
}

/* An input device the shim was not given, for the refusal: another evdev
 * node of the machine (the rig's other outputs' devices), or a made-up
 * number when there is none. */
static void other_device(const struct dev *devs, int n, unsigned *major, unsigned *minor)
{
	*major = 13;
	*minor = 1000;
	DIR *d = opendir("/dev/input");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[300];
		struct stat st;
		snprintf(p, sizeof(p), "/dev/input/%s", e->d_name);
		if (strncmp(e->d_name, "event", 5) != 0 || stat(p, &st) < 0 || !S_ISCHR(st.st_mode))
			continue;
		/* 13:99 is the harness' --input-allow. */
		bool given = minor(st.st_rdev) == 99;
		for (int i = 0; i < n; i++)
			given |= devs[i].minor == minor(st.st_rdev);
		if (!given) {
			*minor = minor(st.st_rdev);
			break;
		}
	}
	if (d)
		closedir(d);
}

static bool got_input_pause(struct signal_log *log)
{
	for (int i = 0; i < log->n; i++)
		if (sd_bus_message_is_signal(log->msg[i], SESSION_IF, "PauseDevice"))
			return true;
	return false;
}

static void case_fd(struct harness *h, struct dev *devs, int n)
{
	int fds[MAX_DEVS];
	const char *args[2 * MAX_DEVS + 3];
	char nums[MAX_DEVS][12];
	for (int i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		d->fd = open(d->path, O_RDWR | O_NONBLOCK | O_CLOEXEC); /* as the broker */
		struct stat st;
		CHECK(d->fd >= 0 && fstat(d->fd, &st) == 0);
		if (d->fd < 0) {
			fprintf(stderr, "cannot open %s: %s\n", d->path, strerror(errno));
			return;
		}
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
		fds[i] = d->fd;
		snprintf(nums[i], sizeof(nums[i]), "%d", 6 + i);
		args[2 * i] = "--input-fd";
		args[2 * i + 1] = nums[i];
		printf("device %s (%u:%u) as %s, shim fd %d\n", d->path, d->major, d->minor,
		       d->kind, 6 + i);
	}
	/* A /dev without the nodes, as a container's: the shim makes them. */
	char dev_root[160];
	snprintf(dev_root, sizeof(dev_root), "%s/dev", h->dir);
	args[2 * n] = "--dev-root";
	args[2 * n + 1] = dev_root;
	args[2 * n + 2] = NULL;
	if (harness_start_shim_fds(h, args, fds, n) < 0) {
		CHECK(!"the shim starts with --input-fd");
		return;
	}
	/* Each device's node, named as the kernel names it, mode 0000 (only
	 * stat'ed by libseat / Mutter for the number TakeDevice wants). */
	char node[n > 0 ? n : 1][256];
	for (int i = 0; i < n; i++) {
		struct stat st;
		snprintf(node[i], sizeof(node[i]), "%s/input/%s", dev_root,
			 strrchr(devs[i].path, '/') + 1);
		CHECK(lstat(node[i], &st) == 0 && S_ISCHR(st.st_mode) &&
		      (st.st_mode & 07777) == 0 &&
		      st.st_rdev == makedev(devs[i].major, devs[i].minor));
	}

	/* The udev database entries libinput reads. */
	char p[256];
	for (int i = 0; i < n; i++) {
		const struct dev *d = &devs[i];
		snprintf(p, sizeof(p), "%s/udev/data/c13:%u", h->run, d->minor);
		CHECK(harness_file_contains(p, "\nE:ID_INPUT=1\n"));
		CHECK(harness_file_contains(p, "\nE:ID_SEAT=seat0\n"));
		CHECK(harness_file_contains(p, "\nG:seat\n") &&
		      harness_file_contains(p, "\nQ:seat\n"));
		CHECK(harness_file_contains(p, "\nV:1\n"));
		if (strcmp(d->kind, "keyboard") == 0) {
			CHECK(harness_file_contains(p, "\nE:ID_INPUT_KEYBOARD=1\n"));
			CHECK(!harness_file_contains(p, "ID_INPUT_MOUSE"));
		} else {
			CHECK(harness_file_contains(p, "\nE:ID_INPUT_MOUSE=1\n"));
			CHECK(!harness_file_contains(p, "ID_INPUT_TABLET"));
			CHECK(!harness_file_contains(p, "ID_INPUT_KEYBOARD"));
		}
		snprintf(p, sizeof(p), "%s/udev/tags/seat/c13:%u", h->run, d->minor);
		CHECK(harness_path_exists(p));
	}

	sd_bus *a = client_connect(h->address);
	CHECK(a);
	if (!a)
		return;
	struct signal_log log = {0};
	CHECK(client_watch(a, &log,
			   "type='signal',sender='" L1 "',interface='" SESSION_IF
			   "',member='PauseDevice'") >= 0);
	CALL_ERR(a, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", devs[0].major,
		 devs[0].minor);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	int taken[MAX_DEVS];
	for (int i = 0; i < n; i++) {
		const struct dev *d = &devs[i];
		taken[i] = take_input(a, d);
		CHECK(taken[i] >= 0 && same_open_file(taken[i], d->fd));
		CALL_ERR(a, L1 ".DeviceIsTaken", SESSION_PATH, SESSION_IF, "TakeDevice", "uu",
			 d->major, d->minor);
	}
	/* Events the device sends reach the taken fd (uinput only: the rig's
	 * virtio devices are fed by the host). */
	for (int i = 0; i < n; i++) {
		const struct dev *d = &devs[i];
		if (d->uinput < 0 || taken[i] < 0)
			continue;
		struct input_event ev[2] = {{.type = EV_KEY, .code = BTN_LEFT, .value = 1},
					    {.type = EV_SYN, .code = SYN_REPORT}};
		if (strcmp(d->kind, "keyboard") == 0)
			ev[0].code = KEY_A;
		CHECK(write(d->uinput, ev, sizeof(ev)) == (ssize_t)sizeof(ev));
		struct pollfd pfd = {.fd = taken[i], .events = POLLIN};
		CHECK(poll(&pfd, 1, 5000) == 1);
		struct input_event got;
		CHECK(read(taken[i], &got, sizeof(got)) == (ssize_t)sizeof(got) &&
		      got.type == EV_KEY && got.code == ev[0].code && got.value == 1);
	}

	/* ReleaseDevice forgets without revoking: the broker's copy and the
	 * compositor's still work, and the next TakeDevice gives the same file. */
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu", devs[0].major, devs[0].minor);
	CALL_ERR(a, L1 ".DeviceNotTaken", SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu",
		 devs[0].major, devs[0].minor);
	CHECK(evdev_alive(devs[0].fd) && (taken[0] < 0 || evdev_alive(taken[0])));
	if (taken[0] >= 0)
		close(taken[0]);
	taken[0] = take_input(a, &devs[0]);
	CHECK(taken[0] >= 0 && same_open_file(taken[0], devs[0].fd));

	/* Any other input device is refused, whether or not it exists. */
	unsigned oma, omi;
	other_device(devs, n, &oma, &omi);
	printf("another input device: %u:%u\n", oma, omi);
	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", oma, omi);
	/* The harness' --input-allow 13:99 still works as before. */
	if (omi != 99)
		CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
			 "TakeDevice", "uu", 13, 98);

	/* The broker's EVIOCREVOKE on its own copy kills the compositor's. */
	CHECK(ioctl(devs[0].fd, EVIOCREVOKE, NULL) == 0);
	if (taken[0] >= 0) {
		struct input_event got;
		CHECK(!evdev_alive(taken[0]) && errno == ENODEV);
		CHECK(read(taken[0], &got, sizeof(got)) < 0 && errno == ENODEV);
	}
	for (int i = 1; i < n; i++)
		CHECK(taken[i] < 0 || evdev_alive(taken[i])); /* only that one */

	/* The lease ends: PauseDevice "force" for each taken input device,
	 * unicast; no more TakeDevice; files removed at exit. */
	CHECK(write(h->control_w, "revoked\n", 8) == 8);
	CHECK(client_wait(a, &log, got_input_pause, 10000));
	int pauses = 0;
	const char *unique = NULL;
	sd_bus_get_unique_name(a, &unique);
	for (int i = 0; i < log.n; i++) {
		uint32_t ma = 0, mi = 0;
		const char *type = "";
		sd_bus_message *m = log.msg[i];
		if (!sd_bus_message_is_signal(m, SESSION_IF, "PauseDevice"))
			continue;
		CHECK(sd_bus_message_read(m, "uus", &ma, &mi, &type) > 0);
		CHECK(ma == 13 && strcmp(type, "force") == 0);
		CHECK(sd_bus_message_get_destination(m) &&
		      strcmp(sd_bus_message_get_destination(m), unique) == 0);
		pauses++;
	}
	/* All n may not be in yet: wait for the rest. */
	for (int tries = 0; pauses < n && tries < 100; tries++) {
		int before = log.n;
		sd_bus_process(a, NULL);
		sd_bus_wait(a, 100000);
		for (int i = before; i < log.n; i++)
			pauses += sd_bus_message_is_signal(log.msg[i], SESSION_IF, "PauseDevice");
	}
	CHECK_EQ(pauses, n);
	CALL_ERR(a, "System.Error.ENODEV", SESSION_PATH, SESSION_IF, "TakeDevice", "uu",
		 devs[n - 1].major, devs[n - 1].minor);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	CHECK_EQ(harness_wait_shim(h, 10000), 0);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/udev/data/c13:%u", h->run, devs[i].minor);
		CHECK(!harness_path_exists(p));
	}
	snprintf(p, sizeof(p), "%s/udev", h->run);
	CHECK(!harness_path_exists(p));
	for (int i = 0; i < n; i++)
		CHECK(!harness_path_exists(node[i]));
	CHECK(!harness_path_exists(dev_root)); /* and the directories it made */
	/* The shim kept no copy: the compositor's fds of the other devices
	 * are the only ones left with the broker's. */
	for (int i = 1; i < n; i++)
		CHECK(taken[i] < 0 || evdev_alive(taken[i]));
	for (int i = 0; i < n; i++)
		if (taken[i] >= 0)
			close(taken[i]);
	signal_log_clear(&log);
	sd_bus_flush_close_unref(a);
}

/* The same device twice: refused at start. */
static void case_fd_twice(struct harness *h, struct dev *d)
{
	int two[2] = {open(d->path, O_RDWR | O_NONBLOCK | O_CLOEXEC),
		      open(d->path, O_RDWR | O_NONBLOCK | O_CLOEXEC)};
	char *err = NULL;
	char run2[128];
	snprintf(run2, sizeof(run2), "%s/run3", h->dir);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int st = harness_run_shim_fds(h,
				      (const char *const[]){"--lease-fd", "3", "--device-rdev",
							    "226:0", "--bus-address", h->address,
							    "--runtime-root", run2, "--input-fd",
							    "6", "--input-fd", "7", NULL},
				      null_fd, two, 2, &err);
	CHECK(st == 1 && strstr(err, "given twice"));
	free(err);
	close(null_fd);
	close(two[0]);
	close(two[1]);
}

int main(int argc, char *argv[])
{
	const char *which = argc > 1 ? argv[1] : "";
	struct harness h;
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(which, "class") == 0) {
		case_class();
	} else if (strcmp(which, "options") == 0) {
		if (harness_start_bus(&h) == 0)
			case_options(&h);
		else
			CHECK(!"bus start");
		harness_stop(&h);
	} else if (strcmp(which, "fd") == 0) {
		struct dev devs[MAX_DEVS];
		int n = 0, r = find_devices(devs, &n);
		if (r == SKIP || (r == 0 && n == 0)) {
			fprintf(stderr, "no evdev devices (LC_SHIM_EVDEV unset, /dev/uinput "
					"unusable): skipped\n");
			return SKIP;
		}
		if (r < 0)
			return 2;
		if (harness_start_bus(&h) == 0) {
			case_fd(&h, devs, n);
			case_fd_twice(&h, &devs[n - 1]);
		} else {
			CHECK(!"bus start");
		}
		harness_stop(&h);
		for (int i = 0; i < n; i++) {
			if (devs[i].fd >= 0)
				close(devs[i].fd);
			if (devs[i].uinput >= 0) {
				ioctl(devs[i].uinput, UI_DEV_DESTROY);
				close(devs[i].uinput);
			}
		}
	} else {
		fprintf(stderr, "usage: shim-input-test class|options|fd\n");
		return 2;
	}
	printf("%d passed, %d failed\n", check_passed_count, check_failed_count);
	return check_failed_count ? 1 : 0;
}
