/* lease-launch's command line. */
#ifndef LL_OPTIONS_H
#define LL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct ll_options {
	const char *wayland_socket; /* wp_drm_lease_v1 (default) */
	const char *helix_socket;   /* set: the Helix lease socket instead */
	const char *output;         /* connector name, NULL: any free one */
	uint32_t width, height;     /* requested size (0x0: the broker's default) */
	const char *user;           /* compositor's user, NULL: the caller */
	const char *shim;           /* leasecast-logind-shim, NULL: next to us or installed */
	const char *bus_policy;     /* the shim's policy file for the private bus */
	const char *authmagic_lib;  /* the drmAuthMagic wrapper (--wlroots) */
	const char *card;           /* the card node compositors open */
	bool private_bus;
	bool wlroots;
	int ready_timeout_ms; /* lease, bus and shim each get this long */
	int term_grace_ms;    /* after a revoke: SIGTERM the compositor after this */
	int kill_grace_ms;    /* after SIGTERM: SIGKILL after this */
	int log_level;
	/* set: run `sh -c CMD` as the compositor's user whenever the leased
	 * connector's preferred mode changes (mode_watch.h) */
	const char *on_preferred_mode;
	bool resume_on_preferred_mode; /* and have the shim cycle Active */
	int mode_probe_ms;             /* how often the connector is probed for it */
	char **argv;                   /* COMPOSITOR ARGS..., NULL-terminated */
};

/* 0: run; 1: exit 0 (--help); -1: bad usage (message printed). */
int ll_options_parse(struct ll_options *o, int argc, char **argv);

#endif
