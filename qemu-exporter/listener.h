/* One console's org.qemu.Display1.Listener: the peer-to-peer D-Bus
 * connection QEMU calls with the console's pictures (RegisterListener with
 * a socketpair; QEMU is the authenticating server, we are the client and
 * export /org/qemu/Display1/Listener). Every call is answered at once and
 * nothing encodes on QEMU's call path: a whole-frame Scanout hands the
 * stream the D-Bus message itself (referenced; the encoder converts
 * straight from it), a partial Update is copied into the stream's picture,
 * and a shared-memory (ScanoutMap) or DMA-BUF frame is read from its map. */
#ifndef QE_LISTENER_H
#define QE_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

struct qe_stream;
struct qe_listener;

struct qe_listener_events {
	/* RegisterListener answered (ok) or the connection ended (!ok). */
	void (*state)(void *data, struct qe_listener *l, bool registered);
	/* QEMU disabled the console (Disable). */
	void (*disabled)(void *data, struct qe_listener *l);
	void *data;
};

/* Starts the p2p connection and sends Console_<console_id>.RegisterListener
 * on bus to owner, without waiting. stream may be NULL (a console that is
 * no scanout of ours: its calls are answered and dropped). */
int qe_listener_create(struct qe_listener **out, sd_event *ev, sd_bus *bus, const char *owner,
		       uint32_t console_id, struct qe_stream *stream,
		       const struct qe_listener_events *events);
void qe_listener_destroy(struct qe_listener *l);
uint32_t qe_listener_console(const struct qe_listener *l);
struct qe_stream *qe_listener_stream(const struct qe_listener *l);
bool qe_listener_registered(const struct qe_listener *l);
bool qe_listener_alive(const struct qe_listener *l);
/* A picture (Scanout, ScanoutMap or ScanoutDMABUF) has arrived. */
bool qe_listener_got_picture(const struct qe_listener *l);

#endif
