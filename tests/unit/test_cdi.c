/* The broker's CDI spec (lease-broker/cdi.c) for a card of four outputs,
 * one reserved, with names that need escaping: written where the runtime
 * reads it (atomically, 0644 under umask 077), then read back as JSON by
 * Python's parser (tests/unit/check_cdi.py) for what podman applies: the
 * kind, "any" and one device per leasable output with its LEASECAST_OUTPUT,
 * the card node 0660 root:GID with its real major:minor, the input nodes
 * as names only (cgroup access "m", mode 0000: nothing may open them), the
 * sockets' directories bind-mounted once each, lease-launch's variables. Also: a path that cannot be written fails with its errno
 * and leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "broker.h"
#include "cdi.h"
#include "check.h"
#include "config.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_cdi CHECK_CDI_PY\n");
		return 2;
	}
	static const char *names[] = {"Virtual-1", "Virtual-2", "Virtual-3", "Odd\"\\name"};
	struct lb_card card = {.path = "/dev/dri/card0", .dev = makedev(226, 0)};
	wl_list_init(&card.outputs);
	struct lb_output outs[4] = {0};
	for (int i = 0; i < 4; i++) {
		snprintf(outs[i].name, sizeof(outs[i].name), "%s", names[i]);
		outs[i].reserved = i == 0;
		wl_list_insert(card.outputs.prev, &outs[i].link);
	}
	struct lb_config cfg = {
		.helix_socket = "/run/helix-drm/drm.sock",
		.wayland_socket = "/run/leasecast/wayland-0",
	};
	char dir[] = "/tmp/lc-cdi-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[128], cmd[512];
	snprintf(path, sizeof(path), "%s/leasecast.json", dir);
	umask(077);
	static const struct lb_cdi_node inputs[] = {{"/dev/input/event1", 13, 65},
						    {"/dev/input/event2", 13, 66}};
	CHECK_EQ(lb_cdi_spec_write(path, &card, &cfg, 44, inputs, 2), 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 44 two-dirs", argv[1], path);
	CHECK_EQ(system(cmd), 0);

	/* Both sockets in one directory: one mount. No Wayland: no variable. */
	cfg.helix_socket = "/run/leasecast/drm.sock";
	CHECK_EQ(lb_cdi_spec_write(path, &card, &cfg, 0, inputs, 2), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 0 one-dir", argv[1], path);
	CHECK_EQ(system(cmd), 0);
	cfg.wayland_socket = NULL;
	CHECK_EQ(lb_cdi_spec_write(path, &card, &cfg, 0, inputs, 2), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 0 no-wayland", argv[1], path);
	CHECK_EQ(system(cmd), 0);

	snprintf(path, sizeof(path), "%s/missing/leasecast.json", dir);
	CHECK_EQ(lb_cdi_spec_write(path, &card, &cfg, 0, inputs, 2), -ENOENT);
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = leasecast.json", dir);
	CHECK_EQ(system(cmd), 0); /* no temporary file left */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
	return check_report();
}
