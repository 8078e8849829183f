/* libFuzzer target: what a hostile, buggy or newer QEMU calls on the
 * exporter's org.qemu.Display1.Listener. The input is a sequence of calls
 * (Scanout, Update, ScanoutMap, UpdateMap, ScanoutDMABUF, UpdateDMABUF,
 * CursorDefine, MouseSet, Disable) with arbitrary arguments and array
 * lengths. Each becomes a real sealed sd-bus message handed to the very
 * method handler sd-bus would call; shared memory is a memfd of an
 * arbitrary size (a DMA-BUF stand-in too: its sync ioctl just fails).
 *
 * The handlers and the stream are static by design, so their sources are
 * compiled into this file rather than linked: that lets the target check
 * what the stream holds after each call. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../qemu-exporter/listener.c"
#include "../../qemu-exporter/stream.c"
#include "fuzz.h"

/* The largest shared-memory object a call may come with. */
#define MAX_SHM (4u << 20)

struct input {
	const uint8_t *p;
	size_t left;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes && in->left; i++, in->p++, in->left--)
		v |= (uint32_t)*in->p << (8 * i);
	return v;
}

/* Mostly the format the exporter takes, sometimes anything. */
static uint32_t take_format(struct input *in, bool drm)
{
	uint8_t sel = (uint8_t)take(in, 1);
	if (sel < 224)
		return drm ? DRM_FORMAT_XRGB8888 : PIXMAN_X8R8G8B8;
	return take(in, 4);
}

static const uint8_t *take_bytes(struct input *in, size_t *len)
{
	size_t n = take(in, 3);
	if (n > in->left)
		n = in->left;
	const uint8_t *p = in->p;
	in->p += n;
	in->left -= n;
	*len = n;
	return p;
}

static int shm_of(struct input *in)
{
	size_t size = take(in, 3) % (MAX_SHM + 1);
	int fd = memfd_create("fuzz-surface", MFD_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

static sd_bus *bus;
static sd_event *ev;
static struct qe_stream_config scfg = {.encoder = QE_ENCODER_X264, .max_subscribers = 1};

static void on_state(void *d, struct qe_listener *l, bool registered) {}

static void on_disabled(void *d, struct qe_listener *l) {}

static void setup(void)
{
	lc_log_init("fuzz", LC_LOG_SILENT);
	int sv[2];
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	/* A bus that never runs: it only owns the messages. */
	ASSERT(sd_bus_new(&bus) >= 0);
	ASSERT(sd_bus_set_fd(bus, sv[0], sv[0]) >= 0);
	ASSERT(sd_bus_start(bus) >= 0);
	ASSERT(sd_event_new(&ev) >= 0);
	close(sv[1]);
}

static sd_bus_message *call_new(const char *iface, const char *member)
{
	sd_bus_message *m = NULL;
	ASSERT(sd_bus_message_new_method_call(bus, &m, NULL, LISTENER_PATH, iface, member) >= 0);
	/* The handlers' replies are then no-ops, as for QEMU's calls that
	 * need none. */
	ASSERT(sd_bus_message_set_expect_reply(m, 0) >= 0);
	return m;
}

static void call_run(sd_bus_message *m, sd_bus_message_handler_t handler, struct qe_listener *l)
{
	static uint64_t cookie;
	ASSERT(sd_bus_message_seal(m, ++cookie, 0) >= 0);
	ASSERT(sd_bus_message_rewind(m, true) >= 0);
	int r = handler(m, l, NULL);
	ASSERT(r >= 0);
	sd_bus_message_unref(m);
}

/* The stream's picture, when it has one, is whole: a Scanout message
 * that covers it, or pixels that something wrote (never a new buffer
 * nobody filled). */
static void check_stream(struct qe_stream *st, uint64_t resizes_before, bool filled)
{
	if (!st->fs.valid)
		return;
	ASSERT(st->fs.width && st->fs.height && st->fs.pixels);
	if (st->frame_msg) {
		ASSERT(st->frame_stride >= (size_t)st->fs.width * 4);
		return;
	}
	if (st->fs.resizes != resizes_before)
		ASSERT(filled);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!bus)
		setup();
	struct qe_stream *st = NULL;
	ASSERT(qe_stream_create(&st, ev, 1, &scfg) == 0);
	struct qe_listener *l = calloc(1, sizeof(*l));
	ASSERT(l);
	l->console = 1;
	l->stream = st;
	l->events = (struct qe_listener_events){.state = on_state, .disabled = on_disabled};
	l->map.fd = l->dmabuf.fd = -1;
	l->alive = true;

	struct input in = {data, size};
	while (in.left) {
		uint8_t op = (uint8_t)take(&in, 1);
		uint64_t resizes = st->fs.resizes;
		bool filled = false;
		sd_bus_message *m;
		const uint8_t *px;
		size_t len;
		switch (op % 9) {
		case 0: { /* Scanout */
			m = call_new(LISTENER_IFACE, "Scanout");
			uint32_t w = take(&in, 2), h = take(&in, 2), stride = take(&in, 4);
			uint32_t fmt = take_format(&in, false);
			px = take_bytes(&in, &len);
			ASSERT(sd_bus_message_append(m, "uuuu", w, h, stride, fmt) >= 0);
			ASSERT(sd_bus_message_append_array(m, 'y', px, len) >= 0);
			call_run(m, m_scanout, l);
			break;
		}
		case 1: { /* Update */
			m = call_new(LISTENER_IFACE, "Update");
			int32_t x = (int32_t)take(&in, 4), y = (int32_t)take(&in, 4);
			int32_t w = (int32_t)take(&in, 4), h = (int32_t)take(&in, 4);
			uint32_t stride = take(&in, 4), fmt = take_format(&in, false);
			px = take_bytes(&in, &len);
			ASSERT(sd_bus_message_append(m, "iiiiuu", x, y, w, h, stride, fmt) >= 0);
			ASSERT(sd_bus_message_append_array(m, 'y', px, len) >= 0);
			call_run(m, m_update, l);
			break;
		}
		case 2: { /* ScanoutMap */
			m = call_new(MAP_IFACE, "ScanoutMap");
			int fd = shm_of(&in);
			uint32_t offset = take(&in, 3), w = take(&in, 2), h = take(&in, 2);
			uint32_t stride = take(&in, 4), fmt = take_format(&in, false);
			ASSERT(sd_bus_message_append(m, "huuuuu", fd, offset, w, h, stride, fmt) >=
			       0);
			close(fd); /* the message holds its own copy, as QEMU's would */
			call_run(m, m_scanout_map, l);
			filled = true;
			break;
		}
		case 3:   /* UpdateMap */
		case 4: { /* UpdateDMABUF */
			m = call_new(op % 9 == 3 ? MAP_IFACE : LISTENER_IFACE,
				     op % 9 == 3 ? "UpdateMap" : "UpdateDMABUF");
			int32_t x = (int32_t)take(&in, 4), y = (int32_t)take(&in, 4);
			int32_t w = (int32_t)take(&in, 4), h = (int32_t)take(&in, 4);
			ASSERT(sd_bus_message_append(m, "iiii", x, y, w, h) >= 0);
			call_run(m, op % 9 == 3 ? m_update_map : m_update_dmabuf, l);
			break;
		}
		case 5: { /* ScanoutDMABUF */
			m = call_new(LISTENER_IFACE, "ScanoutDMABUF");
			int fd = shm_of(&in);
			uint32_t w = take(&in, 2), h = take(&in, 2), stride = take(&in, 4);
			uint32_t fmt = take_format(&in, true);
			uint8_t sel = (uint8_t)take(&in, 1);
			uint64_t modifier = sel < 200   ? DRM_FORMAT_MOD_LINEAR
					    : sel < 220 ? DRM_FORMAT_MOD_INVALID
							: take(&in, 4);
			int y0_top = sel & 1;
			ASSERT(sd_bus_message_append(m, "huuuutb", fd, w, h, stride, fmt, modifier,
						     y0_top) >= 0);
			close(fd);
			call_run(m, m_scanout_dmabuf, l);
			filled = true;
			break;
		}
		case 6: { /* CursorDefine */
			m = call_new(LISTENER_IFACE, "CursorDefine");
			int32_t w = (int32_t)take(&in, 2), h = (int32_t)take(&in, 2);
			int32_t hx = (int32_t)take(&in, 4), hy = (int32_t)take(&in, 4);
			px = take_bytes(&in, &len);
			ASSERT(sd_bus_message_append(m, "iiii", w, h, hx, hy) >= 0);
			ASSERT(sd_bus_message_append_array(m, 'y', px, len) >= 0);
			call_run(m, m_cursor_define, l);
			break;
		}
		case 7: { /* MouseSet */
			m = call_new(LISTENER_IFACE, "MouseSet");
			int32_t x = (int32_t)take(&in, 4), y = (int32_t)take(&in, 4);
			int32_t on = (int32_t)take(&in, 1);
			ASSERT(sd_bus_message_append(m, "iii", x, y, on) >= 0);
			call_run(m, m_mouse_set, l);
			break;
		}
		default: /* Disable */
			m = call_new(LISTENER_IFACE, "Disable");
			call_run(m, m_disable, l);
			ASSERT(!qe_stream_has_picture(st));
			break;
		}
		check_stream(st, resizes, filled);
	}

	/* What the stream kept must still be readable. */
	pthread_mutex_lock(&st->lock);
	if (st->fs.valid && st->frame_msg) {
		volatile uint8_t sink = 0;
		size_t last = st->frame_stride * (st->fs.height - 1) + (size_t)st->fs.width * 4 - 1;
		sink ^= st->frame_px[0];
		sink ^= st->frame_px[last];
		(void)sink;
	}
	pthread_mutex_unlock(&st->lock);
	shared_drop(&l->map);
	shared_drop(&l->dmabuf);
	free(l);
	qe_stream_destroy(st);
	return 0;
}
