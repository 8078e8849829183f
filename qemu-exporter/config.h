/* Command-line options of qemu-frame-exporter. */
#ifndef QE_CONFIG_H
#define QE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "encoder.h"
#include "hxfr_auth.h"
#include "log.h"

struct qe_config {
	char listen_host[64];
	uint16_t listen_port;
	const char *dbus_address; /* NULL: DBUS_SESSION_BUS_ADDRESS */
	const char *control_key_path;
	bool have_key;
	struct hxfr_key key;
	bool allow_shared_key_mode;
	bool allow_remote;
	bool allow_unauthenticated_control;
	unsigned max_clients;
	enum lc_log_level log_level;
	/* frame plane */
	bool allow_unkeyed_subscribe; /* Helix v1 SUBSCRIBE without a key */
	enum qe_encoder_kind encoder;
	const char *preset;
	const char *vaapi_device;
	uint32_t bitrate_bps;
	uint32_t idr_interval_ms;
	unsigned max_subscribers_per_scanout;
	size_t queue_bytes;
	unsigned queue_frames;
	const char *gpu_id; /* --gpu-id: the virtio-gpu whose heads are scanouts */
	/* --print-qemu-args mode */
	bool print_qemu_args;
	unsigned outputs;
	bool unbound_tablet; /* --qemu-version 7.2 (the default) */
};

enum qe_config_result {
	QE_CONFIG_RUN = 0,
	QE_CONFIG_EXIT_OK = 1,    /* --help, --version */
	QE_CONFIG_EXIT_USAGE = 2, /* bad options; message already printed */
};

/* Parses argv and loads the control key. Messages go to stderr. */
enum qe_config_result qe_config_parse(struct qe_config *cfg, int argc, char **argv);
void qe_config_finish(struct qe_config *cfg); /* wipes the key */

#endif
