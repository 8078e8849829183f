/* The exporter's view of QEMU's D-Bus display (org.qemu.Display1): owns the
 * sd-bus connection, follows the owner of org.qemu as QEMU comes, goes and
 * restarts, reads the consoles and maps virtio-gpu scanout ids to them.
 * Never blocks: every D-Bus call is asynchronous. */
#ifndef QE_QEMU_DISPLAY_H
#define QE_QEMU_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define QE_MAX_SCANOUTS 16 /* virtio-gpu's VIRTIO_GPU_MAX_SCANOUTS */

enum qe_display_state {
	QE_DISPLAY_NO_BUS,  /* bus unreachable; reconnecting */
	QE_DISPLAY_NO_QEMU, /* bus up, org.qemu has no owner */
	QE_DISPLAY_LOADING, /* reading consoles */
	QE_DISPLAY_READY,
};

struct qe_display;

/* A SetUIInfo in flight, embedded in the caller's request. done runs once,
 * with err NULL on success, unless the call is cancelled first. */
struct qe_ui_call {
	sd_bus_slot *slot;
	void (*done)(struct qe_ui_call *call, const sd_bus_error *err);
};

/* changed runs after every state change (and when a new QEMU instance is
 * ready: generation then differs). gpu_id (NULL: guess) names the
 * virtio-gpu device (its id=) whose heads are the scanouts; without it the
 * first device labelled "virtio-..." is taken, then the first graphic one. */
int qe_display_create(struct qe_display **out, sd_event *ev, const char *address,
		      const char *gpu_id, void (*changed)(void *data), void *data);
void qe_display_destroy(struct qe_display *d);

enum qe_display_state qe_display_state(const struct qe_display *d);
const char *qe_display_state_str(enum qe_display_state s);
/* Bumped for every QEMU instance seen, so owners can drop stale state. */
uint64_t qe_display_generation(const struct qe_display *d);
/* Scanouts of the virtio-gpu device (0 unless READY). */
unsigned qe_display_scanout_count(const struct qe_display *d);
unsigned qe_display_console_count(const struct qe_display *d);

/* For the frame plane, valid while READY: the bus and QEMU's unique name
 * (for RegisterListener), and each console's id and scanout (-1 when the
 * console is no head of the streamed virtio-gpu device). */
sd_bus *qe_display_bus(const struct qe_display *d);
const char *qe_display_owner(const struct qe_display *d);
uint32_t qe_display_console_id(const struct qe_display *d, unsigned index);
int qe_display_console_scanout(const struct qe_display *d, unsigned index);

/* SetUIInfo on the console of scanout; width = height = 0 disables it.
 * -ENOTCONN unless READY, -ENOENT for an unknown scanout. */
int qe_display_set_ui_info(struct qe_display *d, uint32_t scanout, uint32_t width, uint32_t height,
			   struct qe_ui_call *call);
/* The physical size qe_display_set_ui_info sends for px pixels (96 dpi). */
uint16_t qe_display_mm_for_px(uint32_t px);
/* The same with an explicit physical size. */
int qe_display_set_ui_info_mm(struct qe_display *d, uint32_t scanout, uint32_t width,
			      uint32_t height, uint16_t width_mm, uint16_t height_mm,
			      struct qe_ui_call *call);
void qe_ui_call_cancel(struct qe_ui_call *call);

/* The object path of scanout's console (/org/qemu/Display1/Console_N), for
 * its Keyboard, Mouse and MultiTouch interfaces. -ENOTCONN, -ENOENT. */
int qe_display_scanout_path(const struct qe_display *d, uint32_t scanout, char path[64]);
/* MultiTouch.MaxSlots of scanout's console; 0 when it has no MultiTouch. */
unsigned qe_display_scanout_touch_slots(const struct qe_display *d, uint32_t scanout);

#endif
