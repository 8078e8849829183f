#include "card.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "log.h"

struct plane_info {
	uint32_t id;
	uint32_t possible_crtcs;
	uint64_t type;
	bool used;
};

static int plane_type(int fd, uint32_t plane_id, uint64_t *type)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, plane_id,
								    DRM_MODE_OBJECT_PLANE);
	if (!props)
		return -errno;
	int r = -ENOENT;
	for (uint32_t i = 0; i < props->count_props && r < 0; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);
		if (!p)
			continue;
		if (strcmp(p->name, "type") == 0) {
			*type = props->prop_values[i];
			r = 0;
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return r;
}

static struct plane_info *take_plane(struct plane_info *planes, size_t n, unsigned crtc_index,
				     uint64_t type)
{
	for (size_t i = 0; i < n; i++) {
		if (!planes[i].used && planes[i].type == type &&
		    (planes[i].possible_crtcs & (1u << crtc_index))) {
			planes[i].used = true;
			return &planes[i];
		}
	}
	return NULL;
}

/* The CRTC an output may use: the one its encoder drives now if free,
 * otherwise the first free one any of its encoders allows. Indices are
 * positions in res->crtcs, never arithmetic on ids. */
static int pick_crtc(int fd, const drmModeRes *res, const drmModeConnector *conn, bool *crtc_used)
{
	if (conn->encoder_id) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoder_id);
		if (enc) {
			for (int i = 0; i < res->count_crtcs; i++) {
				if (enc->crtc_id && res->crtcs[i] == enc->crtc_id &&
				    !crtc_used[i]) {
					drmModeFreeEncoder(enc);
					return i;
				}
			}
			drmModeFreeEncoder(enc);
		}
	}
	for (int e = 0; e < conn->count_encoders; e++) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoders[e]);
		if (!enc)
			continue;
		uint32_t mask = enc->possible_crtcs;
		drmModeFreeEncoder(enc);
		for (int i = 0; i < res->count_crtcs && i < 32; i++)
			if ((mask & (1u << i)) && !crtc_used[i])
				return i;
	}
	return -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int discover(struct lb_card *card, bool is_virtio,
		    bool (*reserved)(void *data, const char *name), void *data, char *err,
		    size_t err_len)
{
	int r = 0;
	drmModeRes *res = drmModeGetResources(card->fd);
	drmModePlaneRes *pres = drmModeGetPlaneResources(card->fd);
	struct plane_info *planes = NULL;
	bool *crtc_used = NULL;
	uint32_t *conn_ids = NULL;
	if (!res || !pres) {
		snprintf(err, err_len, "%s: cannot read KMS resources: %s", card->path,
			 strerror(errno));
		r = -EIO;
		goto out;
	}
	planes = calloc(pres->count_planes + 1, sizeof(*planes));
	crtc_used = calloc((size_t)res->count_crtcs + 1, sizeof(*crtc_used));
	conn_ids = calloc((size_t)res->count_connectors + 1, sizeof(*conn_ids));
	if (!planes || !crtc_used || !conn_ids) {
		snprintf(err, err_len, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	size_t n_planes = 0;
	for (uint32_t i = 0; i < pres->count_planes; i++) {
		drmModePlane *p = drmModeGetPlane(card->fd, pres->planes[i]);
		if (!p)
			continue;
		planes[n_planes].id = p->plane_id;
		planes[n_planes].possible_crtcs = p->possible_crtcs;
		if (plane_type(card->fd, p->plane_id, &planes[n_planes].type) == 0)
			n_planes++;
		drmModeFreePlane(p);
	}
	memcpy(conn_ids, res->connectors, sizeof(uint32_t) * (size_t)res->count_connectors);
	qsort(conn_ids, (size_t)res->count_connectors, sizeof(uint32_t), cmp_u32);

	for (int c = 0; c < res->count_connectors; c++) {
		/* Full probe: with fbdev emulation off nothing else has asked
		 * the host yet, and the cached status would be "unknown". */
		drmModeConnector *conn = drmModeGetConnector(card->fd, conn_ids[c]);
		if (!conn)
			continue;
		const char *type = drmModeGetConnectorTypeName(conn->connector_type);
		char name[LB_OUTPUT_NAME_LEN];
		snprintf(name, sizeof(name), "%s-%u", type ? type : "Unknown",
			 conn->connector_type_id);
		int ci = pick_crtc(card->fd, res, conn, crtc_used);
		struct plane_info *primary = ci >= 0 ? take_plane(planes, n_planes, (unsigned)ci,
								  DRM_PLANE_TYPE_PRIMARY)
						     : NULL;
		if (ci < 0 || !primary) {
			lc_warn("%s: %s has no free CRTC or primary plane; not offered", card->path,
				name);
			drmModeFreeConnector(conn);
			continue;
		}
		crtc_used[ci] = true;
		struct plane_info *cursor = take_plane(planes, n_planes, (unsigned)ci,
						       DRM_PLANE_TYPE_CURSOR);
		struct lb_output *o = calloc(1, sizeof(*o));
		if (!o) {
			drmModeFreeConnector(conn);
			snprintf(err, err_len, "out of memory");
			r = -ENOMEM;
			goto out;
		}
		o->card = card;
		memcpy(o->name, name, sizeof(name));
		o->connector_id = conn->connector_id;
		o->crtc_id = res->crtcs[ci];
		o->primary_plane_id = primary->id;
		o->cursor_plane_id = cursor ? cursor->id : 0;
		/* virtio-gpu names its connectors Virtual-(scanout+1); only an
		 * exporter has a use for the scanout number. */
		o->scanout_id = (card->has_exporter && is_virtio &&
				 conn->connector_type == DRM_MODE_CONNECTOR_VIRTUAL)
					? (int)conn->connector_type_id - 1
					: -1;
		o->reserved = reserved && reserved(data, name);
		o->state = conn->connection == DRM_MODE_CONNECTED ? LB_OUTPUT_ON : LB_OUTPUT_OFF;
		wl_list_insert(card->outputs.prev, &o->link);
		lc_info("%s: %s connector %u crtc %u primary %u cursor %u scanout %d%s %s",
			card->path, o->name, o->connector_id, o->crtc_id, o->primary_plane_id,
			o->cursor_plane_id, o->scanout_id, o->reserved ? " reserved" : "",
			o->state == LB_OUTPUT_ON ? "connected" : "disconnected");
		drmModeFreeConnector(conn);
	}
out:
	free(planes);
	free(crtc_used);
	free(conn_ids);
	if (pres)
		drmModeFreePlaneResources(pres);
	if (res)
		drmModeFreeResources(res);
	return r;
}

struct lb_card *lb_card_open(struct lb_broker *b, const char *path, bool has_exporter,
			     bool (*reserved)(void *data, const char *name), void *data, char *err,
			     size_t err_len)
{
	struct lb_card *card = calloc(1, sizeof(*card));
	if (!card) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	card->broker = b;
	card->fd = -1;
	wl_list_init(&card->outputs);
	wl_list_init(&card->link);
	wl_signal_init(&card->events.output_offered);
	wl_signal_init(&card->events.output_withdrawn);
	card->path = strdup(path);
	if (!card->path) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	card->fd = open(path, O_RDWR | O_CLOEXEC);
	if (card->fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(card->fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		snprintf(err, err_len, "%s is not a character device", path);
		goto fail;
	}
	card->dev = st.st_rdev;
	if (drmSetMaster(card->fd) != 0 || !drmIsMaster(card->fd)) {
		snprintf(err, err_len,
			 "cannot become DRM master of %s (%s): another master (a compositor, "
			 "another broker?) holds it",
			 path, strerror(errno));
		goto fail;
	}
	if (drmSetClientCap(card->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0) {
		snprintf(err, err_len, "%s: no universal planes: %s", path, strerror(errno));
		goto fail;
	}
	if (drmSetClientCap(card->fd, DRM_CLIENT_CAP_ATOMIC, 1) != 0)
		lc_warn("%s: no atomic modesetting (%s); leasing works without it", path,
			strerror(errno));
	bool is_virtio = false;
	drmVersion *ver = drmGetVersion(card->fd);
	if (ver) {
		is_virtio = ver->name && strcmp(ver->name, "virtio_gpu") == 0;
		lc_info("%s: driver %s", path, ver->name ? ver->name : "?");
		drmFreeVersion(ver);
	}
	card->has_exporter = has_exporter && is_virtio;
	if (has_exporter && !is_virtio)
		lc_warn("%s is not virtio-gpu: the exporter cannot turn its outputs on", path);
	if (discover(card, is_virtio, reserved, data, err, err_len) < 0)
		goto fail;
	if (wl_list_empty(&card->outputs)) {
		snprintf(err, err_len, "%s has no usable outputs", path);
		goto fail;
	}
	return card;
fail:
	lb_card_destroy(card);
	return NULL;
}

void lb_card_destroy(struct lb_card *card)
{
	if (!card)
		return;
	struct lb_output *o, *tmp;
	wl_list_for_each_safe (o, tmp, &card->outputs, link) {
		wl_list_remove(&o->link);
		free(o);
	}
	wl_list_remove(&card->link);
	/* Closing the master file revokes every lease left (drm_master_release). */
	if (card->fd >= 0)
		close(card->fd);
	free(card->path);
	free(card);
}

int lb_card_probe_output(struct lb_output *o)
{
	drmModeConnector *conn = drmModeGetConnector(o->card->fd, o->connector_id);
	if (!conn)
		return -errno;
	int r = conn->connection == DRM_MODE_CONNECTED;
	drmModeFreeConnector(conn);
	return r;
}

struct lb_output *lb_card_find_output(struct lb_card *card, const char *name)
{
	struct lb_output *o;
	wl_list_for_each (o, &card->outputs, link)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

int lb_card_create_lease(struct lb_card *card, struct lb_output *const *outputs, size_t n,
			 uint32_t *lessee_id)
{
	uint32_t objs[LB_MAX_LEASE_OUTPUTS * 4];
	int k = 0;
	for (size_t i = 0; i < n && i < LB_MAX_LEASE_OUTPUTS; i++) {
		objs[k++] = outputs[i]->connector_id;
		objs[k++] = outputs[i]->crtc_id;
		objs[k++] = outputs[i]->primary_plane_id;
		if (outputs[i]->cursor_plane_id)
			objs[k++] = outputs[i]->cursor_plane_id;
	}
	int fd = drmModeCreateLease(card->fd, objs, k, O_CLOEXEC, lessee_id);
	return fd < 0 ? (fd == -1 ? -errno : fd) : fd;
}

int lb_card_revoke_lease(struct lb_card *card, uint32_t lessee_id)
{
	int r = drmModeRevokeLease(card->fd, lessee_id);
	return r < 0 ? (r == -1 ? -errno : r) : 0;
}

int lb_card_list_lessees(struct lb_card *card, uint32_t *ids, size_t cap)
{
	drmModeLesseeListRes *l = drmModeListLessees(card->fd);
	if (!l)
		return -errno ? -errno : -EIO;
	int n = (int)l->count;
	for (uint32_t i = 0; i < l->count && i < cap; i++)
		ids[i] = l->lessees[i];
	drmFree(l);
	return n;
}

int lb_card_open_non_master(struct lb_card *card)
{
	int fd = open(card->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (drmIsMaster(fd) && drmDropMaster(fd) != 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int lb_card_auth_magic(struct lb_card *card, uint32_t magic)
{
	int r = drmAuthMagic(card->fd, magic); /* libdrm returns -errno */
	return r < 0 ? r : r > 0 ? -EINVAL : 0;
}
