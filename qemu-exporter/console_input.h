/* The D-Bus side of input: one qe_input_event becomes one asynchronous
 * org.qemu.Display1.Keyboard / Mouse / MultiTouch call on the console of
 * its scanout, with a bound on the calls in flight per console so a
 * flooding subscriber cannot queue without end in the exporter or in
 * QEMU. The calls belong to this module, not to the subscriber that caused
 * them: a release sent as its connection closes still reaches QEMU.
 *
 * Keys are paced: at most one key call per QE_CONSOLE_INPUT_KEY_GAP_USEC
 * per console, later events of that console queued behind them (bounded).
 * A burst (the browser types a whole word in a millisecond) would
 * otherwise overflow the guest's evdev client buffer (64 events for a
 * keyboard) whenever the compositor is slow to read, and evdev then drops
 * the lot (SYN_DROPPED): keys lost, as seen with cage, Mutter and sway
 * under TCG ("H!q" left of "Hello, leasecast 42!q"). QEMU's own VNC server
 * paces keys for the same reason (key-delay-ms).
 * Created by main.c after the display, destroyed after it (the display's
 * bus owns the calls' slots, whose teardown lands here). */
#ifndef QE_CONSOLE_INPUT_H
#define QE_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "input.h"

struct qe_display;
struct qe_console_input;

/* Calls in flight per console before non-release events are dropped. */
#define QE_CONSOLE_INPUT_MAX_INFLIGHT 64u
/* Events waiting per console (half of them for presses and motion). */
#define QE_CONSOLE_INPUT_QUEUE 512u
/* The gap between two key calls on one console: 50 key events a second,
 * twice the fastest typist's, and a compositor that stops reading for up
 * to 32 of them (640 ms: Mutter or sway with two tenants under TCG) loses
 * nothing. A lone key is never delayed. */
#define QE_CONSOLE_INPUT_KEY_GAP_USEC 20000u

struct qe_console_input *qe_console_input_create(struct qe_display *display, sd_event *loop);
void qe_console_input_destroy(struct qe_console_input *ci);

/* A qe_input_emit_fn (data = the qe_console_input). False when ev was not
 * sent: QEMU not connected, no such scanout, or (for an ev that is not a
 * must) the console's bound reached. */
bool qe_console_input_emit(void *data, uint32_t scanout, const struct qe_input_event *ev,
			   bool must);

struct qe_console_input_counters {
	uint64_t sent, failed_calls, refused_full;
	unsigned inflight_max, queued_max;
};
void qe_console_input_counters(const struct qe_console_input *ci,
			       struct qe_console_input_counters *out);

#endif
