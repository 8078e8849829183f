#include "console_input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "log.h"
#include "qemu_display.h"

#define KEYBOARD_IFACE "org.qemu.Display1.Keyboard"
#define MOUSE_IFACE "org.qemu.Display1.Mouse"
#define TOUCH_IFACE "org.qemu.Display1.MultiTouch"
/* QEMU answers input at once; longer means it is wedged. */
#define CALL_TIMEOUT_USEC (5 * 1000 * 1000ull)

/* Events of one console waiting for their turn, oldest first. */
struct pending_queue {
	struct qe_input_event ev[QE_CONSOLE_INPUT_QUEUE];
	unsigned head, len;
	uint64_t last_key_usec; /* CLOCK_MONOTONIC of its last key call; 0 none */
};

struct qe_console_input {
	struct qe_display *display;
	sd_event *loop;
	sd_event_source *timer;      /* the next queued key's turn; off while no queue waits */
	struct pending_queue *queue; /* QE_MAX_SCANOUTS of them */
	unsigned inflight[QE_MAX_SCANOUTS];
	uint64_t generation; /* of the last call: errors are logged once per QEMU */
	bool warned[QE_MAX_SCANOUTS];
	struct qe_console_input_counters n;
};

/* One call's record, freed with its slot (reply or bus teardown). */
struct call {
	struct qe_console_input *ci;
	uint32_t scanout;
	const char *method;
};

struct qe_console_input *qe_console_input_create(struct qe_display *display, sd_event *loop)
{
	struct qe_console_input *ci = calloc(1, sizeof(*ci));
	if (!ci)
		return NULL;
	ci->queue = calloc(QE_MAX_SCANOUTS, sizeof(*ci->queue));
	if (!ci->queue) {
		free(ci);
		return NULL;
	}
	ci->display = display;
	ci->loop = sd_event_ref(loop);
	return ci;
}

void qe_console_input_destroy(struct qe_console_input *ci)
{
	if (!ci)
		return;
	sd_event_source_disable_unref(ci->timer);
	sd_event_unref(ci->loop);
	free(ci->queue);
	free(ci);
}

static int call_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct call *call = data;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	if (e) {
		struct qe_console_input *ci = call->ci;
		ci->n.failed_calls++;
		/* QEMU 7.2 says "Mouse is not absolute" when every tablet is bound
		 * to a head; once per scanout and QEMU is enough to diagnose it. */
		if (!ci->warned[call->scanout]) {
			ci->warned[call->scanout] = true;
			lc_warn("scanout %" PRIu32 ": QEMU refused %s: %s", call->scanout,
				call->method, e->message ? e->message : e->name);
		}
	}
	return 0;
}

static void call_gone(void *data)
{
	struct call *call = data;
	if (call->ci->inflight[call->scanout] > 0)
		call->ci->inflight[call->scanout]--;
	free(call);
}

/* One D-Bus call for ev, now. */
static bool send_call(struct qe_console_input *ci, uint32_t scanout,
		      const struct qe_input_event *ev, bool must)
{
	char path[64];
	if (scanout >= QE_MAX_SCANOUTS || qe_display_scanout_path(ci->display, scanout, path) < 0)
		return false;
	uint64_t gen = qe_display_generation(ci->display);
	if (gen != ci->generation) {
		ci->generation = gen;
		memset(ci->warned, 0, sizeof(ci->warned));
	}
	if (!must && ci->inflight[scanout] >= QE_CONSOLE_INPUT_MAX_INFLIGHT) {
		ci->n.refused_full++;
		return false;
	}
	const char *iface, *method;
	switch (ev->call) {
	case QE_CALL_KEY:
		iface = KEYBOARD_IFACE;
		method = ev->down ? "Press" : "Release";
		break;
	case QE_CALL_BUTTON:
		iface = MOUSE_IFACE;
		method = ev->down ? "Press" : "Release";
		break;
	case QE_CALL_ABS:
		iface = MOUSE_IFACE;
		method = "SetAbsPosition";
		break;
	case QE_CALL_REL:
		iface = MOUSE_IFACE;
		method = "RelMotion";
		break;
	case QE_CALL_TOUCH:
		iface = TOUCH_IFACE;
		method = "SendEvent";
		break;
	default: return false;
	}
	sd_bus *bus = qe_display_bus(ci->display);
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, qe_display_owner(ci->display), path, iface,
					       method);
	if (r >= 0) {
		switch (ev->call) {
		case QE_CALL_KEY:
		case QE_CALL_BUTTON: r = sd_bus_message_append(m, "u", ev->code); break;
		case QE_CALL_ABS:
			r = sd_bus_message_append(m, "uu", (uint32_t)ev->x, (uint32_t)ev->y);
			break;
		case QE_CALL_REL: r = sd_bus_message_append(m, "ii", ev->x, ev->y); break;
		case QE_CALL_TOUCH:
			r = sd_bus_message_append(m, "utdd", (uint32_t)ev->touch_kind,
						  (uint64_t)ev->slot, (double)ev->x, (double)ev->y);
			break;
		}
	}
	struct call *call = NULL;
	sd_bus_slot *slot = NULL;
	if (r >= 0) {
		call = malloc(sizeof(*call));
		if (!call)
			r = -ENOMEM;
	}
	if (r >= 0) {
		*call = (struct call){.ci = ci, .scanout = scanout, .method = method};
		r = sd_bus_call_async(bus, &slot, m, call_reply, call, CALL_TIMEOUT_USEC);
	}
	sd_bus_message_unref(m);
	if (r < 0) {
		free(call);
		ci->n.failed_calls++;
		lc_warn("scanout %" PRIu32 ": cannot send %s.%s: %s", scanout, iface, method,
			strerror(-r));
		return false;
	}
	/* The bus owns the call from here; its record goes with the slot. */
	sd_bus_slot_set_destroy_callback(slot, call_gone);
	sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);
	ci->inflight[scanout]++;
	if (ci->inflight[scanout] > ci->n.inflight_max)
		ci->n.inflight_max = ci->inflight[scanout];
	ci->n.sent++;
	return true;
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool key_due(const struct pending_queue *q, uint64_t now)
{
	return q->last_key_usec == 0 || now - q->last_key_usec >= QE_CONSOLE_INPUT_KEY_GAP_USEC;
}

static int timer_fired(sd_event_source *s, uint64_t usec, void *data);

/* Sends what is due of every queue, in order; re-arms the timer for the
 * next key's turn while any queue waits. */
static void drain(struct qe_console_input *ci)
{
	uint64_t now = now_usec(), next = 0;
	for (uint32_t so = 0; so < QE_MAX_SCANOUTS; so++) {
		struct pending_queue *q = &ci->queue[so];
		while (q->len > 0) {
			const struct qe_input_event *ev = &q->ev[q->head];
			if (ev->call == QE_CALL_KEY && !key_due(q, now))
				break;
			if (qe_display_scanout_path(ci->display, so, (char[64]){0}) < 0) {
				q->len = 0; /* QEMU or the console is gone: nothing to wait for */
				break;
			}
			/* Accepted when queued: sent past the in-flight bound too (a
			 * call that fails is counted there, and gone). */
			send_call(ci, so, ev, true);
			if (ev->call == QE_CALL_KEY)
				q->last_key_usec = now;
			q->head = (q->head + 1) % QE_CONSOLE_INPUT_QUEUE;
			q->len--;
		}
		if (q->len > 0) {
			uint64_t due = q->last_key_usec + QE_CONSOLE_INPUT_KEY_GAP_USEC;
			if (next == 0 || due < next)
				next = due;
		}
	}
	if (next == 0) {
		if (ci->timer)
			sd_event_source_set_enabled(ci->timer, SD_EVENT_OFF);
		return;
	}
	int r = ci->timer ? sd_event_source_set_time(ci->timer, next)
			  : sd_event_add_time(ci->loop, &ci->timer, CLOCK_MONOTONIC, next, 1000,
					      timer_fired, ci);
	if (r >= 0)
		r = sd_event_source_set_enabled(ci->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		lc_warn("input: cannot arm the key pacing timer: %s", strerror(-r));
}

static int timer_fired(sd_event_source *s, uint64_t usec, void *data)
{
	drain(data);
	return 0;
}

/* Key events go to QEMU at most one per QE_CONSOLE_INPUT_KEY_GAP_USEC per
 * console, and everything after a waiting key waits behind it, so the
 * order across keyboard and pointer holds (Shift, then the click). */
bool qe_console_input_emit(void *data, uint32_t scanout, const struct qe_input_event *ev, bool must)
{
	struct qe_console_input *ci = data;
	if (scanout >= QE_MAX_SCANOUTS)
		return false;
	struct pending_queue *q = &ci->queue[scanout];
	uint64_t now = now_usec();
	if (q->len == 0 && (ev->call != QE_CALL_KEY || key_due(q, now))) {
		bool sent = send_call(ci, scanout, ev, must);
		if (sent && ev->call == QE_CALL_KEY)
			q->last_key_usec = now;
		return sent;
	}
	if (qe_display_scanout_path(ci->display, scanout, (char[64]){0}) < 0)
		return false;
	/* A newer absolute position replaces a waiting one at the tail. */
	if (ev->call == QE_CALL_ABS && q->len > 0) {
		struct qe_input_event *tail =
			&q->ev[(q->head + q->len - 1) % QE_CONSOLE_INPUT_QUEUE];
		if (tail->call == QE_CALL_ABS) {
			*tail = *ev;
			return true;
		}
	}
	/* Half the queue is for presses and motion; the rest keeps room for
	 * the releases of what was pressed. */
	if (q->len >= (must ? QE_CONSOLE_INPUT_QUEUE : QE_CONSOLE_INPUT_QUEUE / 2)) {
		ci->n.refused_full++;
		return false;
	}
	q->ev[(q->head + q->len) % QE_CONSOLE_INPUT_QUEUE] = *ev;
	q->len++;
	if (q->len > ci->n.queued_max)
		ci->n.queued_max = q->len;
	drain(ci);
	return true;
}

void qe_console_input_counters(const struct qe_console_input *ci,
			       struct qe_console_input_counters *out)
{
	*out = ci->n;
}
