/* input_devices.h: the outputs' keyboards and tablets, found by uniq.
 *
 * Without udevd (the test VM, minimal guests) the monitor listens to the
 * kernel's own uevents, as uevent.c does. With udevd running it listens to
 * udevd's, which come after its rules ran: a rule that set the node's mode
 * or group (Debian's 0660 root:input) has already acted, and the broker's
 * tightening comes last. A window remains between the kernel creating the
 * node and the broker tightening it, in which another root-less process
 * that may open it (group input) could; doc/drm-lease-broker.8 gives the
 * udev rule that closes it, and the broker's grab keeps such an early open
 * file from seeing any event while a lease holds the device. */
#define _GNU_SOURCE
#include "input_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Two per leasable output of a 16-output card, with room to spare. */
#define MAX_DEVICES 64
#define UNIQ_KBD "leasecast-kbd-"
#define UNIQ_TAB "leasecast-tab-"
#define MAX_SCANOUT 255

struct input_device {
	char syspath[256];
	char node[64]; /* /dev/input/eventN */
	dev_t devnum;
	int kind; /* enum lc_lease_input_kind */
	char uniq[LC_LEASE_INPUT_UNIQ_LEN];
	char connector[LC_LEASE_INPUT_CONNECTOR_LEN];
};

struct lb_inputs {
	struct udev *udev;
	struct udev_monitor *mon;
	struct wl_event_source *src;
	struct input_device dev[MAX_DEVICES];
	size_t n;
};

/* "leasecast-kbd-S" / "leasecast-tab-S", S in 0..255 without leading zeros.
 * Returns the kind and the connector, or LC_LEASE_INPUT_UNKNOWN. */
static int parse_uniq(const char *uniq, char connector[LC_LEASE_INPUT_CONNECTOR_LEN])
{
	int kind;
	const char *p;
	if (strncmp(uniq, UNIQ_KBD, strlen(UNIQ_KBD)) == 0) {
		kind = LC_LEASE_INPUT_KEYBOARD;
		p = uniq + strlen(UNIQ_KBD);
	} else if (strncmp(uniq, UNIQ_TAB, strlen(UNIQ_TAB)) == 0) {
		kind = LC_LEASE_INPUT_TABLET;
		p = uniq + strlen(UNIQ_TAB);
	} else {
		return LC_LEASE_INPUT_UNKNOWN;
	}
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]) || strlen(p) > 3 ||
	    strspn(p, "0123456789") != strlen(p))
		return LC_LEASE_INPUT_UNKNOWN;
	int s = atoi(p);
	if (s > MAX_SCANOUT)
		return LC_LEASE_INPUT_UNKNOWN;
	/* virtio-gpu names scanout S's connector Virtual-(S+1) (card.c). */
	snprintf(connector, LC_LEASE_INPUT_CONNECTOR_LEN, "Virtual-%d", s + 1);
	return kind;
}

static struct input_device *find_syspath(struct lb_inputs *in, const char *syspath)
{
	for (size_t i = 0; i < in->n; i++)
		if (strcmp(in->dev[i].syspath, syspath) == 0)
			return &in->dev[i];
	return NULL;
}

/* The node must be the device's and only root's. */
static int tighten(const struct input_device *d)
{
	struct stat st;
	if (lstat(d->node, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != d->devnum)
		return -ENODEV;
	if ((st.st_mode & 07777) == 0600 && st.st_uid == 0 && st.st_gid == 0)
		return 0;
	if (fchownat(AT_FDCWD, d->node, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(AT_FDCWD, d->node, 0600, 0) < 0)
		return -errno;
	lc_info("input: %s (%s) was mode %04o uid %u gid %u: now 0600 root:root", d->node, d->uniq,
		(unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
	return 0;
}

static void add_device(struct lb_inputs *in, struct udev_device *ev)
{
	const char *sysname = udev_device_get_sysname(ev);
	const char *node = udev_device_get_devnode(ev);
	const char *syspath = udev_device_get_syspath(ev);
	if (!sysname || strncmp(sysname, "event", 5) != 0 || !node || !syspath)
		return;
	/* The evdev node's parent is the input device, which has the uniq. */
	struct udev_device *input = udev_device_get_parent_with_subsystem_devtype(ev, "input",
										  NULL);
	const char *uniq = input ? udev_device_get_sysattr_value(input, "uniq") : NULL;
	char connector[LC_LEASE_INPUT_CONNECTOR_LEN];
	int kind = uniq ? parse_uniq(uniq, connector) : LC_LEASE_INPUT_UNKNOWN;
	if (kind == LC_LEASE_INPUT_UNKNOWN)
		return;
	/* Only QEMU's virtio-input devices: a uinput device (or anything a
	 * user can create) with the same uniq must not get a tenant's input. */
	if (!udev_device_get_parent_with_subsystem_devtype(input, "virtio", NULL)) {
		lc_warn("input: %s has uniq %s but is not a virtio device: ignored", node, uniq);
		return;
	}
	struct input_device *known = find_syspath(in, syspath);
	if (known) {
		/* Enumerated and then announced, or a "change" after which udev
		 * may have applied its rules' mode again. */
		int r = tighten(known);
		if (r < 0)
			lc_warn("input: cannot make %s (%s) root-only again: %s", known->node,
				known->uniq, strerror(-r));
		return;
	}
	for (size_t i = 0; i < in->n; i++) {
		if (strcmp(in->dev[i].uniq, uniq) == 0) {
			lc_warn("input: %s and %s both have uniq %s: %s ignored", in->dev[i].node,
				node, uniq, node);
			return;
		}
	}
	if (in->n == MAX_DEVICES) {
		lc_warn("input: more than %d devices: %s ignored", MAX_DEVICES, node);
		return;
	}
	struct input_device *d = &in->dev[in->n];
	memset(d, 0, sizeof(*d));
	if ((size_t)snprintf(d->syspath, sizeof(d->syspath), "%s", syspath) >= sizeof(d->syspath) ||
	    (size_t)snprintf(d->node, sizeof(d->node), "%s", node) >= sizeof(d->node)) {
		lc_warn("input: path of %s too long: ignored", uniq);
		return;
	}
	snprintf(d->uniq, sizeof(d->uniq), "%s", uniq);
	memcpy(d->connector, connector, sizeof(d->connector));
	d->devnum = udev_device_get_devnum(ev);
	d->kind = kind;
	int r = tighten(d);
	if (r < 0) {
		lc_warn("input: cannot make %s (%s) root-only: %s; not used", node, uniq,
			strerror(-r));
		return;
	}
	in->n++;
	lc_info("input: %s %s (%s) for %s", lc_lease_input_kind_name(kind), uniq, node, connector);
}

static void remove_device(struct lb_inputs *in, struct udev_device *ev)
{
	const char *syspath = udev_device_get_syspath(ev);
	struct input_device *d = syspath ? find_syspath(in, syspath) : NULL;
	if (!d)
		return;
	lc_info("input: %s (%s) removed", d->uniq, d->node);
	/* Open files of it (a lease's) now fail with ENODEV on their own. */
	*d = in->dev[--in->n];
}

static int handle_readable(int fd, uint32_t mask, void *data)
{
	struct lb_inputs *in = data;
	for (int i = 0; i < 64; i++) {
		struct udev_device *d = udev_monitor_receive_device(in->mon);
		if (!d)
			break;
		const char *action = udev_device_get_action(d);
		if (action && strcmp(action, "remove") == 0)
			remove_device(in, d);
		else if (action && (strcmp(action, "add") == 0 || strcmp(action, "change") == 0))
			add_device(in, d);
		udev_device_unref(d);
	}
	return 0;
}

static void enumerate(struct lb_inputs *in)
{
	struct udev_enumerate *e = udev_enumerate_new(in->udev);
	if (!e)
		return;
	if (udev_enumerate_add_match_subsystem(e, "input") < 0 ||
	    udev_enumerate_add_match_sysname(e, "event*") < 0 ||
	    udev_enumerate_scan_devices(e) < 0) {
		lc_warn("input: cannot enumerate input devices: %s", strerror(errno));
		udev_enumerate_unref(e);
		return;
	}
	struct udev_list_entry *entry;
	udev_list_entry_foreach (entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(
			in->udev, udev_list_entry_get_name(entry));
		if (d) {
			add_device(in, d);
			udev_device_unref(d);
		}
	}
	udev_enumerate_unref(e);
}

struct lb_inputs *lb_inputs_create(struct wl_event_loop *loop)
{
	struct lb_inputs *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->udev = udev_new();
	if (!in->udev)
		goto fail;
	bool udevd = access("/run/udev/control", F_OK) == 0;
	in->mon = udev_monitor_new_from_netlink(in->udev, udevd ? "udev" : "kernel");
	if (!in->mon)
		goto fail;
	if (udev_monitor_filter_add_match_subsystem_devtype(in->mon, "input", NULL) < 0 ||
	    udev_monitor_enable_receiving(in->mon) < 0)
		goto fail;
	udev_monitor_set_receive_buffer_size(in->mon, 1 << 20);
	in->src = wl_event_loop_add_fd(loop, udev_monitor_get_fd(in->mon), WL_EVENT_READABLE,
				       handle_readable, in);
	if (!in->src)
		goto fail;
	/* After the monitor: a device that appears meanwhile is seen twice at
	 * worst (find_syspath), never missed. */
	enumerate(in);
	lc_info("input: %zu leasecast input devices; watching %s events for more", in->n,
		udevd ? "udevd's" : "the kernel's");
	return in;
fail:
	lb_inputs_destroy(in);
	return NULL;
}

void lb_inputs_destroy(struct lb_inputs *in)
{
	if (!in)
		return;
	if (in->src)
		wl_event_source_remove(in->src);
	if (in->mon)
		udev_monitor_unref(in->mon);
	if (in->udev)
		udev_unref(in->udev);
	free(in);
}

/* The devices of connector in hand-out order: keyboard, then tablet. */
static size_t select_devices(struct lb_inputs *in, const char *connector,
			     const struct input_device **sel, size_t max)
{
	size_t n = 0;
	static const int order[] = {LC_LEASE_INPUT_KEYBOARD, LC_LEASE_INPUT_TABLET};
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < in->n && n < max; i++)
			if (in->dev[i].kind == order[k] &&
			    strcmp(in->dev[i].connector, connector) == 0)
				sel[n++] = &in->dev[i];
	return n;
}

static int open_device(const struct input_device *d)
{
	int fd = open(d->node, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != d->devnum) {
		close(fd);
		return -ENODEV; /* the node now names another device */
	}
	if (ioctl(fd, EVIOCGRAB, (void *)1) < 0)
		lc_warn("input: cannot grab %s (%s): %s; another open file of it would see "
			"this lease's input",
			d->node, d->uniq, strerror(errno));
	return fd;
}

size_t lb_inputs_open(struct lb_inputs *in, const char *connector, struct lc_lease_input *out,
		      size_t max)
{
	const struct input_device *sel[LC_LEASE_INPUT_MAX];
	size_t n = select_devices(in, connector, sel,
				  max < LC_LEASE_INPUT_MAX ? max : LC_LEASE_INPUT_MAX);
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		int fd = open_device(sel[i]);
		if (fd < 0) {
			lc_warn("input: cannot open %s (%s) for a lease of %s: %s", sel[i]->node,
				sel[i]->uniq, connector, strerror(-fd));
			continue;
		}
		struct lc_lease_input *e = &out[got++];
		memset(e, 0, sizeof(*e));
		memcpy(e->connector, sel[i]->connector, sizeof(e->connector));
		memcpy(e->uniq, sel[i]->uniq, sizeof(e->uniq));
		e->kind = sel[i]->kind;
		e->fd = fd;
	}
	return got;
}

void lb_inputs_revoke(struct lc_lease_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (in[i].fd < 0)
			continue;
		/* ENODEV: the device went away, its open files are dead already. */
		if (ioctl(in[i].fd, EVIOCREVOKE, NULL) < 0 && errno != ENODEV)
			lc_warn("input: EVIOCREVOKE on %s: %s", in[i].uniq, strerror(errno));
		close(in[i].fd);
		in[i].fd = -1;
	}
}

size_t lb_inputs_describe(struct lb_inputs *in, const char *connector, struct lc_lease_input *out,
			  const char **nodes, size_t max)
{
	const struct input_device *sel[LC_LEASE_INPUT_MAX];
	size_t n = select_devices(in, connector, sel,
				  max < LC_LEASE_INPUT_MAX ? max : LC_LEASE_INPUT_MAX);
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		memcpy(out[i].connector, sel[i]->connector, sizeof(out[i].connector));
		memcpy(out[i].uniq, sel[i]->uniq, sizeof(out[i].uniq));
		out[i].kind = sel[i]->kind;
		out[i].fd = -1;
		if (nodes)
			nodes[i] = sel[i]->node;
	}
	return n;
}
