#include "input_check.h"

#include <errno.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"

bool input_check_describe(const struct lc_lease_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char uniq[LC_LEASE_INPUT_UNIQ_LEN] = "", name[128] = "";
		struct stat st;
		if (fstat(in[i].fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
		    ioctl(in[i].fd, EVIOCGUNIQ(sizeof(uniq) - 1), uniq) < 0 ||
		    ioctl(in[i].fd, EVIOCGNAME(sizeof(name) - 1), name) < 0) {
			printf("input error msg=\"fd of %s is not an evdev device: %s\"\n",
			       in[i].uniq, strerror(errno));
			return false;
		}
		printf("input i=%zu connector=%s kind=%s uniq=%s evdev_uniq=%s name=\"%s\" "
		       "rdev=%u:%u\n",
		       i, in[i].connector, lc_lease_input_kind_name(in[i].kind), in[i].uniq, uniq,
		       name, major(st.st_rdev), minor(st.st_rdev));
		if (strcmp(uniq, in[i].uniq) != 0) {
			printf("input error msg=\"the fd of %s is device %s\"\n", in[i].uniq, uniq);
			return false;
		}
	}
	return true;
}

/* Drains one fd. false on an error other than EAGAIN. */
static bool drain(const struct lc_lease_input *e)
{
	struct input_event ev[64];
	for (;;) {
		ssize_t r = read(e->fd, ev, sizeof(ev));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (r <= 0) {
			printf("input error msg=\"read %s: %s\"\n", e->uniq,
			       r < 0 ? strerror(errno) : "EOF");
			return false;
		}
		for (size_t k = 0; k < (size_t)r / sizeof(ev[0]); k++) {
			/* SYN and MSC frame what matters: keys, buttons, axes. */
			if (ev[k].type != EV_KEY && ev[k].type != EV_ABS && ev[k].type != EV_REL)
				continue;
			printf("event uniq=%s type=%u code=%u value=%d\n", e->uniq, ev[k].type,
			       ev[k].code, ev[k].value);
		}
	}
}

bool input_check_watch(const struct lc_lease_input *in, size_t n, const char *stop_file,
		       int timeout_ms)
{
	int64_t deadline = lc_now_ms() + timeout_ms;
	struct pollfd p[LC_LEASE_INPUT_MAX];
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = in[i].fd, .events = POLLIN};
	for (;;) {
		int64_t left = deadline - lc_now_ms();
		int r = poll(p, n, left <= 0 ? 0 : left < 50 ? (int)left : 50);
		if (r < 0 && errno != EINTR)
			return false;
		for (size_t i = 0; r > 0 && i < n; i++) {
			if (p[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				printf("input error msg=\"%s hung up during the lease\"\n",
				       in[i].uniq);
				return false;
			}
			if ((p[i].revents & POLLIN) && !drain(&in[i]))
				return false;
		}
		if (stop_file && access(stop_file, F_OK) == 0)
			return true;
		if (lc_now_ms() >= deadline) {
			if (!stop_file)
				return true;
			printf("input error msg=\"%s never appeared\"\n", stop_file);
			return false;
		}
	}
}

bool input_check_revoked(const struct lc_lease_input *in, size_t n, int within_ms)
{
	int64_t t0 = lc_now_ms();
	for (size_t i = 0; i < n; i++) {
		struct pollfd p = {.fd = in[i].fd, .events = POLLIN};
		for (;;) {
			int64_t left = t0 + within_ms - lc_now_ms();
			int r = poll(&p, 1, left > 0 ? (int)left : 0);
			if (r > 0 && (p.revents & (POLLERR | POLLHUP)))
				break;
			if (r > 0 && (p.revents & POLLIN)) {
				/* events still queued before the revoke: read on */
				struct input_event ev[16];
				if (read(in[i].fd, ev, sizeof(ev)) < 0 && errno != EAGAIN)
					break;
				continue;
			}
			if (left <= 0) {
				printf("input error msg=\"%s not revoked within %d ms\"\n",
				       in[i].uniq, within_ms);
				return false;
			}
		}
		struct input_event ev;
		char name[64];
		errno = 0;
		ssize_t r = read(in[i].fd, &ev, sizeof(ev));
		int read_err = r < 0 ? errno : 0;
		errno = 0;
		int k = ioctl(in[i].fd, EVIOCGNAME(sizeof(name)), name);
		int ioctl_err = k < 0 ? errno : 0;
		printf("revoked uniq=%s read=%s ioctl=%s after_ms=%lld\n", in[i].uniq,
		       read_err == ENODEV ? "ENODEV"
		       : read_err         ? strerror(read_err)
					  : "data",
		       ioctl_err == ENODEV ? "ENODEV"
		       : ioctl_err         ? strerror(ioctl_err)
					   : "ok",
		       (long long)(lc_now_ms() - t0));
		if (read_err != ENODEV || ioctl_err != ENODEV)
			return false;
	}
	return true;
}
