#include "clock.h"
#include "stream.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "framestore.h"
#include "hist.h"
#include "log.h"

/* Access units waiting for the main loop; it drains them at once, so this
 * only fills when the loop is stalled. */
#define RING_SIZE 8
#define DEFAULT_FPS 60
#define MIN_BITRATE 100000u
#define MAX_BITRATE 200000000u
/* REFRESH_REQ is a no-op when a frame was encoded this recently (HXFR.md
 * §4.2.1): that frame is on its way to whoever asked, and it bounds what
 * any number of asking subscribers can cost to 4 encodes a second. */
#define REFRESH_MIN_GAP_NS (250 * 1000000LL)

/* What a stream did; cumulative, differences give a period's figures. */
struct counters {
	uint64_t updates; /* pictures and rectangles from QEMU */
	uint64_t encoded, idrs;
	uint64_t refresh_reqs; /* REFRESH_REQs received */
	uint64_t refreshes;    /* frames encoded only because of them */
	uint64_t convert_ns, encode_ns;
	uint64_t in_bytes;        /* pixel bytes that came through the D-Bus socket */
	uint64_t copied_bytes;    /* pixel bytes the exporter copied into its picture */
	uint64_t converted_bytes; /* BGRX bytes read by the colour conversion */
	uint64_t au_bytes;        /* H.264 produced */
};

struct qe_stream {
	sd_event *ev;
	uint32_t scanout;
	const struct qe_stream_config *cfg;
	struct qe_list subs;
	unsigned n_subs;
	struct qe_blob *cursor_define; /* last image, as a ready message */
	struct qe_blob *cursor_move;
	/* QEMU's MouseSet is the image's top-left (what the guest's cursor
	 * plane holds); CURSOR_MOVE is the hotspot's place (HXFR.md §5.9.2). */
	int32_t cursor_hot_x, cursor_hot_y;
	int efd;
	sd_event_source *efd_src;

	/* Shared with the encoder thread: everything below, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop, idr_req, ring_dropped;
	/* REFRESH_REQ: encode the unchanged picture once more, as a P-frame. */
	bool refresh_req;
	int64_t last_encode_ns; /* when the last encode began (0: none yet) */
	struct qe_framestore fs;
	/* When set, the picture is these pixels (a whole frame of fs's size,
	 * in a Scanout message) and fs.pixels is stale. The message is ref'd
	 * and unref'd on the main loop only; the encoder reads the pixels
	 * under the lock, so the main loop swaps them under it. */
	sd_bus_message *frame_msg;
	const uint8_t *frame_px;
	size_t frame_stride;
	uint32_t bitrate, fps_num, fps_den;
	uint64_t config_gen;
	uint32_t enc_width, enc_height;
	uint8_t profile, level;
	struct qe_blob *ring[RING_SIZE];
	unsigned ring_head, ring_len;
	/* CLOCK_MONOTONIC of the oldest and newest change the encoder has not
	 * taken yet (0: none). */
	int64_t damage_first_ns, damage_last_ns;
	struct counters n;

	/* Main loop only: the figures at the encoder's start (logged when it
	 * stops) and at the last report (qe_stream_report_stats). */
	struct counters at_start, at_report;
	int64_t cpu_start_ns; /* the process' CPU time when the encoder started */
	int64_t report_ns;
	uint64_t sent_frames;            /* frames written whole to a subscriber */
	struct lc_hist damage_to_socket; /* ns, one sample per frame sent */
};

/* User + system CPU of the whole process: what a picture costs does not
 * depend on how busy the machine is, unlike the wall-clock times. */
static int64_t process_cpu_ns(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Finds the SPS of an IDR access unit: profile_idc and level_idc. */
static void read_sps(const uint8_t *p, size_t n, uint8_t *profile, uint8_t *level)
{
	for (size_t i = 0; i + 6 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 && (p[i + 3] & 0x1f) == 7) {
			*profile = p[i + 4];
			*level = p[i + 6];
			return;
		}
}

static struct qe_encoder *make_encoder(struct qe_stream *st, uint32_t w, uint32_t h,
				       uint32_t bitrate, uint32_t fps_num, uint32_t fps_den)
{
	struct qe_encoder_params p = {
		.kind = st->cfg->encoder,
		.preset = st->cfg->preset,
		.vaapi_device = st->cfg->vaapi_device,
		.width = w,
		.height = h,
		.bitrate_bps = bitrate,
		.fps_num = fps_num,
		.fps_den = fps_den,
	};
	struct qe_encoder *enc = NULL;
	int r = qe_encoder_create(&enc, &p);
	if (r < 0 && p.kind == QE_ENCODER_VAAPI) {
		lc_warn("scanout %" PRIu32 ": VAAPI encoder unavailable (%s); using libx264",
			st->scanout, strerror(-r));
		p.kind = QE_ENCODER_X264;
		r = qe_encoder_create(&enc, &p);
	}
	if (r < 0) {
		lc_err("scanout %" PRIu32 ": cannot create a %" PRIu32 "x%" PRIu32 " encoder: %s",
		       st->scanout, w, h, strerror(-r));
		return NULL;
	}
	lc_info("scanout %" PRIu32 ": encoder %s %" PRIu32 "x%" PRIu32 " at %" PRIu32
		" bit/s, %" PRIu32 "/%" PRIu32 " fps hint",
		st->scanout, qe_encoder_name(enc), w, h, bitrate, fps_num, fps_den);
	return enc;
}

/* Hands an access unit to the main loop. Called with the lock held. */
static void ring_push(struct qe_stream *st, struct qe_blob *b)
{
	if (st->ring_len == RING_SIZE) {
		/* The main loop is stalled: dropping breaks every decoder's
		 * reference chain, so everyone waits for the IDR asked for here. */
		qe_blob_unref(b);
		st->ring_dropped = true;
		st->idr_req = true;
		return;
	}
	st->ring[(st->ring_head + st->ring_len++) % RING_SIZE] = b;
}

static void *encoder_main(void *data)
{
	struct qe_stream *st = data;
	struct qe_encoder *enc = NULL;
	uint64_t gen = 0;
	int64_t last_idr = 0, last_pts = 0;
	bool broken = false; /* cannot encode this size: wait for another */
	uint64_t broken_resizes = 0;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->stop &&
		       !(st->fs.valid &&
			 (st->idr_req || st->refresh_req || st->fs.damage.x0 < st->fs.damage.x1) &&
			 !(broken && broken_resizes == st->fs.resizes)))
			pthread_cond_wait(&st->cond, &st->lock);
		if (st->stop)
			break;
		broken = false;
		bool idr = st->idr_req, refresh = st->refresh_req;
		st->idr_req = st->refresh_req = false;
		uint32_t w = st->fs.width & ~1u, h = st->fs.height & ~1u;
		if (!enc || w != st->enc_width || h != st->enc_height || gen != st->config_gen) {
			/* A resize or a new configuration: a new encoder, whose first
			 * picture is an IDR with the new SPS. */
			uint32_t bitrate = st->bitrate, fn = st->fps_num, fd = st->fps_den;
			uint64_t resizes = st->fs.resizes;
			gen = st->config_gen;
			pthread_mutex_unlock(&st->lock);
			qe_encoder_destroy(enc);
			enc = w >= 2 && h >= 2 ? make_encoder(st, w, h, bitrate, fn, fd) : NULL;
			pthread_mutex_lock(&st->lock);
			if (!enc) {
				broken = true;
				broken_resizes = resizes;
				st->enc_width = st->enc_height = 0;
				continue;
			}
			st->enc_width = w;
			st->enc_height = h;
			if (resizes != st->fs.resizes || !st->fs.valid) {
				st->idr_req = true; /* resized again meanwhile: start over */
				continue;
			}
			qe_framestore_damage_all(&st->fs);
			/* The new encoder's first picture is the IDR anyone asked
			 * for while it was being made (a joining subscriber). */
			idr = true;
			st->idr_req = false;
		}
		int64_t t0 = lc_now_ns();
		st->last_encode_ns = t0;
		/* The periodic IDR waits for a change: a refresh of a static
		 * screen (the keepalive of a viewer) stays a tiny all-skip
		 * P-frame instead of a whole picture every few seconds. */
		bool changed = st->fs.damage.x0 < st->fs.damage.x1;
		if (changed && st->cfg->idr_interval_ms &&
		    t0 - last_idr >= (int64_t)st->cfg->idr_interval_ms * 1000000)
			idr = true;
		/* Nothing to convert: the input picture is still the last one
		 * converted, and the encoder codes it against its own
		 * reconstruction of it. */
		bool refresh_only = refresh && !idr && !changed;
		/* pts is when the newest change in the picture reached us (a
		 * picture with no change, an IDR on request or a refresh, is
		 * stamped now). */
		int64_t damage_ns = st->damage_first_ns;
		int64_t pts = st->damage_last_ns ? st->damage_last_ns : t0;
		st->damage_first_ns = st->damage_last_ns = 0;
		if (pts <= last_pts)
			pts = last_pts + 1;
		last_pts = pts;
		struct qe_rect d;
		if (qe_framestore_take_damage(&st->fs, &d)) {
			/* 4:2:0 needs even coordinates; the encoder may be one pixel
			 * smaller than an odd-sized picture. */
			int x0 = d.x0 & ~1, y0 = d.y0 & ~1;
			int x1 = (d.x1 + 1) & ~1, y1 = (d.y1 + 1) & ~1;
			if (x1 > (int)w)
				x1 = (int)w;
			if (y1 > (int)h)
				y1 = (int)h;
			if (x0 < x1 && y0 < y1) {
				st->n.converted_bytes += (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0) *
							 4;
				if (st->frame_msg)
					qe_encoder_convert(enc, st->frame_px,
							   (uint32_t)st->frame_stride, x0, y0, x1,
							   y1);
				else
					qe_encoder_convert(enc, st->fs.pixels, st->fs.stride, x0,
							   y0, x1, y1);
			}
		}
		pthread_mutex_unlock(&st->lock);

		int64_t t1 = lc_now_ns();
		const uint8_t *au;
		size_t au_len;
		bool is_idr;
		int r = qe_encoder_encode(enc, idr, &au, &au_len, &is_idr);
		int64_t t2 = lc_now_ns();
		struct qe_blob *b = NULL;
		if (r == 0 && au_len > 0 && au_len <= HXFR_MAX_SERVER_PAYLOAD - 28) {
			b = qe_blob_new(QE_BLOB_FRAME, HXFR_FRAME_PREFIX_SIZE + au_len);
			if (b) {
				/* No reordering, so dts = pts. */
				hxfr_encode_frame_header(b->data, HXFR_FRAME_PREFIX_SIZE,
							 (uint16_t)st->scanout, pts, pts, is_idr,
							 (uint32_t)au_len);
				/* From the change (pts) to here: what a viewer's
				 * "encoder latency" is, on the exporter's clock. */
				if (t2 > pts)
					hxfr_frame_header_set_latency(
						b->data, (uint32_t)((t2 - pts) / 1000 > UINT32_MAX
									    ? UINT32_MAX
									    : (t2 - pts) / 1000));
				memcpy(b->data + HXFR_FRAME_PREFIX_SIZE, au, au_len);
				b->keyframe = is_idr;
				b->damage_ns = damage_ns;
			}
		}
		if (is_idr)
			last_idr = t0;

		pthread_mutex_lock(&st->lock);
		if (r < 0) {
			/* An encoder that failed once is not trusted again. */
			qe_encoder_destroy(enc);
			enc = NULL;
			st->idr_req = true;
			continue;
		}
		st->n.encoded++;
		st->n.convert_ns += (uint64_t)(t1 - t0);
		st->n.encode_ns += (uint64_t)(t2 - t1);
		st->n.au_bytes += au_len;
		if (is_idr) {
			st->n.idrs++;
			read_sps(au, au_len, &st->profile, &st->level);
		}
		st->n.refreshes += refresh_only;
		if (b) {
			ring_push(st, b);
			uint64_t one = 1;
			if (write(st->efd, &one, sizeof(one)) < 0)
				lc_debug("eventfd: %s", strerror(errno));
		}
	}
	pthread_mutex_unlock(&st->lock);
	qe_encoder_destroy(enc);
	return NULL;
}

static void deliver(struct qe_sub *sub, struct qe_blob *b)
{
	struct qe_outq *q = &sub->q;
	if (b->kind == QE_BLOB_FRAME) {
		if (sub->needs_idr && !b->keyframe)
			return;
		if (!qe_outq_push(q, b)) {
			/* Behind: what is queued is now useless to its decoder
			 * without the frames that cannot follow. */
			qe_outq_drop(q, QE_BLOB_FRAME);
			sub->dropped++;
			if (!sub->needs_idr)
				lc_debug("scanout %" PRIu32
					 ": a subscriber is behind; dropping frames "
					 "until it catches up",
					 sub->stream->scanout);
			sub->needs_idr = true;
			sub->idr_asked = false;
			if (!b->keyframe || !qe_outq_push(q, b)) {
				/* The drop may have emptied the queue: the owner must
				 * still watch for the socket to drain, to ask for the
				 * IDR then (a static screen sends nothing else). */
				sub->ops->wake(sub);
				return;
			}
		}
		if (b->keyframe)
			sub->needs_idr = sub->idr_asked = false;
	} else {
		/* A newer cursor state supersedes a queued one of its kind. */
		qe_outq_drop(q, b->kind);
		qe_outq_push_force(q, b);
	}
	sub->ops->wake(sub);
}

static void fan_out(struct qe_stream *st, struct qe_blob *b)
{
	struct qe_list *pos, *tmp;
	qe_list_for_each_safe(pos, tmp, &st->subs)
	{
		struct qe_sub *sub = qe_container_of(pos, struct qe_sub, link);
		if (b->kind == QE_BLOB_FRAME || sub->cursor)
			deliver(sub, b);
	}
}

static int on_efd(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct qe_stream *st = data;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		lc_warn("scanout %" PRIu32 ": eventfd: %s", st->scanout, strerror(errno));
	struct qe_blob *got[RING_SIZE];
	unsigned count = 0;
	pthread_mutex_lock(&st->lock);
	while (st->ring_len) {
		got[count++] = st->ring[st->ring_head];
		st->ring_head = (st->ring_head + 1) % RING_SIZE;
		st->ring_len--;
	}
	bool dropped = st->ring_dropped;
	st->ring_dropped = false;
	pthread_mutex_unlock(&st->lock);
	if (dropped) {
		struct qe_list *pos, *tmp;
		qe_list_for_each_safe(pos, tmp, &st->subs) qe_container_of(pos, struct qe_sub, link)
			->needs_idr = true;
	}
	for (unsigned i = 0; i < count; i++) {
		fan_out(st, got[i]);
		qe_blob_unref(got[i]);
	}
	return 0;
}

int qe_stream_create(struct qe_stream **out, sd_event *ev, uint32_t scanout,
		     const struct qe_stream_config *cfg)
{
	struct qe_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->ev = sd_event_ref(ev);
	st->scanout = scanout;
	st->cfg = cfg;
	st->bitrate = cfg->bitrate_bps;
	st->fps_num = DEFAULT_FPS;
	st->fps_den = 1;
	st->report_ns = lc_now_ns();
	qe_list_init(&st->subs);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int r = st->efd < 0 ? -errno
			    : sd_event_add_io(ev, &st->efd_src, st->efd, EPOLLIN, on_efd, st);
	/* Encoded frames go out before more of QEMU's pictures are read. */
	if (r >= 0)
		r = sd_event_source_set_priority(st->efd_src, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0) {
		qe_stream_destroy(st);
		return r;
	}
	*out = st;
	return 0;
}

static sd_bus_message *take_frame_msg(struct qe_stream *st);

/* The counters now, less those of an earlier snapshot. */
static struct counters counters_since(struct qe_stream *st, const struct counters *then)
{
	pthread_mutex_lock(&st->lock);
	struct counters c = st->n;
	pthread_mutex_unlock(&st->lock);
	return (struct counters){
		.updates = c.updates - then->updates,
		.encoded = c.encoded - then->encoded,
		.idrs = c.idrs - then->idrs,
		.refresh_reqs = c.refresh_reqs - then->refresh_reqs,
		.refreshes = c.refreshes - then->refreshes,
		.convert_ns = c.convert_ns - then->convert_ns,
		.encode_ns = c.encode_ns - then->encode_ns,
		.in_bytes = c.in_bytes - then->in_bytes,
		.copied_bytes = c.copied_bytes - then->copied_bytes,
		.converted_bytes = c.converted_bytes - then->converted_bytes,
		.au_bytes = c.au_bytes - then->au_bytes,
	};
}

static void stop_encoder(struct qe_stream *st)
{
	if (!st->running)
		return;
	pthread_mutex_lock(&st->lock);
	st->stop = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->thread, NULL);
	st->running = false;
	st->stop = false;
	double cpu_ms = (double)(process_cpu_ns() - st->cpu_start_ns) / 1e6;
	struct counters d = counters_since(st, &st->at_start);
	if (d.encoded)
		lc_info("scanout %" PRIu32 ": encoder stopped: %" PRIu64 " pictures in, %" PRIu64
			" encoded (%" PRIu64 " IDR, %" PRIu64 " refresh for %" PRIu64
			" REFRESH_REQ), mean convert %.2f ms, encode %.2f ms, %.1f KiB "
			"per frame; process CPU %.0f ms (%.2f ms per picture in, %.2f per frame out)",
			st->scanout, d.updates, d.encoded, d.idrs, d.refreshes, d.refresh_reqs,
			(double)d.convert_ns / (double)d.encoded / 1e6,
			(double)d.encode_ns / (double)d.encoded / 1e6,
			(double)d.au_bytes / (double)d.encoded / 1024.0, cpu_ms,
			d.updates ? cpu_ms / (double)d.updates : 0.0, cpu_ms / (double)d.encoded);
}

void qe_stream_destroy(struct qe_stream *st)
{
	if (!st)
		return;
	qe_stream_kick(st, false, HXFR_ERR_BACKEND, "the exporter is shutting down");
	stop_encoder(st);
	st->efd_src = sd_event_source_disable_unref(st->efd_src);
	if (st->efd >= 0)
		close(st->efd);
	while (st->ring_len) {
		qe_blob_unref(st->ring[st->ring_head]);
		st->ring_head = (st->ring_head + 1) % RING_SIZE;
		st->ring_len--;
	}
	qe_blob_unref(st->cursor_define);
	qe_blob_unref(st->cursor_move);
	sd_bus_message_unref(take_frame_msg(st));
	qe_framestore_finish(&st->fs);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	sd_event_unref(st->ev);
	free(st);
}

uint32_t qe_stream_scanout(const struct qe_stream *st)
{
	return st->scanout;
}

void qe_stream_size(struct qe_stream *st, uint32_t *width, uint32_t *height)
{
	pthread_mutex_lock(&st->lock);
	bool valid = st->fs.valid;
	*width = valid ? st->fs.width : 0;
	*height = valid ? st->fs.height : 0;
	pthread_mutex_unlock(&st->lock);
}

/* Forgets the held message (lock held); the caller unrefs what this
 * returns after unlocking. */
static sd_bus_message *take_frame_msg(struct qe_stream *st)
{
	sd_bus_message *m = st->frame_msg;
	st->frame_msg = NULL;
	st->frame_px = NULL;
	st->frame_stride = 0;
	return m;
}

/* Before a partial write: fs must hold the whole picture again (lock
 * held). Only a rectangle that follows a Scanout not yet superseded pays
 * this copy. */
static sd_bus_message *materialize(struct qe_stream *st, int x, int y, int w, int h)
{
	if (!st->frame_msg)
		return NULL;
	bool covers = x <= 0 && y <= 0 && (int64_t)x + w >= st->fs.width &&
		      (int64_t)y + h >= st->fs.height;
	if (!covers) {
		struct qe_rect keep = st->fs.damage;
		qe_framestore_put(&st->fs, 0, 0, (int)st->fs.width, (int)st->fs.height,
				  st->frame_px, st->frame_stride, st->frame_stride * st->fs.height);
		st->fs.damage = keep; /* the picture did not change */
		st->n.copied_bytes += (uint64_t)st->fs.width * st->fs.height * 4;
	}
	return take_frame_msg(st);
}

int qe_stream_resize(struct qe_stream *st, uint32_t width, uint32_t height)
{
	sd_bus_message *old = NULL;
	pthread_mutex_lock(&st->lock);
	if (width != st->fs.width || height != st->fs.height)
		old = take_frame_msg(st);
	int r = qe_framestore_resize(&st->fs, width, height);
	if (r < 0) {
		qe_framestore_invalidate(&st->fs);
		old = old ? old : take_frame_msg(st);
	}
	pthread_mutex_unlock(&st->lock);
	sd_bus_message_unref(old);
	return r;
}

/* The bytes of the rectangle that lie in the picture. */
static uint64_t clipped_bytes(const struct qe_framestore *fs, int x, int y, int w, int h)
{
	int64_t x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
	int64_t x1 = (int64_t)x + w, y1 = (int64_t)y + h;
	if (x1 > fs->width)
		x1 = fs->width;
	if (y1 > fs->height)
		y1 = fs->height;
	return x0 < x1 && y0 < y1 ? (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0) * 4 : 0;
}

/* The picture changed (lock held): stamp it, count it, wake the encoder.
 * Only a change someone is subscribed for is stamped: damage to socket is
 * the latency a viewer sees, and a change made before anyone subscribed
 * would otherwise be timed from then (its picture reaches the first
 * subscriber as an IDR stamped at the encode). */
static void note_change(struct qe_stream *st, uint64_t in_bytes, uint64_t copied_bytes)
{
	if (st->running) {
		int64_t t = lc_now_ns();
		if (!st->damage_first_ns)
			st->damage_first_ns = t;
		st->damage_last_ns = t;
	}
	st->n.updates++;
	st->n.in_bytes += in_bytes;
	st->n.copied_bytes += copied_bytes;
	pthread_cond_signal(&st->cond);
}

void qe_stream_put(struct qe_stream *st, int x, int y, int w, int h, const uint8_t *src,
		   size_t stride, size_t len)
{
	pthread_mutex_lock(&st->lock);
	sd_bus_message *old = st->fs.valid ? materialize(st, x, y, w, h) : NULL;
	if (qe_framestore_put(&st->fs, x, y, w, h, src, stride, len))
		note_change(st, len, clipped_bytes(&st->fs, x, y, w, h));
	pthread_mutex_unlock(&st->lock);
	sd_bus_message_unref(old);
}

void qe_stream_put_from_frame(struct qe_stream *st, int x, int y, int w, int h,
			      const uint8_t *frame, size_t stride, size_t len, bool y0_top)
{
	pthread_mutex_lock(&st->lock);
	sd_bus_message *old = st->fs.valid ? materialize(st, x, y, w, h) : NULL;
	/* Shared memory or a DMA-BUF: nothing came through the socket. */
	if (qe_framestore_put_from_frame(&st->fs, x, y, w, h, frame, stride, len, y0_top))
		note_change(st, 0, clipped_bytes(&st->fs, x, y, w, h));
	pthread_mutex_unlock(&st->lock);
	sd_bus_message_unref(old);
}

void qe_stream_put_message(struct qe_stream *st, sd_bus_message *m, const uint8_t *px,
			   size_t stride, size_t len)
{
	pthread_mutex_lock(&st->lock);
	uint32_t w = st->fs.width, h = st->fs.height;
	if (!st->fs.valid || stride < (size_t)w * 4 || len < stride * (h - 1) + (size_t)w * 4) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	sd_bus_message *old = take_frame_msg(st);
	st->frame_msg = sd_bus_message_ref(m);
	st->frame_px = px;
	st->frame_stride = stride;
	qe_framestore_damage_all(&st->fs);
	note_change(st, len, 0); /* the encoder reads the message's pixels */
	pthread_mutex_unlock(&st->lock);
	sd_bus_message_unref(old);
}

void qe_stream_disable(struct qe_stream *st)
{
	pthread_mutex_lock(&st->lock);
	qe_framestore_invalidate(&st->fs);
	sd_bus_message *old = take_frame_msg(st);
	pthread_mutex_unlock(&st->lock);
	sd_bus_message_unref(old);
}

bool qe_stream_has_picture(struct qe_stream *st)
{
	pthread_mutex_lock(&st->lock);
	bool v = st->fs.valid;
	pthread_mutex_unlock(&st->lock);
	return v;
}

void qe_stream_cursor_define(struct qe_stream *st, int32_t w, int32_t h, int32_t hot_x,
			     int32_t hot_y, const uint8_t *argb, size_t len)
{
	if (w < 1 || h < 1 || w > HXFR_CURSOR_MAX_SIZE || h > HXFR_CURSOR_MAX_SIZE ||
	    len != (size_t)w * (size_t)h * 4) {
		lc_debug("scanout %" PRIu32 ": cursor %" PRId32 "x%" PRId32 " (%zu bytes) not "
			 "forwarded",
			 st->scanout, w, h, len);
		return;
	}
	struct qe_blob *b = qe_blob_new(QE_BLOB_CURSOR_DEFINE, HXFR_HEADER_SIZE + 16 + len);
	if (!b)
		return;
	if (!hxfr_encode_cursor_define(b->data, b->len, (uint16_t)st->scanout, w, h, hot_x, hot_y,
				       argb)) {
		lc_debug("scanout %" PRIu32 ": cursor hotspot (%" PRId32 ",%" PRId32 ") outside "
			 "its image; not forwarded",
			 st->scanout, hot_x, hot_y);
		qe_blob_unref(b);
		return;
	}
	qe_blob_unref(st->cursor_define);
	st->cursor_define = b;
	st->cursor_hot_x = hot_x;
	st->cursor_hot_y = hot_y;
	fan_out(st, b);
}

void qe_stream_mouse_set(struct qe_stream *st, int32_t x, int32_t y, bool visible)
{
	struct qe_blob *b = qe_blob_new(QE_BLOB_CURSOR_MOVE, HXFR_HEADER_SIZE + 12);
	if (!b)
		return;
	/* hot is 0..511: only the top can overflow (a guest's wild position). */
	int64_t hx = (int64_t)x + st->cursor_hot_x, hy = (int64_t)y + st->cursor_hot_y;
	hxfr_encode_cursor_move(b->data, b->len, (uint16_t)st->scanout,
				(int32_t)(hx > INT32_MAX ? INT32_MAX : hx),
				(int32_t)(hy > INT32_MAX ? INT32_MAX : hy), visible);
	qe_blob_unref(st->cursor_move);
	st->cursor_move = b;
	fan_out(st, b);
}

int qe_stream_attach(struct qe_stream *st, struct qe_sub *sub)
{
	if (st->n_subs >= st->cfg->max_subscribers)
		return -EUSERS;
	if (!st->running) {
		st->stop = false;
		/* Stamps left from the last subscription are nobody's latency. */
		st->damage_first_ns = st->damage_last_ns = 0;
		st->refresh_req = false;
		st->last_encode_ns = 0;
		st->cpu_start_ns = process_cpu_ns();
		st->at_start = counters_since(st, &(struct counters){0});
		int r = pthread_create(&st->thread, NULL, encoder_main, st);
		if (r) {
			lc_err("scanout %" PRIu32 ": cannot start an encoder thread: %s",
			       st->scanout, strerror(r));
			return -r;
		}
		st->running = true;
	}
	sub->stream = st;
	sub->scanout = st->scanout;
	qe_list_insert_tail(&st->subs, &sub->link);
	st->n_subs++;
	/* A new subscriber starts with an IDR, made from the last picture if
	 * the screen is static; until then it gets no P-frames. */
	sub->needs_idr = true;
	sub->idr_asked = true;
	qe_stream_request_idr(st);
	if (sub->cursor) {
		if (st->cursor_define)
			deliver(sub, st->cursor_define);
		if (st->cursor_move)
			deliver(sub, st->cursor_move);
	}
	return 0;
}

void qe_stream_detach(struct qe_sub *sub)
{
	struct qe_stream *st = sub->stream;
	if (!st)
		return;
	qe_list_remove(&sub->link);
	sub->stream = NULL;
	if (--st->n_subs == 0)
		stop_encoder(st); /* nobody watches: no thread, no encodes */
}

unsigned qe_stream_subscriber_count(const struct qe_stream *st)
{
	return st->n_subs;
}

void qe_stream_request_idr(struct qe_stream *st)
{
	pthread_mutex_lock(&st->lock);
	st->idr_req = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

enum qe_refresh qe_stream_request_refresh(struct qe_stream *st)
{
	enum qe_refresh r = QE_REFRESH_QUEUED;
	pthread_mutex_lock(&st->lock);
	st->n.refresh_reqs++;
	if (!st->running || !st->fs.valid)
		r = QE_REFRESH_NO_PICTURE;
	else if (st->idr_req || st->refresh_req || st->fs.damage.x0 < st->fs.damage.x1)
		r = QE_REFRESH_PENDING; /* that encode's frame is the new frame */
	else if (st->last_encode_ns && lc_now_ns() - st->last_encode_ns < REFRESH_MIN_GAP_NS)
		r = QE_REFRESH_RECENT;
	if (r == QE_REFRESH_QUEUED) {
		st->refresh_req = true;
		pthread_cond_signal(&st->cond);
	}
	pthread_mutex_unlock(&st->lock);
	return r;
}

void qe_stream_sub_drained(struct qe_sub *sub)
{
	if (sub->stream && sub->needs_idr && !sub->idr_asked) {
		sub->idr_asked = true;
		qe_stream_request_idr(sub->stream);
	}
}

void qe_stream_configure(struct qe_stream *st, const struct hxfr_config_req *req,
			 struct hxfr_config_req *applied)
{
	pthread_mutex_lock(&st->lock);
	bool changed = false;
	if (req->bitrate_bps) {
		uint32_t b = req->bitrate_bps;
		b = b < MIN_BITRATE ? MIN_BITRATE : b > MAX_BITRATE ? MAX_BITRATE : b;
		changed |= b != st->bitrate;
		st->bitrate = b;
	}
	/* A frame-rate hint from 1 to 240 fps steers rate control; pictures
	 * are still encoded when, and only when, the screen changes. */
	if (req->framerate_num && req->framerate_den &&
	    (uint64_t)req->framerate_num <= 240ull * req->framerate_den &&
	    req->framerate_num >= req->framerate_den) {
		changed |= req->framerate_num != st->fps_num || req->framerate_den != st->fps_den;
		st->fps_num = req->framerate_num;
		st->fps_den = req->framerate_den;
	}
	if (changed) {
		st->config_gen++;
		pthread_cond_signal(&st->cond);
	}
	*applied = (struct hxfr_config_req){
		.width = st->enc_width ? st->enc_width : st->fs.width & ~1u,
		.height = st->enc_height ? st->enc_height : st->fs.height & ~1u,
		.bitrate_bps = st->bitrate,
		.framerate_num = st->fps_num,
		.framerate_den = st->fps_den,
		.profile = st->profile,
		.level = st->level,
		.realtime = 1,
	};
	pthread_mutex_unlock(&st->lock);
	if (changed)
		lc_info("scanout %" PRIu32 ": CONFIG: %" PRIu32 " bit/s, %" PRIu32 "/%" PRIu32
			" fps hint (the encoder restarts with an IDR)",
			st->scanout, applied->bitrate_bps, applied->framerate_num,
			applied->framerate_den);
}

void qe_stream_kick(struct qe_stream *st, bool keyed_only, int32_t code, const char *why)
{
	struct qe_list *pos, *tmp;
	qe_list_for_each_safe(pos, tmp, &st->subs)
	{
		struct qe_sub *sub = qe_container_of(pos, struct qe_sub, link);
		if (keyed_only && !sub->keyed)
			continue;
		qe_stream_detach(sub);
		sub->ops->kick(sub, code, why);
	}
}

void qe_stream_frame_sent(struct qe_stream *st, int64_t damage_ns)
{
	st->sent_frames++;
	if (damage_ns > 0) {
		int64_t t = lc_now_ns();
		lc_hist_add(&st->damage_to_socket, t > damage_ns ? (uint64_t)(t - damage_ns) : 0);
	}
}

bool qe_stream_report_stats(struct qe_stream *st, char *buf, size_t size)
{
	struct counters d = counters_since(st, &st->at_report);
	if (!d.updates && !d.encoded && !st->sent_frames && !d.refresh_reqs)
		return false;
	int64_t t = lc_now_ns();
	const struct lc_hist *h = &st->damage_to_socket;
	double per = d.encoded ? 1.0 / (double)d.encoded : 0.0;
	snprintf(buf, size,
		 "{\"scanout\":%" PRIu32 ",\"secs\":%.3f,\"subscribers\":%u,"
		 "\"updates\":%" PRIu64 ",\"encoded\":%" PRIu64 ",\"idr\":%" PRIu64
		 ",\"refresh\":%" PRIu64 ",\"refresh_req\":%" PRIu64 ",\"sent_frames\":%" PRIu64
		 ",\"in_bytes\":%" PRIu64 ",\"copied_bytes\":%" PRIu64
		 ",\"converted_bytes\":%" PRIu64 ",\"au_bytes\":%" PRIu64
		 ",\"convert_ms_mean\":%.3f,\"encode_ms_mean\":%.3f,"
		 "\"damage_to_socket_ms\":{\"n\":%" PRIu64 ",\"p50\":%.3f,\"p99\":%.3f,"
		 "\"max\":%.3f}}",
		 st->scanout, (double)(t - st->report_ns) / 1e9, st->n_subs, d.updates, d.encoded,
		 d.idrs, d.refreshes, d.refresh_reqs, st->sent_frames, d.in_bytes, d.copied_bytes,
		 d.converted_bytes, d.au_bytes, (double)d.convert_ns * per / 1e6,
		 (double)d.encode_ns * per / 1e6, h->count, (double)lc_hist_quantile(h, 0.5) / 1e6,
		 (double)lc_hist_quantile(h, 0.99) / 1e6, (double)h->max / 1e6);
	st->at_report = counters_since(st, &(struct counters){0});
	st->report_ns = t;
	st->sent_frames = 0;
	lc_hist_reset(&st->damage_to_socket);
	return true;
}
