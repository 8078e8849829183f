#include "frames.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "keys.h"
#include "listener.h"
#include "log.h"
#include "qemu_display.h"
#include "stream.h"

#define REREGISTER_USEC (1000 * 1000ull)

struct console_slot {
	uint32_t id;
	int scanout;
	struct qe_listener *listener;
	bool was_registered; /* re-register if its connection drops */
};

struct qe_frames {
	sd_event *ev;
	struct qe_display *display;
	const struct qe_config *cfg;
	struct qe_stream_config scfg;
	struct qe_stream *streams[QE_MAX_SCANOUTS];
	struct qe_keys keys;
	struct console_slot *consoles;
	unsigned n_consoles;
	bool attached;
	uint64_t generation;
	sd_event_source *reregister;
	void (*status_changed)(void *data);
	void *data;
};

static void listener_state(void *data, struct qe_listener *l, bool registered);
static void listener_disabled(void *data, struct qe_listener *l);

static bool fail(int32_t *code, char *message, int32_t c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool fail(int32_t *code, char *message, int32_t c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, HXFR_ERROR_MESSAGE_LEN, fmt, ap);
	va_end(ap);
	*code = c;
	return false;
}

static void start_listener(struct qe_frames *f, struct console_slot *c)
{
	static const struct qe_listener_events events_tmpl = {
		.state = listener_state,
		.disabled = listener_disabled,
	};
	struct qe_listener_events events = events_tmpl;
	events.data = f;
	struct qe_stream *st = c->scanout >= 0 ? f->streams[c->scanout] : NULL;
	qe_listener_create(&c->listener, f->ev, qe_display_bus(f->display),
			   qe_display_owner(f->display), c->id, st, &events);
}

static int reregister_fired(sd_event_source *s, uint64_t usec, void *data)
{
	struct qe_frames *f = data;
	f->reregister = sd_event_source_disable_unref(f->reregister);
	for (unsigned i = 0; i < f->n_consoles; i++)
		if (!f->consoles[i].listener && f->consoles[i].was_registered) {
			lc_info("Console_%" PRIu32 ": registering a listener again",
				f->consoles[i].id);
			start_listener(f, &f->consoles[i]);
		}
	return 0;
}

static void listener_state(void *data, struct qe_listener *l, bool registered)
{
	struct qe_frames *f = data;
	struct console_slot *c = NULL;
	for (unsigned i = 0; i < f->n_consoles && !c; i++)
		if (f->consoles[i].listener == l)
			c = &f->consoles[i];
	if (!c)
		return;
	if (registered) {
		c->was_registered = true;
	} else if (!qe_listener_alive(l)) {
		/* The connection ended while QEMU stays: a console that went
		 * away and maybe came back. One registration attempt per second
		 * while it had worked before. */
		qe_listener_destroy(l);
		c->listener = NULL;
		if (c->was_registered && !f->reregister)
			sd_event_add_time_relative(f->ev, &f->reregister, CLOCK_MONOTONIC,
						   REREGISTER_USEC, 0, reregister_fired, f);
	}
	f->status_changed(f->data);
}

static void listener_disabled(void *data, struct qe_listener *l)
{
	struct qe_frames *f = data;
	struct qe_stream *st = qe_listener_stream(l);
	if (st)
		qe_frames_scanout_disabled(f, qe_stream_scanout(st), "QEMU disabled the display");
}

static void detach_instance(struct qe_frames *f, const char *why)
{
	f->reregister = sd_event_source_disable_unref(f->reregister);
	for (unsigned i = 0; i < f->n_consoles; i++)
		qe_listener_destroy(f->consoles[i].listener);
	free(f->consoles);
	f->consoles = NULL;
	f->n_consoles = 0;
	char text[HXFR_ERROR_MESSAGE_LEN];
	for (unsigned s = 0; s < QE_MAX_SCANOUTS; s++) {
		/* Keys die with the outputs of that QEMU; keyed subscribers are
		 * told so (13), the others that the backend is gone (7). */
		snprintf(text, sizeof(text), "stream key revoked: %s", why);
		qe_stream_kick(f->streams[s], true, HXFR_ERR_KEY_REVOKED, text);
		snprintf(text, sizeof(text), "scanout %u: %s", s, why);
		qe_stream_kick(f->streams[s], false, HXFR_ERR_BACKEND, text);
		qe_stream_disable(f->streams[s]);
	}
	qe_keys_revoke_all(&f->keys);
	f->attached = false;
}

static void attach_instance(struct qe_frames *f)
{
	unsigned n = qe_display_console_count(f->display);
	f->consoles = calloc(n ? n : 1, sizeof(*f->consoles));
	if (!f->consoles) {
		lc_err("out of memory");
		return;
	}
	f->n_consoles = n;
	f->attached = true;
	f->generation = qe_display_generation(f->display);
	for (unsigned i = 0; i < n; i++) {
		struct console_slot *c = &f->consoles[i];
		c->id = qe_display_console_id(f->display, i);
		c->scanout = qe_display_console_scanout(f->display, i);
		start_listener(f, c);
	}
	lc_info("registering listeners on %u consoles", n);
}

void qe_frames_display_changed(struct qe_frames *f)
{
	enum qe_display_state st = qe_display_state(f->display);
	bool ready = st == QE_DISPLAY_READY;
	if (f->attached && (!ready || qe_display_generation(f->display) != f->generation))
		detach_instance(f, ready || st == QE_DISPLAY_LOADING ? "QEMU restarted"
								     : "QEMU went away");
	if (ready && !f->attached)
		attach_instance(f);
	f->status_changed(f->data);
}

int qe_frames_create(struct qe_frames **out, sd_event *ev, struct qe_display *display,
		     const struct qe_config *cfg, void (*status_changed)(void *data), void *data)
{
	struct qe_frames *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->ev = sd_event_ref(ev);
	f->display = display;
	f->cfg = cfg;
	f->status_changed = status_changed;
	f->data = data;
	f->scfg = (struct qe_stream_config){
		.encoder = cfg->encoder,
		.preset = cfg->preset,
		.vaapi_device = cfg->vaapi_device,
		.bitrate_bps = cfg->bitrate_bps,
		.idr_interval_ms = cfg->idr_interval_ms,
		.max_subscribers = cfg->max_subscribers_per_scanout,
		.queue_bytes = cfg->queue_bytes,
		.queue_frames = cfg->queue_frames,
	};
	for (uint32_t s = 0; s < QE_MAX_SCANOUTS; s++) {
		int r = qe_stream_create(&f->streams[s], ev, s, &f->scfg);
		if (r < 0) {
			qe_frames_destroy(f);
			return r;
		}
	}
	*out = f;
	return 0;
}

void qe_frames_destroy(struct qe_frames *f)
{
	if (!f)
		return;
	if (f->attached)
		detach_instance(f, "the exporter is shutting down");
	for (unsigned s = 0; s < QE_MAX_SCANOUTS; s++)
		qe_stream_destroy(f->streams[s]);
	qe_keys_revoke_all(&f->keys);
	f->reregister = sd_event_source_disable_unref(f->reregister);
	sd_event_unref(f->ev);
	free(f);
}

void qe_frames_status(const struct qe_frames *f, struct qe_frames_status *st)
{
	*st = (struct qe_frames_status){.consoles = f->n_consoles};
	for (unsigned i = 0; i < f->n_consoles; i++) {
		const struct qe_listener *l = f->consoles[i].listener;
		if (l && qe_listener_registered(l))
			st->registered++;
		if (l && qe_listener_got_picture(l))
			st->with_picture++;
	}
	for (unsigned s = 0; s < QE_MAX_SCANOUTS; s++) {
		st->subscribers += qe_stream_subscriber_count(f->streams[s]);
		st->keys += f->keys.slot[s].set;
	}
}

void qe_frames_report_stats(struct qe_frames *f)
{
	char json[1024];
	for (unsigned s = 0; s < QE_MAX_SCANOUTS; s++)
		if (f->streams[s] && qe_stream_report_stats(f->streams[s], json, sizeof(json)))
			lc_info("stats %s", json);
}

/* Scanouts that can be streamed: those of QEMU's device, except 0 (the VM
 * console, not leased). */
static bool scanout_usable(struct qe_frames *f, uint32_t scanout, const char *what, int32_t *code,
			   char *message)
{
	if (qe_display_state(f->display) != QE_DISPLAY_READY)
		return fail(code, message, HXFR_ERR_BACKEND, "%s: QEMU not connected (%s)", what,
			    qe_display_state_str(qe_display_state(f->display)));
	unsigned count = qe_display_scanout_count(f->display);
	if (scanout == 0 || scanout >= count || scanout >= QE_MAX_SCANOUTS)
		return fail(code, message, HXFR_ERR_BAD_SCANOUT,
			    "%s: no scanout %" PRIu32 " (scanouts 1..%u; 0 is the VM console)",
			    what, scanout, count ? count - 1 : 0);
	return true;
}

bool qe_frames_subscribe(struct qe_frames *f, struct qe_sub *sub, uint32_t scanout,
			 const uint8_t *key, int32_t *code, char message[HXFR_ERROR_MESSAGE_LEN])
{
	if (key) {
		/* Wrong, dead, absent key or no such scanout: deliberately one answer. */
		if (!qe_keys_check(&f->keys, scanout < QE_MAX_SCANOUTS ? scanout : 0, key) ||
		    scanout >= QE_MAX_SCANOUTS)
			return fail(code, message, HXFR_ERR_AUTH_FAILED,
				    "SUBSCRIBE_KEYED: this key does not open scanout %" PRIu32,
				    scanout);
	} else if (!f->cfg->allow_unkeyed_subscribe) {
		return fail(code, message, HXFR_ERR_UNAUTHENTICATED,
			    "SUBSCRIBE needs the scanout's stream key: use SUBSCRIBE_KEYED (plain "
			    "SUBSCRIBE only with --allow-unkeyed-subscribe)");
	}
	if (!scanout_usable(f, scanout, key ? "SUBSCRIBE_KEYED" : "SUBSCRIBE", code, message))
		return false;
	sub->keyed = key != NULL;
	int r = qe_stream_attach(f->streams[scanout], sub);
	if (r == -EUSERS)
		return fail(code, message, HXFR_ERR_LIMIT,
			    "scanout %" PRIu32 " has its maximum of %u subscribers", scanout,
			    f->cfg->max_subscribers_per_scanout);
	if (r < 0)
		return fail(code, message, HXFR_ERR_BACKEND, "cannot start streaming: %s",
			    strerror(-r));
	f->status_changed(f->data);
	return true;
}

bool qe_frames_key_create(struct qe_frames *f, uint32_t scanout, uint8_t key[HXFR_STREAM_KEY_LEN],
			  int32_t *code, char message[HXFR_ERROR_MESSAGE_LEN])
{
	if (!scanout_usable(f, scanout, "STREAM_KEY_REQ", code, message))
		return false;
	bool had = f->keys.slot[scanout].set;
	int r = qe_keys_create(&f->keys, scanout, key);
	if (r < 0)
		return fail(code, message, HXFR_ERR_BACKEND, "cannot draw a key: %s", strerror(-r));
	if (had)
		qe_stream_kick(f->streams[scanout], true, HXFR_ERR_KEY_REVOKED,
			       "stream key revoked: replaced by a new key");
	lc_info("scanout %" PRIu32 ": new stream key%s", scanout,
		had ? " (replaces the old one)" : "");
	f->status_changed(f->data);
	return true;
}

bool qe_frames_key_revoke(struct qe_frames *f, uint32_t scanout, int32_t *code,
			  char message[HXFR_ERROR_MESSAGE_LEN])
{
	if (scanout == 0 || scanout >= QE_MAX_SCANOUTS)
		return fail(code, message, HXFR_ERR_BAD_SCANOUT,
			    "STREAM_KEY_REVOKE: no scanout %" PRIu32, scanout);
	if (qe_keys_revoke(&f->keys, scanout)) {
		lc_info("scanout %" PRIu32 ": stream key revoked", scanout);
		qe_stream_kick(f->streams[scanout], true, HXFR_ERR_KEY_REVOKED,
			       "stream key revoked");
	}
	f->status_changed(f->data);
	return true;
}

void qe_frames_scanout_disabled(struct qe_frames *f, uint32_t scanout, const char *why)
{
	if (scanout >= QE_MAX_SCANOUTS)
		return;
	if (qe_keys_revoke(&f->keys, scanout)) {
		char text[HXFR_ERROR_MESSAGE_LEN];
		snprintf(text, sizeof(text), "stream key revoked: %s", why);
		lc_info("scanout %" PRIu32 ": stream key revoked: %s", scanout, why);
		qe_stream_kick(f->streams[scanout], true, HXFR_ERR_KEY_REVOKED, text);
	}
	f->status_changed(f->data);
}
