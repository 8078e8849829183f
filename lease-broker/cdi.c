#include "cdi.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "broker.h"
#include "config.h"
#include "jsonbuf.h"

static void env_entry(struct lc_json *j, bool *first, const char *name, const char *value)
{
	char buf[4200];
	snprintf(buf, sizeof(buf), "%s=%s", name, value);
	lc_json_printf(j, "%s", *first ? "" : ",");
	lc_json_str(j, buf);
	*first = false;
}

/* The directory of a socket path, as a bind mount (once per directory). */
static void mount_entry(struct lc_json *j, bool *first, const char *socket_path, char *seen,
			size_t seen_len)
{
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", socket_path);
	const char *dir = dirname(copy);
	if (strcmp(dir, seen) == 0)
		return;
	snprintf(seen, seen_len, "%s", dir);
	lc_json_printf(j, "%s{\"hostPath\":", *first ? "" : ",");
	lc_json_str(j, dir);
	lc_json_printf(j, ",\"containerPath\":");
	lc_json_str(j, dir);
	lc_json_printf(j, ",\"options\":[\"bind\",\"rw\"]}");
	*first = false;
}

static void device(struct lc_json *j, const char *name)
{
	lc_json_printf(j, ",{\"name\":");
	lc_json_str(j, name);
	lc_json_printf(j, ",\"containerEdits\":{\"env\":[");
	bool first = true;
	env_entry(j, &first, "LEASECAST_OUTPUT", name);
	lc_json_printf(j, "]}}");
}

char *lb_cdi_spec_json(const struct lb_card *card, const struct lb_config *cfg, gid_t gid,
		       const struct lb_cdi_node *inputs, size_t n_inputs, size_t *len)
{
	struct lc_json j;
	lc_json_init(&j);
	lc_json_printf(&j, "{\"cdiVersion\":\"" LB_CDI_VERSION "\",\"kind\":\"" LB_CDI_KIND
			   "\",\"devices\":[{\"name\":\"any\",\"containerEdits\":{\"env\":[");
	bool first = true;
	env_entry(&j, &first, "LEASECAST_OUTPUT", "any");
	lc_json_printf(&j, "]}}");
	const struct lb_output *o;
	wl_list_for_each (o, &card->outputs, link)
		if (!o->reserved)
			device(&j, o->name);
	lc_json_printf(&j, "],\"containerEdits\":{\"env\":[");
	first = true;
	if (cfg->wayland_socket)
		env_entry(&j, &first, "LEASECAST_WAYLAND_SOCKET", cfg->wayland_socket);
	env_entry(&j, &first, "LEASECAST_HELIX_SOCKET", cfg->helix_socket);
	env_entry(&j, &first, "DRM_SOCKET", cfg->helix_socket); /* Helix's name */
	env_entry(&j, &first, "LEASECAST_CARD", card->path);
	lc_json_printf(&j, "],\"deviceNodes\":[{\"path\":");
	lc_json_str(&j, card->path);
	lc_json_printf(&j,
		       ",\"type\":\"c\",\"major\":%u,\"minor\":%u,\"fileMode\":%u,"
		       "\"permissions\":\"rw\",\"uid\":0,\"gid\":%u}",
		       major(card->dev), minor(card->dev), 0660u, (unsigned)gid);
	for (size_t i = 0; i < n_inputs; i++) {
		lc_json_printf(&j, ",{\"path\":");
		lc_json_str(&j, inputs[i].path);
		lc_json_printf(&j,
			       ",\"type\":\"c\",\"major\":%u,\"minor\":%u,\"fileMode\":0,"
			       "\"permissions\":\"m\",\"uid\":0,\"gid\":0}",
			       inputs[i].major, inputs[i].minor);
	}
	lc_json_printf(&j, "],\"mounts\":[");
	first = true;
	char seen[4096] = "";
	mount_entry(&j, &first, cfg->helix_socket, seen, sizeof(seen));
	if (cfg->wayland_socket)
		mount_entry(&j, &first, cfg->wayland_socket, seen, sizeof(seen));
	lc_json_printf(&j, "]}}\n");
	return lc_json_take(&j, len);
}

int lb_cdi_spec_write(const char *path, const struct lb_card *card, const struct lb_config *cfg,
		      gid_t gid, const struct lb_cdi_node *inputs, size_t n_inputs)
{
	size_t len;
	char *json = lb_cdi_spec_json(card, cfg, gid, inputs, n_inputs, &len);
	if (!json)
		return -ENOMEM;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	int r = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* umask must not make it unreadable for the container runtime */
	ssize_t n = -1;
	if (fchmod(fd, 0644) < 0 || (n = write(fd, json, len)) < 0 || fsync(fd) < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
out:
	free(json);
	return r;
}
