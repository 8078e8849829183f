/* The broker's command line and Helix-compatible environment. */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LB_MAX_CARDS 8
#define LB_MAX_RESERVED 16
#define LB_MAX_ALLOW_UIDS 64

#define LB_DEFAULT_DEVICE "/dev/dri/card0"
#define LB_DEFAULT_HELIX_SOCKET "/run/helix-drm/drm.sock"
#define LB_DEFAULT_WAYLAND_SOCKET "/run/leasecast/wayland-0"
#define LB_DEFAULT_CONTROL_KEY "/sys/firmware/qemu_fw_cfg/by_name/opt/leasecast/control-key/raw"
#define LB_DEFAULT_GROUP "video"

struct lb_config {
	const char *devices[LB_MAX_CARDS];
	size_t n_devices;
	const char *helix_socket;
	const char *wayland_socket; /* NULL with --no-wayland */
	const char *exporter;       /* HOST:PORT, or NULL: no exporter */
	const char *control_key;
	bool exporter_auth; /* false: --exporter-auth=none */
	const char *reserved[LB_MAX_RESERVED];
	size_t n_reserved;
	const char *group;
	uid_t allow_uids[LB_MAX_ALLOW_UIDS];
	size_t n_allow_uids;
	unsigned max_leases_per_uid; /* 0: unlimited */
	unsigned enable_timeout_ms;
	bool auth_magic;      /* false: --no-auth-magic */
	bool display_pacing;  /* false: --no-display-pacing (diagnostics) */
	const char *cdi_spec; /* --cdi-spec PATH, or NULL */
	int log_level;
	bool status; /* --status: query a running broker */
};

/* Returns 0 to run, 1 when --help was printed, -1 on a bad option (a
 * message has been printed). Pointers refer into argv/environ. */
int lb_config_parse(struct lb_config *cfg, int argc, char **argv);
bool lb_config_is_reserved(const struct lb_config *cfg, const char *output_name);

#endif
