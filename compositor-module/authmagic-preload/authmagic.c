/* libleasecast-authmagic.so: LD_PRELOADed by lease-launch --wlroots in front
 * of a wlroots compositor. It wraps libdrm's drmAuthMagic: the real call
 * first; when that fails on a DRM lease fd (a lessee cannot authenticate:
 * the magic sits in the map of the device's master, the broker), it asks
 * lease-launch over $LEASECAST_AUTHMAGIC_SOCKET, which has the broker
 * authenticate the magic on its master fd (leasecast_lease_v1
 * authenticate_magic / Helix AUTH_MAGIC). Everything else is untouched.
 *
 * Why here: wlroots 0.15 (render/allocator/allocator.c) reopens the card
 * node for its allocator and calls drmAuthMagic(lease_fd, magic) itself;
 * with no render node that works (virtio-gpu without 3D) there is no other
 * unmodified path. See compositor-module/README.md. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xf86drm.h>

#define ANSWER_TIMEOUT_MS 5000

typedef int (*auth_magic_fn)(int fd, drm_magic_t magic);

static void note(const char *fmt, unsigned a, const char *b)
{
	char line[256];
	int n = snprintf(line, sizeof(line), fmt, a, b);
	if (n > 0 && getenv("LEASECAST_AUTHMAGIC_DEBUG"))
		(void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Asks lease-launch; 0 or a positive errno. */
static int ask_launcher(const char *path, uint32_t magic)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return ENAMETOOLONG;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int err = EIO;
	int32_t answer;
	size_t got = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    send(fd, &magic, sizeof(magic), MSG_NOSIGNAL) != (ssize_t)sizeof(magic)) {
		err = errno;
		goto out;
	}
	while (got < sizeof(answer)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, ANSWER_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = ETIMEDOUT;
			goto out;
		}
		ssize_t n = recv(fd, (char *)&answer + got, sizeof(answer) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	err = answer >= 0 ? answer : EIO;
out:
	close(fd);
	return err;
}

int drmAuthMagic(int fd, drm_magic_t magic)
{
	static auth_magic_fn real;
	if (!real)
		real = (auth_magic_fn)dlsym(RTLD_NEXT, "drmAuthMagic");
	int r = real ? real(fd, magic) : -ENOSYS;
	const char *path = getenv("LEASECAST_AUTHMAGIC_SOCKET");
	/* Only a failure is forwarded: in a compositor lease-launch started,
	 * the card fds it holds are lessees, which cannot authenticate; the
	 * broker only authenticates a magic some open fd of the card has. */
	if (r == 0 || !path || !*path)
		return r;
	int saved = errno;
	int err = ask_launcher(path, (uint32_t)magic);
	if (err == 0) {
		note("leasecast-authmagic: magic %u authenticated by the broker%s\n",
		     (unsigned)magic, "");
		return 0;
	}
	note("leasecast-authmagic: the broker refused magic %u: %s\n", (unsigned)magic,
	     strerror(err));
	/* The caller sees the original failure (libdrm returns -errno). */
	errno = saved;
	return r;
}
