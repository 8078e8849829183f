/* The broker's core: cards, outputs, leases and the policy that ties them.
 * Frontends (wl_lease.c for wp_drm_lease_v1, helix_server.c for the Helix
 * socket) only translate their protocol into these calls and listen to the
 * signals; every DRM and exporter side effect happens here (broker.c, which
 * leaves turning outputs on and off to output_power.c).
 *
 * Ownership: a frontend that gets an lb_lease from lb_lease_request owns it
 * and must call lb_lease_destroy exactly once (on hang-up, release, or after
 * `finished`). lb_lease_destroy is the one place a lease's resources go. */
#ifndef LB_BROKER_H
#define LB_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wayland-server-core.h>

#include "hxfr.h"
#include "lease_input.h"
#include "sock.h"

#define LB_MAX_LEASE_OUTPUTS 16
#define LB_OUTPUT_NAME_LEN 32
/* authenticate_magic / Helix AUTH_MAGIC: successful ones per lease. */
#define LB_MAX_MAGIC_AUTHS 16

struct lb_broker;
struct lb_card;
struct lb_lease;
struct lb_power;
struct lb_power_output;

enum lb_output_state {
	LB_OUTPUT_OFF,       /* disconnected; can be enabled if card->exporter */
	LB_OUTPUT_ENABLING,  /* ENABLE_SCANOUT sent, waiting for connected */
	LB_OUTPUT_ON,        /* connected */
	LB_OUTPUT_DISABLING, /* DISABLE_SCANOUT sent */
};

struct lb_output {
	struct lb_card *card;
	struct wl_list link;           /* lb_card.outputs, in connector-id order */
	char name[LB_OUTPUT_NAME_LEN]; /* "Virtual-2": type name + type id */
	uint32_t connector_id;
	uint32_t crtc_id;
	uint32_t primary_plane_id;
	uint32_t cursor_plane_id; /* 0 if none */
	int scanout_id;           /* exporter's scanout id, -1 if none */
	bool reserved;            /* never leased (e.g. the VM console) */
	/* As card.c's probe found it; then written by the power control
	 * (output_power.c) for the changes it makes, and by broker.c for those
	 * made behind our back. */
	enum lb_output_state state;
	struct lb_lease *lease; /* claimed by (pending or active), or NULL */
	/* its record in the card's power control (output_power.h) */
	struct lb_power_output *power;
};

struct lb_card {
	struct lb_broker *broker;
	struct wl_list link; /* lb_broker.cards */
	char *path;
	int fd; /* master */
	dev_t dev;
	bool has_exporter; /* outputs can be turned on on demand */
	struct wl_list outputs;
	/* broker.c's: the display power control of its outputs (output_power.h) */
	struct lb_power *power;
	struct {
		/* data: struct lb_output*. offered: became leasable (free and
		 * either connected or enable-able); withdrawn: no longer. */
		struct wl_signal output_offered;
		struct wl_signal output_withdrawn;
	} events;
};

enum lb_lease_state {
	LB_LEASE_PENDING,  /* outputs being turned on */
	LB_LEASE_ACTIVE,   /* fd handed out */
	LB_LEASE_FINISHED, /* refused or ended; only lb_lease_destroy remains */
};

struct lb_lease {
	struct lb_broker *broker;
	struct lb_card *card;
	struct wl_list link; /* lb_broker.leases */
	uint32_t id;         /* broker-unique, for status and logs */
	enum lb_lease_state state;
	struct lb_output *outputs[LB_MAX_LEASE_OUTPUTS];
	size_t n_outputs;
	uint32_t lessee_id; /* kernel's, valid while ACTIVE */
	struct lc_peer holder;
	char via[16]; /* "wayland", "helix" */
	/* The exporter's stream key of each output (HXFR section 5.8),
	 * obtained while PENDING; valid only while ACTIVE, wiped when the
	 * lease ends. Capabilities: only for the holder, never logged. */
	struct {
		bool valid;
		uint8_t key[HXFR_STREAM_KEY_LEN];
	} stream_keys[LB_MAX_LEASE_OUTPUTS];
	unsigned magic_auths; /* successful lb_lease_auth_magic calls */
	/* The input devices of the outputs (input_devices.h), opened for this
	 * lease when it is granted, in output order (keyboard, tablet): the
	 * broker's copies, valid while ACTIVE; frontends hand them to the
	 * holder (libwayland and sendmsg copy them) and never close them. The
	 * broker revokes (EVIOCREVOKE) and closes them when the lease ends. */
	struct lc_lease_input inputs[LC_LEASE_INPUT_MAX];
	size_t n_inputs;
	struct {
		/* data: int* (the lease fd). The broker closes its copy after
		 * the signal returns: listeners that hand it on must dup or
		 * send it during the call (libwayland and sendmsg both copy).
		 * inputs are open by then. */
		struct wl_signal granted;
		/* data: const char* reason. After this, only destroy. */
		struct wl_signal finished;
		/* data: the lease, about to be freed (lb_lease_destroy): for
		 * listeners that only observe it (leasecast_lease_info_v1). */
		struct wl_signal destroy;
	} events;
};

struct lb_lease_params {
	struct lb_card *card;
	struct lb_output *outputs[LB_MAX_LEASE_OUTPUTS];
	size_t n_outputs;                   /* 0: the broker picks any free output */
	uint32_t width, height, refresh_hz; /* for outputs that must be turned on */
	struct lc_peer holder;
	const char *via;
};

/* Requests a lease. Immediate refusals (quota, output reserved or taken,
 * nothing free) return NULL with a message in err. Otherwise the lease is
 * PENDING or already ACTIVE; `granted` or `finished` follows, possibly
 * from inside this call's caller's next loop iteration (never re-entrantly
 * from within lb_lease_request itself). */
struct lb_lease *lb_lease_request(struct lb_broker *b, const struct lb_lease_params *p, char *err,
				  size_t err_len);
/* May be called from inside a `granted` or `finished` listener: the lease
 * then goes once the signal has been delivered to every listener. */
void lb_lease_destroy(struct lb_lease *lease);

/* drmAuthMagic on the master fd of the lease's card, for the holder (a
 * second fd it opened on the card). 0, or -EPERM when the lease is not
 * ACTIVE or the broker runs with --no-auth-magic, -EINVAL for magic 0,
 * -EDQUOT after LB_MAX_MAGIC_AUTHS, else drmAuthMagic's -errno. */
int lb_lease_auth_magic(struct lb_lease *lease, uint32_t magic);
/* Ends the lease (pending or active) that holds the output with exporter
 * scanout id SCANOUT, on behalf of BY, who need not be its holder: Helix's
 * ReleaseLease names the scanout on a new connection. Only root and the
 * holder's uid may. 0 (the holder's frontend gets `finished`), -ENOENT (no
 * lease holds it), -EPERM (another user's lease: untouched). */
int lb_card_release_scanout(struct lb_card *card, int scanout, const struct lc_peer *by);
/* The stream key of output i as 64 hex digits, or "" (no key, or the
 * lease is not ACTIVE). */
void lb_lease_stream_key_hex(const struct lb_lease *lease, size_t i,
			     char out[HXFR_STREAM_KEY_HEX_LEN + 1]);

bool lb_output_is_offerable(const struct lb_output *o);
const char *lb_output_state_name(enum lb_output_state s); /* "off", "on", ... */
struct lb_card *lb_broker_default_card(struct lb_broker *b);
struct wl_display *lb_broker_display(struct lb_broker *b);
struct wl_list *lb_broker_cards(struct lb_broker *b); /* of lb_card.link */
/* Peer policy: allow-list (if any) and, for later checks, the quota. */
bool lb_broker_peer_allowed(struct lb_broker *b, const struct lc_peer *peer);
/* A fresh non-master fd on the card, for wp_drm_lease_device_v1.drm_fd. */
int lb_card_open_non_master(struct lb_card *card);

#endif
