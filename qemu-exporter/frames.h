/* The frame plane: a listener on every console of the current QEMU, a
 * stream per scanout, and the stream keys that gate who may subscribe.
 * Follows QEMU as it comes, goes and restarts (qe_frames_display_changed). */
#ifndef QE_FRAMES_H
#define QE_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "hxfr.h"

struct qe_config;
struct qe_display;
struct qe_frames;
struct qe_stream;
struct qe_sub;

struct qe_frames_status {
	unsigned consoles, registered, with_picture, subscribers, keys;
};

int qe_frames_create(struct qe_frames **out, sd_event *ev, struct qe_display *display,
		     const struct qe_config *cfg, void (*status_changed)(void *data), void *data);
void qe_frames_destroy(struct qe_frames *f);
/* main.c calls this after every change of the display's state. */
void qe_frames_display_changed(struct qe_frames *f);
void qe_frames_status(const struct qe_frames *f, struct qe_frames_status *st);
/* Logs "stats {json}" for each scanout that did something since the last
 * report (SIGUSR1), and starts a new period. */
void qe_frames_report_stats(struct qe_frames *f);

/* SUBSCRIBE (key NULL) or SUBSCRIBE_KEYED. false with *code and message
 * set when refused (HXFR_ERR_AUTH_FAILED for any key that does not open
 * the scanout: the caller then closes the connection). */
bool qe_frames_subscribe(struct qe_frames *f, struct qe_sub *sub, uint32_t scanout,
			 const uint8_t *key, int32_t *code, char message[HXFR_ERROR_MESSAGE_LEN]);
/* STREAM_KEY_REQ / STREAM_KEY_REVOKE from a connection allowed to. */
bool qe_frames_key_create(struct qe_frames *f, uint32_t scanout, uint8_t key[HXFR_STREAM_KEY_LEN],
			  int32_t *code, char message[HXFR_ERROR_MESSAGE_LEN]);
bool qe_frames_key_revoke(struct qe_frames *f, uint32_t scanout, int32_t *code,
			  char message[HXFR_ERROR_MESSAGE_LEN]);
/* The scanout was turned off (DISABLE_SCANOUT done, or QEMU's Disable):
 * its key dies and the key's subscribers are told (ERROR 13) and closed. */
void qe_frames_scanout_disabled(struct qe_frames *f, uint32_t scanout, const char *why);

#endif
