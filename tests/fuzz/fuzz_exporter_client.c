/* libFuzzer target: the bytes an HXFR client sends the exporter. A real
 * connection (qemu-exporter/client.c) sits on one end of a socketpair in a
 * real sd-event loop, with the real frame plane and control behind it; the
 * input is written to the other end, the replies are read, and the loop
 * runs until the connection is gone. The exporter's D-Bus is an address
 * nobody listens on, so QEMU is "not connected": every request takes the
 * path it takes while QEMU is away. Each run must end the connection, and
 * leave exactly the fds it found.
 *
 * The first input byte picks the exporter's options (control key, open
 * control, Helix v1 SUBSCRIBE); the rest is the byte stream. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "console_input.h"
#include "control.h"
#include "frames.h"
#include "qemu_display.h"
#include "fuzz.h"

/* Loop turns a run may take; a connection alive after that is stuck. */
#define MAX_TURNS 100000

static sd_event *ev;
static struct qe_config cfg;
static struct qe_display *display;
static struct qe_control *ctl;
static struct qe_frames *frames;
static struct qe_console_input *input;
static struct qe_client_env env;
static uint64_t next_id;

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ASSERT(d);
	unsigned n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void display_changed(void *data)
{
	/* As main.c does; not before both exist (the first connect). */
	if (ctl && frames) {
		qe_control_display_changed(ctl);
		qe_frames_display_changed(frames);
	}
}

static void status_changed(void *data) {}

static void client_gone(void *data, struct qe_client *c)
{
	*(volatile bool *)data = true;
}

static void setup(void)
{
	lc_log_init("fuzz", LC_LOG_SILENT);
	cfg = (struct qe_config){
		.encoder = QE_ENCODER_X264,
		.preset = "ultrafast",
		.bitrate_bps = 2000000,
		.max_subscribers_per_scanout = 4,
		.queue_bytes = 1 << 20,
		.queue_frames = 8,
		.key = {.len = 32},
	};
	memset(cfg.key.bytes, 0x5a, cfg.key.len);
	ASSERT(sd_event_new(&ev) >= 0);
	ASSERT(qe_display_create(&display, ev, "unix:path=/nonexistent/leasecast-fuzz-bus",
				 NULL, display_changed, NULL) == 0);
	ctl = qe_control_create(display, false);
	ASSERT(ctl);
	ASSERT(qe_frames_create(&frames, ev, display, &cfg, status_changed, NULL) == 0);
	input = qe_console_input_create(display, ev);
	ASSERT(input);
	env = (struct qe_client_env){
		.ev = ev, .cfg = &cfg, .ctl = ctl, .frames = frames, .display = display, .input = input};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ev)
		setup();
	uint8_t opts = size ? data[0] : 0;
	cfg.have_key = opts & 1;
	cfg.allow_unauthenticated_control = opts & 2;
	cfg.allow_unkeyed_subscribe = opts & 4;
	if (size) {
		data++;
		size--;
	}

	unsigned fds_before = count_fds();
	int sv[2];
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	/* Set by the connection's destruction, from inside the loop. */
	volatile bool gone = false;
	env.gone = client_gone;
	env.data = (void *)&gone;
	struct qe_client *c = qe_client_create(&env, sv[0], ++next_id, "fuzz");
	ASSERT(c);

	size_t sent = 0;
	bool shut = false;
	for (unsigned turn = 0; !gone; turn++) {
		ASSERT(turn < MAX_TURNS);
		if (sent < size) {
			ssize_t n = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else
				/* EPIPE: the exporter closed on a fatal error. */
				ASSERT(n < 0 &&
				       (errno == EAGAIN || errno == EPIPE || errno == ECONNRESET));
			if (n < 0 && errno != EAGAIN)
				sent = size;
		}
		if (sent == size && !shut) {
			shutdown(sv[1], SHUT_WR);
			shut = true;
		}
		uint8_t sink[65536];
		while (recv(sv[1], sink, sizeof(sink), 0) > 0)
			;
		ASSERT(sd_event_run(ev, 10 * 1000) >= 0);
	}
	close(sv[1]);
	ASSERT(count_fds() == fds_before);
	return 0;
}
