/* An input device of a leased output, as the broker hands it to the lease
 * holder (leasecast_lease_info_v1.input_device over Wayland, cmd 5
 * INPUT_DEVICES on the Helix socket): an evdev fd that the broker revokes
 * (EVIOCREVOKE) when the lease ends, and what it is for.
 *
 * Ownership: whoever holds an entry owns its fd (-1 once taken or closed).
 * The lease clients (wl_lease_client.h, helix_lease_client.h) fill them and
 * close what the caller never takes. */
#ifndef LC_LEASE_INPUT_H
#define LC_LEASE_INPUT_H

#include <stddef.h>

/* Two per output (keyboard, tablet), at most 16 outputs per lease. */
#define LC_LEASE_INPUT_MAX 32
#define LC_LEASE_INPUT_CONNECTOR_LEN 32
#define LC_LEASE_INPUT_UNIQ_LEN 64

/* The values of leasecast_lease_info_v1's input_kind enum. */
enum lc_lease_input_kind {
	LC_LEASE_INPUT_UNKNOWN = 0, /* a kind this side does not know */
	LC_LEASE_INPUT_KEYBOARD = 1,
	LC_LEASE_INPUT_TABLET = 2, /* absolute pointer */
};

struct lc_lease_input {
	char connector[LC_LEASE_INPUT_CONNECTOR_LEN]; /* the leased output, "Virtual-4" */
	int fd;                                       /* evdev, O_RDWR|O_NONBLOCK; -1 if none */
	int kind;                                     /* enum lc_lease_input_kind */
	char uniq[LC_LEASE_INPUT_UNIQ_LEN];           /* EVIOCGUNIQ: "leasecast-kbd-3" */
};

/* "keyboard", "tablet" (the Helix JSON names), NULL for any other kind. */
const char *lc_lease_input_kind_name(int kind);
/* The kind a name stands for; LC_LEASE_INPUT_UNKNOWN for any other. */
int lc_lease_input_kind_from_name(const char *name);
/* Closes every fd still in in[0..n) and sets it to -1. */
void lc_lease_inputs_close(struct lc_lease_input *in, size_t n);

#endif
