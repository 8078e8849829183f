#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "framestore.h"
#include "log.h"
#include "stream.h"

#define LISTENER_PATH "/org/qemu/Display1/Listener"
#define LISTENER_IFACE "org.qemu.Display1.Listener"
#define MAP_IFACE "org.qemu.Display1.Listener.Unix.Map"
#define CONSOLE_IFACE "org.qemu.Display1.Console"
#define REGISTER_TIMEOUT_USEC (10 * 1000 * 1000ull)

/* Pixel layouts we take as they are: 32-bit xRGB little-endian, i.e. B, G,
 * R, x bytes (pixman and DRM name the same thing differently). */
#define PIXMAN_X8R8G8B8 0x20020888u
#define PIXMAN_A8R8G8B8 0x20028888u
#define DRM_FORMAT_XRGB8888 0x34325258u /* 'XR24' */
#define DRM_FORMAT_ARGB8888 0x34325241u /* 'AR24' */
#define DRM_FORMAT_MOD_LINEAR 0ull
#define DRM_FORMAT_MOD_INVALID 0x00ffffffffffffffull

struct shared_frame { /* a memfd (ScanoutMap) or a DMA-BUF (ScanoutDMABUF) */
	int fd;       /* DMA-BUF only: kept for DMA_BUF_IOCTL_SYNC */
	uint8_t *base;
	size_t map_len, offset, len, stride;
	bool y0_top;
};

struct qe_listener {
	sd_event *ev;
	sd_bus *p2p;
	sd_bus_slot *register_call;
	sd_event_source *gone; /* reports the end outside sd-bus' dispatch */
	sd_event_source *drain;
	uint32_t console;
	struct qe_stream *stream;
	struct qe_listener_events events;
	bool registered, alive, got_picture, warned_format, warned_size;
	struct shared_frame map, dmabuf;
};

static bool format_ok(struct qe_listener *l, uint32_t fmt, bool drm)
{
	bool ok = drm ? fmt == DRM_FORMAT_XRGB8888 || fmt == DRM_FORMAT_ARGB8888
		      : fmt == PIXMAN_X8R8G8B8 || fmt == PIXMAN_A8R8G8B8;
	if (!ok && !l->warned_format) {
		lc_warn("Console_%" PRIu32 ": %s format 0x%08" PRIx32 " is not 32-bit xRGB; its "
			"pictures are dropped",
			l->console, drm ? "DRM" : "pixman", fmt);
		l->warned_format = true;
	}
	return ok;
}

static void shared_drop(struct shared_frame *f)
{
	if (f->base)
		munmap(f->base, f->map_len);
	if (f->fd >= 0)
		close(f->fd);
	*f = (struct shared_frame){.fd = -1};
}

static int reply(sd_bus_message *m)
{
	return sd_bus_reply_method_return(m, NULL);
}

static void first_picture(struct qe_listener *l, const char *how, uint32_t w, uint32_t h)
{
	if (l->got_picture)
		return;
	l->got_picture = true;
	lc_info("Console_%" PRIu32 ": first picture (%s %" PRIu32 "x%" PRIu32 ")", l->console, how,
		w, h);
	l->events.state(l->events.data, l, l->registered);
}

static int m_scanout(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	uint32_t w, h, stride, fmt;
	const void *px;
	size_t len;
	int r = sd_bus_message_read(m, "uuuu", &w, &h, &stride, &fmt);
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'y', &px, &len);
	if (r < 0)
		return r;
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	/* Checked before the resize: a new picture buffer that the message
	 * cannot fill would hand the encoder uninitialised memory. */
	bool fits = qe_framestore_frame_fits(w, h, stride, len);
	if (!fits && !l->warned_size) {
		lc_warn("Console_%" PRIu32 ": Scanout %" PRIu32 "x%" PRIu32 " stride %" PRIu32
			" comes with %zu bytes, too few; such pictures are dropped",
			l->console, w, h, stride, len);
		l->warned_size = true;
	}
	/* The message is kept, not copied: the encoder converts from it. */
	if (l->stream && fits && format_ok(l, fmt, false) && qe_stream_resize(l->stream, w, h) == 0)
		qe_stream_put_message(l->stream, m, px, stride, len);
	r = reply(m);
	first_picture(l, "Scanout", w, h);
	return r;
}

static int m_update(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int32_t x, y, w, h;
	uint32_t stride, fmt;
	const void *px;
	size_t len;
	int r = sd_bus_message_read(m, "iiiiuu", &x, &y, &w, &h, &stride, &fmt);
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'y', &px, &len);
	if (r < 0)
		return r;
	if (l->stream && format_ok(l, fmt, false))
		qe_stream_put(l->stream, x, y, w, h, px, stride, len);
	return reply(m);
}

/* The size of a memfd or DMA-BUF (whose inode may have none on older
 * kernels; it answers SEEK_END). */
static int shared_size(int fd, size_t *size)
{
	struct stat s;
	if (fstat(fd, &s) < 0)
		return -errno;
	off_t end = s.st_size;
	if (end == 0 && !S_ISREG(s.st_mode) && (end = lseek(fd, 0, SEEK_END)) < 0)
		return -errno;
	*size = (size_t)end;
	return 0;
}

static int map_shared(struct qe_listener *l, struct shared_frame *f, int fd, bool keep_fd,
		      size_t offset, uint32_t w, uint32_t h, uint32_t stride, bool y0_top)
{
	*f = (struct shared_frame){.fd = -1, .stride = stride, .offset = offset, .y0_top = y0_top};
	if (stride < (size_t)w * 4 || h == 0)
		return -EINVAL;
	f->len = (size_t)stride * h;
	f->map_len = offset + f->len;
	/* Reading past the end of the object would be SIGBUS, not an error. */
	size_t size = 0;
	int err = shared_size(fd, &size);
	if (err < 0)
		return err;
	if (size < f->map_len) {
		lc_warn("Console_%" PRIu32 ": shared surface of %zu bytes cannot hold %" PRIu32
			" rows of %" PRIu32 " bytes at offset %zu",
			l->console, size, h, stride, offset);
		*f = (struct shared_frame){.fd = -1};
		return -ERANGE;
	}
	void *p = mmap(NULL, f->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int r = -errno;
		*f = (struct shared_frame){.fd = -1};
		return r;
	}
	f->base = p;
	if (keep_fd) {
		f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (f->fd < 0) {
			int r = -errno;
			shared_drop(f);
			return r;
		}
	}
	return 0;
}

static void dmabuf_sync(struct shared_frame *f, uint64_t flags)
{
	struct dma_buf_sync s = {.flags = flags | DMA_BUF_SYNC_READ};
	while (ioctl(f->fd, DMA_BUF_IOCTL_SYNC, &s) < 0 && (errno == EINTR || errno == EAGAIN))
		;
}

static void copy_shared(struct qe_listener *l, struct shared_frame *f, int x, int y, int w, int h)
{
	if (!f->base || !l->stream)
		return;
	if (f->fd >= 0)
		dmabuf_sync(f, DMA_BUF_SYNC_START);
	qe_stream_put_from_frame(l->stream, x, y, w, h, f->base + f->offset, f->stride, f->len,
				 f->y0_top);
	if (f->fd >= 0)
		dmabuf_sync(f, DMA_BUF_SYNC_END);
}

/* QEMU >= 9.2 with Unix.Map advertised: the surface is shared memory, and
 * updates only say where it changed. */
static int m_scanout_map(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int fd;
	uint32_t offset, w, h, stride, fmt;
	int r = sd_bus_message_read(m, "huuuuu", &fd, &offset, &w, &h, &stride, &fmt);
	if (r < 0)
		return r;
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	if (l->stream && format_ok(l, fmt, false)) {
		r = map_shared(l, &l->map, fd, false, offset, w, h, stride, true);
		if (r < 0)
			lc_warn("Console_%" PRIu32 ": cannot map the shared surface: %s",
				l->console, strerror(-r));
		else if (qe_stream_resize(l->stream, w, h) == 0)
			copy_shared(l, &l->map, 0, 0, (int)w, (int)h);
	}
	r = reply(m);
	first_picture(l, "ScanoutMap", w, h);
	return r;
}

static int m_update_map(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int32_t x, y, w, h;
	int r = sd_bus_message_read(m, "iiii", &x, &y, &w, &h);
	if (r < 0)
		return r;
	copy_shared(l, &l->map, x, y, w, h);
	return reply(m);
}

/* QEMU with GL (virgl): the picture is a DMA-BUF. Linear buffers are
 * mapped and copied; QEMU holds the guest's rendering until UpdateDMABUF
 * is answered, so the answer comes after the copy, not after encoding. */
static int m_scanout_dmabuf(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int fd, y0_top;
	uint32_t w, h, stride, fourcc;
	uint64_t modifier;
	int r = sd_bus_message_read(m, "huuuutb", &fd, &w, &h, &stride, &fourcc, &modifier,
				    &y0_top);
	if (r < 0)
		return r;
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	first_picture(l, "ScanoutDMABUF", w, h);
	if (!l->stream || !format_ok(l, fourcc, true))
		return reply(m);
	if (modifier != DRM_FORMAT_MOD_LINEAR && modifier != DRM_FORMAT_MOD_INVALID) {
		lc_warn("Console_%" PRIu32 ": DMA-BUF with tiling modifier 0x%016" PRIx64
			" cannot be read by the CPU; dropped",
			l->console, modifier);
		return reply(m);
	}
	r = map_shared(l, &l->dmabuf, fd, true, 0, w, h, stride, y0_top);
	if (r < 0)
		lc_warn("Console_%" PRIu32 ": cannot map the DMA-BUF: %s", l->console,
			strerror(-r));
	else if (qe_stream_resize(l->stream, w, h) == 0)
		copy_shared(l, &l->dmabuf, 0, 0, (int)w, (int)h);
	return reply(m);
}

static int m_update_dmabuf(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int32_t x, y, w, h;
	int r = sd_bus_message_read(m, "iiii", &x, &y, &w, &h);
	if (r < 0)
		return r;
	copy_shared(l, &l->dmabuf, x, y, w, h);
	return reply(m);
}

static int m_disable(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	lc_info("Console_%" PRIu32 ": QEMU disabled the display", l->console);
	if (l->stream)
		qe_stream_disable(l->stream);
	int r = reply(m);
	l->events.disabled(l->events.data, l);
	return r;
}

static int m_mouse_set(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int32_t x, y, on;
	int r = sd_bus_message_read(m, "iii", &x, &y, &on);
	if (r < 0)
		return r;
	if (l->stream)
		qe_stream_mouse_set(l->stream, x, y, on != 0);
	return reply(m);
}

static int m_cursor_define(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	int32_t w, h, hx, hy;
	const void *px;
	size_t len;
	int r = sd_bus_message_read(m, "iiii", &w, &h, &hx, &hy);
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'y', &px, &len);
	if (r < 0)
		return r;
	if (l->stream)
		qe_stream_cursor_define(l->stream, w, h, hx, hy, px, len);
	return reply(m);
}

static int p_interfaces(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply_msg, void *data, sd_bus_error *err)
{
	/* Newer QEMUs (9.2+) share the surface as memory when we say we can. */
	return sd_bus_message_append(reply_msg, "as", 1, MAP_IFACE);
}

static const sd_bus_vtable listener_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Scanout", "uuuuay", "", m_scanout, 0),
	SD_BUS_METHOD("Update", "iiiiuuay", "", m_update, 0),
	SD_BUS_METHOD("ScanoutDMABUF", "huuuutb", "", m_scanout_dmabuf, 0),
	SD_BUS_METHOD("UpdateDMABUF", "iiii", "", m_update_dmabuf, 0),
	SD_BUS_METHOD("Disable", "", "", m_disable, 0),
	SD_BUS_METHOD("MouseSet", "iii", "", m_mouse_set, 0),
	SD_BUS_METHOD("CursorDefine", "iiiiay", "", m_cursor_define, 0),
	SD_BUS_PROPERTY("Interfaces", "as", p_interfaces, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable map_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("ScanoutMap", "huuuuu", "", m_scanout_map, 0),
	SD_BUS_METHOD("UpdateMap", "iiii", "", m_update_map, 0),
	SD_BUS_VTABLE_END,
};

static int report_gone(sd_event_source *s, void *data)
{
	struct qe_listener *l = data;
	l->gone = sd_event_source_disable_unref(l->gone);
	l->events.state(l->events.data, l, false); /* may destroy l */
	return 0;
}

static void schedule_gone(struct qe_listener *l)
{
	if (!l->alive)
		return;
	l->alive = false;
	l->registered = false;
	if (!l->gone && sd_event_add_defer(l->ev, &l->gone, report_gone, l) < 0)
		lc_err("Console_%" PRIu32 ": cannot schedule the listener's end", l->console);
}

static int p2p_filter(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		lc_info("Console_%" PRIu32 ": QEMU closed the listener connection", l->console);
		schedule_gone(l);
	}
	return 0;
}

static int register_reply(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct qe_listener *l = data;
	l->register_call = sd_bus_slot_unref(l->register_call);
	const sd_bus_error *e = sd_bus_message_get_error(m);
	if (e) {
		lc_warn("Console_%" PRIu32 ": RegisterListener failed: %s", l->console,
			e->message ? e->message : e->name);
		schedule_gone(l);
		return 0;
	}
	l->registered = true;
	lc_debug("Console_%" PRIu32 ": listener registered", l->console);
	l->events.state(l->events.data, l, true);
	return 0;
}

/* sd-bus (systemd 252) leaves a message that arrived in the same read as
 * the end of the authentication in its buffer until more bytes come; QEMU
 * sends its first call (a synchronous GetAll) exactly then and waits 25 s.
 * So after every loop iteration, process what the bus may hold. */
static int drain_p2p(sd_event_source *s, void *data)
{
	struct qe_listener *l = data;
	/* One message per turn: a backlog of whole frames must not keep the
	 * loop from handing encoded frames out. */
	int r = l->alive ? sd_bus_process(l->p2p, NULL) : 0;
	if (r < 0 && r != -ENOTCONN && r != -ECONNRESET)
		lc_debug("Console_%" PRIu32 ": %s", l->console, strerror(-r));
	return 0;
}

int qe_listener_create(struct qe_listener **out, sd_event *ev, sd_bus *bus, const char *owner,
		       uint32_t console_id, struct qe_stream *stream,
		       const struct qe_listener_events *events)
{
	struct qe_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ev = sd_event_ref(ev);
	l->console = console_id;
	l->stream = stream;
	l->events = *events;
	l->map.fd = l->dmabuf.fd = -1;
	l->alive = true;

	int sv[2] = {-1, -1};
	sd_bus_message *call = NULL;
	char desc[32], path[64];
	snprintf(desc, sizeof(desc), "listener-%" PRIu32, console_id);
	snprintf(path, sizeof(path), "/org/qemu/Display1/Console_%" PRIu32, console_id);
	int r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0;
	/* Our end is a D-Bus client whose object exists before QEMU learns of
	 * the socket: QEMU authenticates and builds its proxy synchronously
	 * inside RegisterListener, so that call must not block us. */
	/* QEMU 7.2 sends every flip as an 8 MB Scanout: a larger send buffer
	 * on its end takes a frame in fewer socket round trips (bounded by
	 * net.core.wmem_max; best effort). */
	if (r >= 0) {
		int sndbuf = 8 << 20;
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	if (r >= 0)
		r = sd_bus_new(&l->p2p);
	if (r >= 0)
		r = sd_bus_set_fd(l->p2p, sv[0], sv[0]);
	if (r >= 0) {
		sv[0] = -1; /* the bus owns it now */
		r = sd_bus_set_description(l->p2p, desc);
	}
	if (r >= 0)
		r = sd_bus_negotiate_fds(l->p2p, 1);
	if (r >= 0)
		r = sd_bus_add_object_vtable(l->p2p, NULL, LISTENER_PATH, LISTENER_IFACE,
					     listener_vtable, l);
	if (r >= 0)
		r = sd_bus_add_object_vtable(l->p2p, NULL, LISTENER_PATH, MAP_IFACE, map_vtable, l);
	if (r >= 0)
		r = sd_bus_add_filter(l->p2p, NULL, p2p_filter, l);
	if (r >= 0)
		r = sd_bus_start(l->p2p);
	if (r >= 0)
		r = sd_bus_attach_event(l->p2p, ev, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_event_add_post(ev, &l->drain, drain_p2p, l);
	if (r >= 0)
		r = sd_bus_message_new_method_call(bus, &call, owner, path, CONSOLE_IFACE,
						   "RegisterListener");
	if (r >= 0)
		r = sd_bus_message_append(call, "h", sv[1]); /* duplicated by sd-bus */
	if (r >= 0)
		r = sd_bus_call_async(bus, &l->register_call, call, register_reply, l,
				      REGISTER_TIMEOUT_USEC);
	sd_bus_message_unref(call);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (r < 0) {
		lc_warn("Console_%" PRIu32 ": cannot set up a listener: %s", console_id,
			strerror(-r));
		qe_listener_destroy(l);
		return r;
	}
	*out = l;
	return 0;
}

void qe_listener_destroy(struct qe_listener *l)
{
	if (!l)
		return;
	l->register_call = sd_bus_slot_unref(l->register_call);
	l->gone = sd_event_source_disable_unref(l->gone);
	l->drain = sd_event_source_disable_unref(l->drain);
	if (l->p2p) {
		sd_bus_detach_event(l->p2p);
		/* Closing the socket is what tells QEMU to drop the listener. */
		l->p2p = sd_bus_close_unref(l->p2p);
	}
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	sd_event_unref(l->ev);
	free(l);
}

uint32_t qe_listener_console(const struct qe_listener *l)
{
	return l->console;
}

struct qe_stream *qe_listener_stream(const struct qe_listener *l)
{
	return l->stream;
}

bool qe_listener_registered(const struct qe_listener *l)
{
	return l->registered;
}

bool qe_listener_alive(const struct qe_listener *l)
{
	return l->alive;
}

bool qe_listener_got_picture(const struct qe_listener *l)
{
	return l->got_picture;
}
