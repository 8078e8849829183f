#include "console_input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "log.h"
#include "qemu_display.h"

#define KEYBOARD_IFACE "org.qemu.Display1.Keyboard"
#define MOUSE_IFACE "org.qemu.Display1.Mouse"
#define TOUCH_IFACE "org.qemu.Display1.MultiTouch"
/* QEMU answers input at once; longer means it is wedged. */
#define CALL_TIMEOUT_USEC (5 * 1000 * 1000ull)

struct qe_console_input {
	struct qe_display *display;
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

struct qe_console_input *qe_console_input_create(struct qe_display *display)
{
	struct qe_console_input *ci = calloc(1, sizeof(*ci));
	if (ci)
		ci->display = display;
	return ci;
}

void qe_console_input_destroy(struct qe_console_input *ci)
{
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

bool qe_console_input_emit(void *data, uint32_t scanout, const struct qe_input_event *ev, bool must)
{
	struct qe_console_input *ci = data;
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

void qe_console_input_counters(const struct qe_console_input *ci,
			       struct qe_console_input_counters *out)
{
	*out = ci->n;
}
