/* The broker's CDI spec (Container Device Interface, as podman and
 * containerd apply it: `--device leasecast.io/display=any`): what a desktop
 * container needs of this broker and nothing more.
 *
 * - the card node, mode 0660, root and the broker's group: the container's
 *   lease-launch and compositor open it (a non-master fd: the broker stays
 *   the card's only master; the lease fd comes through the socket);
 * - bind mounts of the directories of the broker's sockets (a directory, so
 *   that a restarted broker's new socket is seen);
 * - the variables lease-launch reads (LEASECAST_WAYLAND_SOCKET,
 *   LEASECAST_HELIX_SOCKET, LEASECAST_CARD; LEASECAST_OUTPUT per device) and
 *   Helix's DRM_SOCKET;
 * - the input devices' nodes, but only as names: cgroup access "m" (no
 *   read, no write: the device cgroup refuses every open, root's too) and
 *   mode 0000. The compositor's seat library stats the path libinput gives
 *   it for the number to ask TakeDevice for (libseat, Mutter's device
 *   pool); the fds themselves come with the lease (revoked at its end), and
 *   a container cannot make the node itself (no CAP_MKNOD in podman's
 *   defaults). Opening them would bypass that revoke: never "r" or "w".
 *
 * Devices: "any" (the broker picks a free output) and one per leasable
 * output of the card, by connector name ("Virtual-2"). */
#ifndef LB_CDI_H
#define LB_CDI_H

#include <stddef.h>
#include <sys/types.h>

struct lb_card;
struct lb_config;

#define LB_CDI_KIND "leasecast.io/display"
#define LB_CDI_VERSION "0.5.0" /* podman 4.3's container-device-interface */

/* A stat-only node of the spec (an input device of a leasable output). */
struct lb_cdi_node {
	const char *path; /* "/dev/input/event3" */
	unsigned major, minor;
};

/* The spec as JSON text (caller frees), or NULL (out of memory). */
char *lb_cdi_spec_json(const struct lb_card *card, const struct lb_config *cfg, gid_t gid,
		       const struct lb_cdi_node *inputs, size_t n_inputs, size_t *len);
/* Writes it to path atomically (a temporary file renamed over it), mode
 * 0644. 0 or -errno. */
int lb_cdi_spec_write(const char *path, const struct lb_card *card, const struct lb_config *cfg,
		      gid_t gid, const struct lb_cdi_node *inputs, size_t n_inputs);

#endif
