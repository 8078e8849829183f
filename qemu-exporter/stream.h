/* One scanout's stream: the picture QEMU shows (kept current even with
 * nobody watching), an encoder thread while it has subscribers, the IDR
 * policy, and the fan-out of access units and cursor messages to the
 * subscribers' bounded queues.
 *
 * Threads: everything here runs on the main loop except the encoder
 * thread, which only touches the picture and the hand-over ring (under the
 * stream's lock) and reports through an eventfd. */
#ifndef QE_STREAM_H
#define QE_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "encoder.h"
#include "hxfr.h"
#include "list.h"
#include "outq.h"

struct qe_stream;
struct qe_sub;

struct qe_stream_config {
	enum qe_encoder_kind encoder;
	const char *preset;
	const char *vaapi_device;
	uint32_t bitrate_bps;
	uint32_t idr_interval_ms; /* 0: only on join, request and resize */
	unsigned max_subscribers;
	size_t queue_bytes; /* per subscriber */
	unsigned queue_frames;
};

struct qe_sub_ops {
	void (*wake)(struct qe_sub *sub); /* the queue has something to send */
	/* The stream ends this subscription (key died, QEMU gone): the owner
	 * says why and closes; the sub is already detached. */
	void (*kick)(struct qe_sub *sub, int32_t code, const char *why);
};

/* A subscription, embedded in its connection. */
struct qe_sub {
	struct qe_stream *stream; /* NULL: not subscribed */
	uint32_t scanout;         /* of the last subscription */
	struct qe_list link;
	bool keyed;     /* admitted with a stream key */
	bool cursor;    /* wants CURSOR_DEFINE / CURSOR_MOVE */
	bool needs_idr; /* skips frames until an IDR (joined, or lost frames) */
	bool idr_asked;
	uint64_t dropped; /* frames lost to a full queue */
	struct qe_outq q;
	const struct qe_sub_ops *ops;
};

int qe_stream_create(struct qe_stream **out, sd_event *ev, uint32_t scanout,
		     const struct qe_stream_config *cfg);
void qe_stream_destroy(struct qe_stream *st);
uint32_t qe_stream_scanout(const struct qe_stream *st);
/* The picture's size now (what input coordinates mean); 0x0 without one. */
void qe_stream_size(struct qe_stream *st, uint32_t *width, uint32_t *height);

/* From QEMU's listener (main loop). Pixels are BGRX (pixman x8r8g8b8). */
int qe_stream_resize(struct qe_stream *st, uint32_t width, uint32_t height);
void qe_stream_put(struct qe_stream *st, int x, int y, int w, int h, const uint8_t *src,
		   size_t stride, size_t len);
void qe_stream_put_from_frame(struct qe_stream *st, int x, int y, int w, int h,
			      const uint8_t *frame, size_t stride, size_t len, bool y0_top);
/* A whole picture of the stream's size (after qe_stream_resize) that lives
 * in a D-Bus message (Scanout): the stream keeps a reference to m instead
 * of copying the pixels, and the encoder converts straight from them. A
 * picture that is superseded before the encoder looks costs no copy. */
void qe_stream_put_message(struct qe_stream *st, sd_bus_message *m, const uint8_t *px,
			   size_t stride, size_t len);
void qe_stream_disable(struct qe_stream *st);
bool qe_stream_has_picture(struct qe_stream *st);
void qe_stream_cursor_define(struct qe_stream *st, int32_t w, int32_t h, int32_t hot_x,
			     int32_t hot_y, const uint8_t *argb, size_t len);
void qe_stream_mouse_set(struct qe_stream *st, int32_t x, int32_t y, bool visible);

/* Subscribers. attach: -EUSERS when the scanout has its maximum. */
int qe_stream_attach(struct qe_stream *st, struct qe_sub *sub);
void qe_stream_detach(struct qe_sub *sub);
unsigned qe_stream_subscriber_count(const struct qe_stream *st);
/* Makes the next access unit an IDR (even on a static screen). */
void qe_stream_request_idr(struct qe_stream *st);
/* REFRESH_REQ (HXFR.md §4.2.1): encodes the current picture once more as
 * an ordinary (non-IDR) frame for every subscriber, even on a static
 * screen, unless a frame is already coming. Says what it did. */
enum qe_refresh {
	QE_REFRESH_QUEUED,     /* the encoder will encode it */
	QE_REFRESH_PENDING,    /* an encode is pending anyway: its frame answers */
	QE_REFRESH_RECENT,     /* a frame was encoded less than 250 ms ago */
	QE_REFRESH_NO_PICTURE, /* nothing to show yet: no encode */
};
enum qe_refresh qe_stream_request_refresh(struct qe_stream *st);
/* A sub that lost frames to a full queue and has not asked for its IDR
 * yet: its owner calls qe_stream_sub_drained once the queue is empty and
 * the socket writable again (it caught up), even if nothing else is sent. */
static inline bool qe_stream_sub_awaits_drain(const struct qe_sub *sub)
{
	return sub->stream && sub->needs_idr && !sub->idr_asked;
}
/* The sub caught up: a sub that lost frames asks for its IDR now. */
void qe_stream_sub_drained(struct qe_sub *sub);
/* CONFIG_REQ: applies what it can (bitrate, frame-rate hint) and says what
 * is in effect. */
void qe_stream_configure(struct qe_stream *st, const struct hxfr_config_req *req,
			 struct hxfr_config_req *applied);
/* A subscriber's socket took a whole frame whose oldest change reached
 * the exporter at damage_ns (0: no change, an IDR on request or a
 * refresh). */
void qe_stream_frame_sent(struct qe_stream *st, int64_t damage_ns);
/* What the stream did since its last report, as one JSON object in buf
 * (counts, bytes received, copied, converted and produced, damage-to-
 * socket latency percentiles), then starts a new period. false, and buf
 * untouched, when it did nothing. */
bool qe_stream_report_stats(struct qe_stream *st, char *buf, size_t size);
/* Ends subscriptions (all, or only those admitted with a key). */
void qe_stream_kick(struct qe_stream *st, bool keyed_only, int32_t code, const char *why);

#endif
