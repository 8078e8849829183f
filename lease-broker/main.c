/* drm-lease-broker: the sole DRM master of the VM's cards, handing out
 * leases over wp_drm_lease_v1 and the Helix socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "broker_core.h"
#include "cdi.h"
#include "config.h"
#include "helix_lease.h"
#include "helix_server.h"
#include "input_devices.h"
#include "log.h"
#include "sock.h"
#include "wl_lease.h"
#include "wl_lease_info.h"

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		got += (size_t)n;
	}
	return 0;
}

static int print_status(const char *path)
{
	int fd = lc_unix_connect(path);
	if (fd < 0) {
		fprintf(stderr, "cannot connect to %s: %s\n", path, strerror(-fd));
		return 1;
	}
	uint8_t req[HELIX_LEASE_REQ_SIZE], hdr[HELIX_LEASE_EXT_HDR_SIZE];
	struct helix_lease_req r = {.cmd = HELIX_LEASE_CMD_STATUS};
	uint8_t st;
	uint32_t len;
	int ret = 1;
	char *text = NULL;
	if (helix_lease_req_encode(req, sizeof(req), &r) != sizeof(req) ||
	    write(fd, req, sizeof(req)) != (ssize_t)sizeof(req) ||
	    read_full(fd, hdr, sizeof(hdr)) < 0 ||
	    helix_lease_ext_hdr_decode(hdr, sizeof(hdr), &st, &len) != HELIX_LEASE_DECODE_OK ||
	    len > HELIX_LEASE_EXT_MAX || !(text = malloc(len + 1)) ||
	    read_full(fd, text, len) < 0) {
		fprintf(stderr, "%s: no valid status reply (an older broker?)\n", path);
		goto out;
	}
	text[len] = '\0';
	if (st != HELIX_LEASE_OK) {
		fprintf(stderr, "broker: %s\n", text);
		goto out;
	}
	fputs(text, stdout);
	ret = 0;
out:
	free(text);
	close(fd);
	return ret;
}

/* The broker's CDI spec (cdi.h) for its first card, with the input nodes
 * of its leasable outputs as names only. */
static int write_cdi_spec(struct lb_broker *b, const struct lb_config *cfg, gid_t gid)
{
	struct lb_card *card = lb_broker_default_card(b);
	if (!card)
		return -ENODEV;
	struct lb_cdi_node nodes[2 * 64];
	size_t n = 0;
	struct lb_output *o;
	wl_list_for_each (o, &card->outputs, link) {
		if (o->reserved)
			continue;
		struct lc_lease_input in[LC_LEASE_INPUT_MAX];
		const char *paths[LC_LEASE_INPUT_MAX];
		size_t k = lb_inputs_describe(lb_broker_inputs(b), o->name, in, paths,
					      LC_LEASE_INPUT_MAX);
		for (size_t i = 0; i < k && n < sizeof(nodes) / sizeof(nodes[0]); i++) {
			struct stat st;
			if (stat(paths[i], &st) < 0 || !S_ISCHR(st.st_mode))
				continue;
			nodes[n++] = (struct lb_cdi_node){paths[i], major(st.st_rdev),
							  minor(st.st_rdev)};
		}
	}
	return lb_cdi_spec_write(cfg->cdi_spec, card, cfg, gid, nodes, n);
}

/* The socket's directory is where containers bind-mount it from. */
static int make_parent_dir(const char *path)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int listen_socket(const char *path, gid_t gid, int *lock_fd)
{
	int r = make_parent_dir(path);
	if (r < 0) {
		lc_err("cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	int fd = lc_unix_listen(path, 0660, gid, lock_fd);
	if (fd < 0)
		lc_err("cannot listen on %s: %s%s", path, strerror(-fd),
		       fd == -EADDRINUSE ? " (another broker runs)" : "");
	return fd;
}

static int handle_signal(int sig, void *data)
{
	lc_info("%s: shutting down", strsignal(sig));
	wl_display_terminate(data);
	return 0;
}

int main(int argc, char **argv)
{
	struct lb_config cfg;
	int r = lb_config_parse(&cfg, argc, argv);
	if (r != 0)
		return r > 0 ? 0 : 2;
	lc_log_init("drm-lease-broker", cfg.log_level);
	if (cfg.status)
		return print_status(cfg.helix_socket);

	int ret = 1;
	int helix_lock = -1, wl_lock = -1, helix_fd = -1;
	bool cdi_written = false;
	struct lb_broker *broker = NULL;
	struct lb_helix_server *helix = NULL;
	struct lb_wl_lease_manager *wl_mgr = NULL;
	struct lb_wl_lease_info_manager *wl_info = NULL;
	struct wl_event_source *sigs[2] = {0};
	struct wl_display *display = wl_display_create();
	if (!display) {
		lc_err("cannot create the event loop");
		return 1;
	}
	struct wl_event_loop *loop = wl_display_get_event_loop(display);
	sigs[0] = wl_event_loop_add_signal(loop, SIGTERM, handle_signal, display);
	sigs[1] = wl_event_loop_add_signal(loop, SIGINT, handle_signal, display);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	broker = lb_broker_create(display, &cfg, err, sizeof(err));
	if (!broker) {
		lc_err("%s", err);
		goto out;
	}
	gid_t gid;
	if (lc_group_lookup(cfg.group, &gid) < 0) {
		lc_warn("group '%s' does not exist: sockets are root:root 0660", cfg.group);
		gid = 0;
	}
	helix_fd = listen_socket(cfg.helix_socket, gid, &helix_lock);
	if (helix_fd < 0)
		goto out;
	helix = lb_helix_server_create(broker, helix_fd);
	if (!helix) {
		lc_err("cannot start the Helix server");
		close(helix_fd);
		goto out;
	}
	if (cfg.wayland_socket) {
		int wfd = listen_socket(cfg.wayland_socket, gid, &wl_lock);
		if (wfd < 0)
			goto out;
		if (wl_display_add_socket_fd(display, wfd) < 0) {
			lc_err("cannot serve Wayland on %s", cfg.wayland_socket);
			close(wfd);
			goto out;
		}
		wl_mgr = lb_wl_lease_manager_create(broker);
		if (!wl_mgr) {
			lc_err("cannot create the wp_drm_lease_device_v1 globals");
			goto out;
		}
		wl_info = lb_wl_lease_info_manager_create(broker);
		if (!wl_info) {
			lc_err("cannot create the leasecast_lease_manager_v1 global");
			goto out;
		}
	}
	if (cfg.cdi_spec) {
		int cr = write_cdi_spec(broker, &cfg, gid);
		if (cr < 0) {
			lc_err("cannot write the CDI spec %s: %s", cfg.cdi_spec, strerror(-cr));
			goto out;
		}
		cdi_written = true;
		lc_info("CDI spec %s: " LB_CDI_KIND "=any and one device per output", cfg.cdi_spec);
	}
	lc_info("ready: helix %s, wayland %s, exporter %s", cfg.helix_socket,
		cfg.wayland_socket ? cfg.wayland_socket : "off",
		cfg.exporter ? cfg.exporter : "none");
	sd_notify(0, "READY=1");
	wl_display_run(display);
	sd_notify(0, "STOPPING=1");
	ret = 0;
out:
	/* Gone with the broker: a container started now would wait on nothing. */
	if (cdi_written && unlink(cfg.cdi_spec) < 0)
		lc_warn("cannot remove the CDI spec %s: %s", cfg.cdi_spec, strerror(errno));
	lb_helix_server_destroy(helix);
	wl_display_destroy_clients(display);
	lb_wl_lease_info_manager_destroy(wl_info);
	lb_wl_lease_manager_destroy(wl_mgr);
	lb_broker_destroy(broker);
	for (int i = 0; i < 2; i++)
		if (sigs[i])
			wl_event_source_remove(sigs[i]);
	wl_display_destroy(display);
	if (helix_lock >= 0) {
		unlink(cfg.helix_socket);
		close(helix_lock);
	}
	if (wl_lock >= 0) {
		unlink(cfg.wayland_socket);
		close(wl_lock);
	}
	return ret;
}
