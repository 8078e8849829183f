#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

/* Card tags that Mutter's and wlroots' udev enumeration look for. */
static const char *const card_tags[] = {"seat", "mutter-device-preferred-primary"};

static int remember(char **list, int *n, int max, const char *path)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i], path) == 0)
			return 0;
	if (*n >= max)
		return -ENOSPC;
	list[*n] = strdup(path);
	if (!list[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* mkdir -p, remembering each directory made so exit can remove it. */
static int make_dirs(struct shim_files *files, const char *dir)
{
	char p[SHIM_PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			int r = remember(files->created_dirs, &files->n_dirs, SHIM_DIRS_MAX, p);
			if (r < 0)
				return r;
		} else if (errno != EEXIST) {
			int r = -errno;
			lc_err("cannot create %s: %s", p, strerror(errno));
			return r;
		}
		*s = saved;
		if (!saved)
			return 0;
	}
}

static int write_atomic(struct shim_files *files, const char *dir, const char *name,
			const char *content)
{
	char path[SHIM_PATH_MAX], tmp[SHIM_PATH_MAX + 8];
	int r = make_dirs(files, dir);
	if (r < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		lc_err("cannot create %s: %s", tmp, strerror(errno));
		return r;
	}
	size_t len = strlen(content);
	ssize_t w = write(fd, content, len);
	r = (w == (ssize_t)len && fchmod(fd, 0644) == 0) ? 0 : -(errno ? errno : EIO);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0) {
		bool ours = false;
		for (int i = 0; i < files->n_created; i++)
			ours |= strcmp(files->created[i], path) == 0;
		if (!ours && access(path, F_OK) == 0)
			lc_warn("replacing %s, which the shim did not write (another logind?)",
				path);
		if (rename(tmp, path) < 0)
			r = -errno;
	}
	if (r < 0) {
		lc_err("cannot write %s: %s", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	return remember(files->created, &files->n_created, SHIM_FILES_MAX, path);
}

static int write_file(struct shim *shim, const char *sub, const char *name, const char *content)
{
	char dir[SHIM_PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/%s", shim->opt.runtime_root, sub) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return write_atomic(&shim->files, dir, name, content);
}

/* An input device's udev database entry: what udev's input_id builtin and
 * seat rules would have written (ID_INPUT*, ID_SEAT, tag seat). libinput
 * skips a device without an entry (not initialised) and one whose classes
 * it does not serve; in a container with a private /run/udev these are
 * the only input devices it sees. */
static int write_input(struct shim *shim, const struct shim_input *in)
{
	char buf[512], dev[32];
	snprintf(dev, sizeof(dev), "c%u:%u", in->major, in->minor);
	int n = snprintf(buf, sizeof(buf), "I:%llu\n", (unsigned long long)shim->created_mono_us);
	n += shim_input_udev_props(in->classes, buf + n, sizeof(buf) - (size_t)n);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "E:ID_SEAT=%s\nG:seat\nQ:seat\nV:1\n",
		 shim->opt.seat_id);
	int r = write_file(shim, "udev/data", dev, buf);
	return r < 0 ? r : write_file(shim, "udev/tags/seat", dev, "");
}

/* The kernel's name of a char device ("input/event3"), from sysfs. */
static int devname_of(unsigned major, unsigned minor, char *out, size_t size)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/uevent", major, minor);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "DEVNAME=", 8) != 0)
			continue;
		/* a kernel name, but never a way out of the dev root */
		if (strstr(line + 8, "..") || line[8] == '/' || !line[8])
			return -EINVAL;
		snprintf(out, size, "%s", line + 8);
		return 0;
	}
	return -ENOENT;
}

/* An input device's node, where a container has none (its /dev has only
 * what the runtime put there: never /dev/input). The compositor's seat
 * library stats the path libinput gives it for the device number it asks
 * TakeDevice for (libseat, Mutter's device pool) and never opens it: the
 * fd comes from TakeDevice. So the node is made mode 0000, root's, and
 * nobody opens it (in a container the device cgroup refuses it anyway). A
 * node that exists is left alone. */
static int make_input_node(struct shim *shim, const struct shim_input *in)
{
	char name[64], path[SHIM_PATH_MAX], dir[SHIM_PATH_MAX];
	int r = devname_of(in->major, in->minor, name, sizeof(name));
	if (r < 0) {
		lc_warn("no kernel name for input %u:%u (%s): no device node made", in->major,
			in->minor, strerror(-r));
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s", shim->opt.dev_root, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	struct stat st;
	if (lstat(path, &st) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if ((r = make_dirs(&shim->files, dir)) < 0)
		return 0; /* logged; as for mknod below */
	if (mknod(path, S_IFCHR | 0000, makedev(in->major, in->minor)) < 0) {
		/* Not fatal: in a container without CAP_MKNOD (podman's
		 * default) the runtime gives the node (drm-lease-broker's CDI
		 * spec lists it, name only); without one the compositor says
		 * it cannot open the device. */
		lc_warn("cannot make the node %s of input %u:%u: %s", path, in->major, in->minor,
			strerror(errno));
		return 0;
	}
	lc_info("made %s (%u:%u, mode 0000) for the compositor's seat library", path, in->major,
		in->minor);
	return remember(shim->files.created, &shim->files.n_created, SHIM_FILES_MAX, path);
}

int files_write(struct shim *shim)
{
	const struct shim_options *o = &shim->opt;
	const char *id = o->session_id, *seat = o->seat_id;
	unsigned uid = (unsigned)o->uid;
	char buf[2048], name[64];
	int r;

	/* Keys as systemd's session_save() writes them; sd-login reads UID,
	 * SEAT, TYPE, CLASS, STATE, ACTIVE, VTNR, REMOTE, LEADER. */
	int n = snprintf(buf, sizeof(buf),
			 "# This is private data. Do not parse.\n"
			 "UID=%u\nUSER=%s\nACTIVE=%d\nIS_DISPLAY=1\nSTATE=%s\nREMOTE=0\n"
			 "TYPE=%s\nORIGINAL_TYPE=%s\nCLASS=user\nSEAT=%s\nSERVICE=leasecast\n"
			 "LEADER=%u\nREALTIME=%llu\nMONOTONIC=%llu\n",
			 uid, shim->user_name, shim->active ? 1 : 0, shim_state(shim), shim->type,
			 o->session_type, seat, shim->leader,
			 (unsigned long long)shim->created_rt_us,
			 (unsigned long long)shim->created_mono_us);
	if (o->vtnr)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "VTNR=%u\n", o->vtnr);
	if (shim->controller)
		snprintf(buf + n, sizeof(buf) - (size_t)n, "CONTROLLER=%s\n", shim->controller);
	if ((r = write_file(shim, "systemd/sessions", id, buf)) < 0)
		return r;

	const char *act = shim->active ? id : "";
	const char *act_seat = shim->active ? seat : "";
	snprintf(
		buf, sizeof(buf),
		"# This is private data. Do not parse.\n"
		"NAME=%s\nSTATE=%s\nSTOPPING=no\nRUNTIME=/run/user/%u\nREALTIME=%llu\nMONOTONIC=%llu\n"
		"DISPLAY=%s\nSESSIONS=%s\nSEATS=%s\nACTIVE_SESSIONS=%s\nONLINE_SESSIONS=%s\n"
		"ACTIVE_SEATS=%s\nONLINE_SEATS=%s\n",
		shim->user_name, shim->active ? "active" : "online", uid,
		(unsigned long long)shim->created_rt_us, (unsigned long long)shim->created_mono_us,
		id, id, seat, act, id, act_seat, seat);
	snprintf(name, sizeof(name), "%u", uid);
	if ((r = write_file(shim, "systemd/users", name, buf)) < 0)
		return r;

	char active_uid[16] = "";
	if (shim->active)
		snprintf(active_uid, sizeof(active_uid), "%u", uid);
	snprintf(buf, sizeof(buf),
		 "# This is private data. Do not parse.\n"
		 "IS_SEAT0=%d\nCAN_MULTI_SESSION=1\nCAN_TTY=%d\nCAN_GRAPHICAL=1\n"
		 "ACTIVE=%s\nACTIVE_UID=%s\nSESSIONS=%s\nUIDS=%u\n",
		 strcmp(seat, "seat0") == 0, o->vtnr ? 1 : 0, act, active_uid, id, uid);
	if ((r = write_file(shim, "systemd/seats", seat, buf)) < 0)
		return r;

	/* The udev database entry of the card, in the format of systemd's
	 * device_update_db(): I: initialisation time (libudev treats a device
	 * with a db entry as initialised), E: properties, G: tags ever set,
	 * Q: current tags, V: db version. */
	char dev[32];
	snprintf(dev, sizeof(dev), "c%u:%u", shim->card_major, shim->card_minor);
	n = snprintf(buf, sizeof(buf), "I:%llu\nE:ID_SEAT=%s\nE:ID_FOR_SEAT=drm-leasecast\n",
		     (unsigned long long)shim->created_mono_us, seat);
	for (size_t i = 0; i < sizeof(card_tags) / sizeof(card_tags[0]); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "G:%s\n", card_tags[i]);
	for (size_t i = 0; i < sizeof(card_tags) / sizeof(card_tags[0]); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "Q:%s\n", card_tags[i]);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "V:1\n");
	if ((r = write_file(shim, "udev/data", dev, buf)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(card_tags) / sizeof(card_tags[0]); i++) {
		char sub[96];
		snprintf(sub, sizeof(sub), "udev/tags/%s", card_tags[i]);
		if ((r = write_file(shim, sub, dev, "")) < 0)
			return r;
	}
	for (int i = 0; i < shim->inputs.n; i++) {
		if ((r = write_input(shim, &shim->inputs.in[i])) < 0)
			return r;
		if ((r = make_input_node(shim, &shim->inputs.in[i])) < 0)
			return r;
	}
	return 0;
}

void files_remove(struct shim_files *files)
{
	for (int i = 0; i < files->n_created; i++) {
		if (unlink(files->created[i]) < 0 && errno != ENOENT)
			lc_warn("cannot remove %s: %s", files->created[i], strerror(errno));
		free(files->created[i]);
	}
	files->n_created = 0;
	for (int i = files->n_dirs - 1; i >= 0; i--) {
		rmdir(files->created_dirs[i]);
		free(files->created_dirs[i]);
	}
	files->n_dirs = 0;
}
