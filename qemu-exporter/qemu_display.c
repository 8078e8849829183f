#include "qemu_display.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define QEMU_NAME "org.qemu"
#define VM_PATH "/org/qemu/Display1/VM"
#define VM_IFACE "org.qemu.Display1.VM"
#define CONSOLE_IFACE "org.qemu.Display1.Console"
#define TOUCH_IFACE "org.qemu.Display1.MultiTouch"
#define CONSOLE_PATH_FMT "/org/qemu/Display1/Console_%" PRIu32
/* QEMU answers at once; a call that takes longer means a wedged QEMU, and a
 * broker waiting on it deserves an error rather than D-Bus' 25 s. */
#define CALL_TIMEOUT_USEC (5 * 1000 * 1000ull)
#define RETRY_USEC (1000 * 1000ull)
#define MAX_CONSOLES 256

struct qe_console {
	uint32_t id;
	bool loaded;
	uint32_t head, width, height;
	uint32_t touch_slots; /* MultiTouch.MaxSlots; 0: no MultiTouch (QEMU < 9) */
	char label[64], type[32], device[64];
	sd_bus_slot *slot;       /* GetAll in flight */
	sd_bus_slot *touch_slot; /* Get MaxSlots in flight */
	struct qe_display *display;
};

struct qe_display {
	sd_event *ev;
	char *address;
	sd_bus *bus;
	sd_bus_slot *disconnect_match, *owner_match, *owner_query, *ids_query;
	sd_event_source *retry; /* reconnect (NO_BUS) or reload (LOADING) */
	enum qe_display_state state;
	char *owner; /* unique name of the current QEMU */
	uint64_t generation;
	struct qe_console *consoles;
	unsigned n_consoles, pending;
	int scanout_console[QE_MAX_SCANOUTS]; /* index into consoles, or -1 */
	unsigned n_scanouts;
	bool quiet_reconnect; /* warned once about an unreachable bus */
	char *gpu_id;         /* --gpu-id, or NULL */
	void (*changed)(void *data);
	void *data;
};

static void load_consoles(struct qe_display *d);
static int connect_bus(struct qe_display *d);

const char *qe_display_state_str(enum qe_display_state s)
{
	switch (s) {
	case QE_DISPLAY_NO_BUS: return "D-Bus unreachable";
	case QE_DISPLAY_NO_QEMU: return "waiting for QEMU (org.qemu)";
	case QE_DISPLAY_LOADING: return "reading QEMU consoles";
	case QE_DISPLAY_READY: return "QEMU connected";
	}
	return "?";
}

static void set_state(struct qe_display *d, enum qe_display_state s)
{
	d->state = s;
	d->changed(d->data);
}

static void drop_instance(struct qe_display *d)
{
	for (unsigned i = 0; i < d->n_consoles; i++) {
		sd_bus_slot_unref(d->consoles[i].slot);
		sd_bus_slot_unref(d->consoles[i].touch_slot);
	}
	free(d->consoles);
	d->consoles = NULL;
	d->n_consoles = d->pending = d->n_scanouts = 0;
	for (unsigned i = 0; i < QE_MAX_SCANOUTS; i++)
		d->scanout_console[i] = -1;
	d->ids_query = sd_bus_slot_unref(d->ids_query);
	d->retry = sd_event_source_disable_unref(d->retry);
	free(d->owner);
	d->owner = NULL;
}

static void drop_bus(struct qe_display *d)
{
	drop_instance(d);
	d->disconnect_match = sd_bus_slot_unref(d->disconnect_match);
	d->owner_match = sd_bus_slot_unref(d->owner_match);
	d->owner_query = sd_bus_slot_unref(d->owner_query);
	if (d->bus) {
		sd_bus_detach_event(d->bus);
		d->bus = sd_bus_close_unref(d->bus);
	}
}

static int retry_fired(sd_event_source *s, uint64_t usec, void *data)
{
	struct qe_display *d = data;
	d->retry = sd_event_source_disable_unref(d->retry);
	if (d->state == QE_DISPLAY_NO_BUS) {
		drop_bus(d);
		if (connect_bus(d) < 0)
			return 0;
	} else if (d->state == QE_DISPLAY_LOADING) {
		load_consoles(d);
	}
	return 0;
}

static void schedule_retry(struct qe_display *d)
{
	d->retry = sd_event_source_disable_unref(d->retry);
	int r = sd_event_add_time_relative(d->ev, &d->retry, CLOCK_MONOTONIC, RETRY_USEC, 0,
					   retry_fired, d);
	if (r < 0)
		lc_err("cannot arm a timer: %s", strerror(-r));
}

static void set_owner(struct qe_display *d, const char *owner)
{
	if (owner && !*owner)
		owner = NULL;
	if ((!owner && !d->owner) || (owner && d->owner && strcmp(owner, d->owner) == 0))
		return;
	bool had = d->owner != NULL;
	drop_instance(d);
	if (!owner) {
		lc_info("QEMU left the bus (org.qemu has no owner); waiting for it to come back");
		set_state(d, QE_DISPLAY_NO_QEMU);
		return;
	}
	d->owner = strdup(owner);
	if (!d->owner) {
		lc_err("out of memory");
		set_state(d, QE_DISPLAY_NO_QEMU);
		return;
	}
	d->generation++;
	lc_info("QEMU %s on the bus as %s; reading its consoles", had ? "restarted" : "appeared",
		owner);
	set_state(d, QE_DISPLAY_LOADING);
	load_consoles(d);
}

static bool is_virtio_gpu(const struct qe_console *c)
{
	return strncmp(c->label, "virtio-", 7) == 0;
}

/* QEMU labels a console by its device's id= when it has one, "ID" for a
 * single head and "ID.N" for head N of a multi-head device. */
static bool has_gpu_id(const struct qe_console *c, const char *id)
{
	size_t n = strlen(id);
	return strncmp(c->label, id, n) == 0 && (c->label[n] == '\0' || c->label[n] == '.');
}

/* Scanout N is the console whose Head is N on one device: the first
 * virtio-gpu device by console id, or failing that the device of the first
 * graphic console (DeviceAddress groups a device's heads). */
static void map_scanouts(struct qe_display *d)
{
	const struct qe_console *dev = NULL;
	if (d->gpu_id) {
		/* Named by the operator: that device or none, never a guess. */
		for (unsigned i = 0; i < d->n_consoles && !dev; i++) {
			const struct qe_console *c = &d->consoles[i];
			if (c->loaded && strcmp(c->type, "Graphic") == 0 &&
			    has_gpu_id(c, d->gpu_id))
				dev = c;
		}
		if (!dev) {
			d->n_scanouts = 0;
			lc_warn("QEMU has no graphic console of a device with id %s (--gpu-id)",
				d->gpu_id);
			return;
		}
	}
	for (unsigned i = 0; i < d->n_consoles && !dev; i++) {
		const struct qe_console *c = &d->consoles[i];
		if (c->loaded && strcmp(c->type, "Graphic") == 0 && is_virtio_gpu(c))
			dev = c;
	}
	for (unsigned i = 0; i < d->n_consoles && !dev; i++) {
		const struct qe_console *c = &d->consoles[i];
		if (c->loaded && strcmp(c->type, "Graphic") == 0)
			dev = c;
	}
	d->n_scanouts = 0;
	if (!dev)
		return;
	for (unsigned i = 0; i < d->n_consoles; i++) {
		const struct qe_console *c = &d->consoles[i];
		if (!c->loaded || strcmp(c->device, dev->device) != 0 || c->head >= QE_MAX_SCANOUTS)
			continue;
		if (d->scanout_console[c->head] >= 0)
			continue;
		d->scanout_console[c->head] = (int)i;
		if (c->head + 1 > d->n_scanouts)
			d->n_scanouts = c->head + 1;
	}
	lc_info("QEMU display ready: %u consoles, scanouts 0..%u on device %s (%s)", d->n_consoles,
		d->n_scanouts - 1, dev->device[0] ? dev->device : "(none)", dev->label);
}

static void console_loaded(struct qe_display *d)
{
	if (--d->pending > 0)
		return;
	map_scanouts(d);
	set_state(d, QE_DISPLAY_READY);
}

static int read_string_into(sd_bus_message *m, char *dst, size_t cap)
{
	const char *s;
	int r = sd_bus_message_read(m, "s", &s);
	if (r >= 0)
		snprintf(dst, cap, "%s", s);
	return r;
}

static int parse_console_props(sd_bus_message *m, struct qe_console *c)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *name, *sig;
		char type;
		if ((r = sd_bus_message_read(m, "s", &name)) < 0)
			return r;
		if ((r = sd_bus_message_peek_type(m, &type, &sig)) < 0)
			return r;
		bool want_s = strcmp(sig, "s") == 0, want_u = strcmp(sig, "u") == 0;
		char *str = NULL;
		size_t str_cap = 0;
		uint32_t *num = NULL;
		if (want_s && strcmp(name, "Label") == 0)
			str = c->label, str_cap = sizeof(c->label);
		else if (want_s && strcmp(name, "Type") == 0)
			str = c->type, str_cap = sizeof(c->type);
		else if (want_s && strcmp(name, "DeviceAddress") == 0)
			str = c->device, str_cap = sizeof(c->device);
		else if (want_u && strcmp(name, "Head") == 0)
			num = &c->head;
		else if (want_u && strcmp(name, "Width") == 0)
			num = &c->width;
		else if (want_u && strcmp(name, "Height") == 0)
			num = &c->height;
		if (str || num) {
			if ((r = sd_bus_message_enter_container(m, 'v', sig)) < 0)
				return r;
			r = str ? read_string_into(m, str, str_cap)
				: sd_bus_message_read(m, "u", num);
			if (r < 0)
				return r;
			if ((r = sd_bus_message_exit_container(m)) < 0)
				return r;
		} else if ((r = sd_bus_message_skip(m, "v")) < 0) {
			return r;
		}
		if ((r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int console_props_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_console *c = data;
	struct qe_display *d = c->display;
	c->slot = sd_bus_slot_unref(c->slot);
	const sd_bus_error *e = sd_bus_message_get_error(m);
	if (e) {
		lc_warn("QEMU console %" PRIu32 ": cannot read properties: %s", c->id, e->message);
	} else {
		int r = parse_console_props(m, c);
		if (r < 0)
			lc_warn("QEMU console %" PRIu32 ": bad property reply: %s", c->id,
				strerror(-r));
		else
			c->loaded = true;
		lc_debug("console %" PRIu32 ": label=%s head=%" PRIu32 " type=%s %" PRIu32
			 "x%" PRIu32 " device=%s",
			 c->id, c->label, c->head, c->type, c->width, c->height, c->device);
	}
	console_loaded(d);
	return 0;
}

/* MultiTouch is QEMU 9's; an older QEMU answers UnknownInterface or
 * UnknownProperty, which means "no touch" and is no failure. */
static int touch_slots_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_console *c = data;
	struct qe_display *d = c->display;
	c->touch_slot = sd_bus_slot_unref(c->touch_slot);
	uint32_t slots = 0;
	if (!sd_bus_message_get_error(m) && sd_bus_message_enter_container(m, 'v', "i") >= 0) {
		int32_t v = 0;
		if (sd_bus_message_read(m, "i", &v) >= 0 && v > 0)
			slots = (uint32_t)v;
	}
	c->touch_slots = slots;
	lc_debug("console %" PRIu32 ": %" PRIu32 " touch slots", c->id, slots);
	console_loaded(d);
	return 0;
}

static int console_ids_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_display *d = data;
	d->ids_query = sd_bus_slot_unref(d->ids_query);
	const sd_bus_error *e = sd_bus_message_get_error(m);
	if (e) {
		lc_warn("cannot read QEMU's ConsoleIDs (%s); retrying", e->message);
		schedule_retry(d);
		return 0;
	}
	const uint32_t *ids;
	size_t size;
	int r = sd_bus_message_enter_container(m, 'v', "au");
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'u', (const void **)&ids, &size);
	if (r < 0) {
		lc_warn("QEMU's ConsoleIDs is not an array of u: %s; retrying", strerror(-r));
		schedule_retry(d);
		return 0;
	}
	size_t n = size / sizeof(uint32_t);
	if (n > MAX_CONSOLES) {
		lc_warn("QEMU lists %zu consoles; using the first %d", n, MAX_CONSOLES);
		n = MAX_CONSOLES;
	}
	d->consoles = calloc(n ? n : 1, sizeof(*d->consoles));
	if (!d->consoles) {
		lc_err("out of memory");
		schedule_retry(d);
		return 0;
	}
	d->n_consoles = (unsigned)n;
	d->pending = 1; /* held until every call is sent */
	for (size_t i = 0; i < n; i++) {
		struct qe_console *c = &d->consoles[i];
		char path[64];
		c->id = ids[i];
		c->display = d;
		snprintf(path, sizeof(path), CONSOLE_PATH_FMT, c->id);
		r = sd_bus_call_method_async(d->bus, &c->slot, d->owner, path,
					     "org.freedesktop.DBus.Properties", "GetAll",
					     console_props_reply, c, "s", CONSOLE_IFACE);
		if (r < 0)
			lc_warn("QEMU console %" PRIu32 ": cannot ask for properties: %s", c->id,
				strerror(-r));
		else
			d->pending++;
		r = sd_bus_call_method_async(d->bus, &c->touch_slot, d->owner, path,
					     "org.freedesktop.DBus.Properties", "Get",
					     touch_slots_reply, c, "ss", TOUCH_IFACE, "MaxSlots");
		if (r >= 0)
			d->pending++;
	}
	console_loaded(d);
	return 0;
}

static void load_consoles(struct qe_display *d)
{
	int r = sd_bus_call_method_async(d->bus, &d->ids_query, d->owner, VM_PATH,
					 "org.freedesktop.DBus.Properties", "Get",
					 console_ids_reply, d, "ss", VM_IFACE, "ConsoleIDs");
	if (r < 0) {
		lc_warn("cannot ask QEMU for its consoles: %s; retrying", strerror(-r));
		schedule_retry(d);
	}
}

static int owner_changed(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_display *d = data;
	const char *name, *old_owner, *new_owner;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, QEMU_NAME) != 0)
		return 0;
	set_owner(d, new_owner);
	return 0;
}

static int owner_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_display *d = data;
	d->owner_query = sd_bus_slot_unref(d->owner_query);
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *owner = NULL;
	if (!e && sd_bus_message_read(m, "s", &owner) < 0)
		owner = NULL;
	if (e && !sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner")) {
		/* The connection failed; the Disconnected handler takes over. */
		lc_debug("GetNameOwner(org.qemu): %s", e->message);
		return 0;
	}
	d->quiet_reconnect = false;
	if (owner) {
		set_owner(d, owner);
	} else if (d->state == QE_DISPLAY_NO_BUS) {
		lc_info("connected to D-Bus; waiting for QEMU to own org.qemu");
		set_state(d, QE_DISPLAY_NO_QEMU);
	}
	return 0;
}

static int bus_disconnected(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_display *d = data;
	lc_warn("lost the D-Bus connection; reconnecting every %llu s", RETRY_USEC / 1000000ull);
	d->quiet_reconnect = true;
	free(d->owner);
	d->owner = NULL;
	set_state(d, QE_DISPLAY_NO_BUS);
	/* Tear the bus down from the timer, outside its own dispatch. */
	schedule_retry(d);
	return 0;
}

static int connect_bus(struct qe_display *d)
{
	int r = sd_bus_new(&d->bus);
	if (r < 0)
		goto fail;
	if ((r = sd_bus_set_address(d->bus, d->address)) < 0 ||
	    (r = sd_bus_set_bus_client(d->bus, 1)) < 0 ||
	    (r = sd_bus_set_description(d->bus, "qemu-display")) < 0 ||
	    (r = sd_bus_start(d->bus)) < 0 ||
	    (r = sd_bus_attach_event(d->bus, d->ev, SD_EVENT_PRIORITY_NORMAL)) < 0)
		goto fail;
	r = sd_bus_match_signal_async(d->bus, &d->disconnect_match, NULL,
				      "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
				      "Disconnected", bus_disconnected, NULL, d);
	if (r < 0)
		goto fail;
	r = sd_bus_add_match_async(d->bus, &d->owner_match,
				   "type='signal',sender='org.freedesktop.DBus',"
				   "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				   "member='NameOwnerChanged',arg0='" QEMU_NAME "'",
				   owner_changed, NULL, d);
	if (r < 0)
		goto fail;
	/* Asked after the match is queued, so no owner change falls between. */
	r = sd_bus_call_method_async(d->bus, &d->owner_query, "org.freedesktop.DBus",
				     "/org/freedesktop/DBus", "org.freedesktop.DBus",
				     "GetNameOwner", owner_reply, d, "s", QEMU_NAME);
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (!d->quiet_reconnect)
		lc_warn("cannot connect to D-Bus at %s: %s; retrying every %llu s", d->address,
			strerror(-r), RETRY_USEC / 1000000ull);
	d->quiet_reconnect = true;
	d->state = QE_DISPLAY_NO_BUS;
	schedule_retry(d);
	return r;
}

/* A guid in the address pins one instance of the bus daemon; the exporter
 * outlives bus restarts, so it connects by address alone. */
static char *address_without_guid(const char *address)
{
	char *out = malloc(strlen(address) + 1);
	if (!out)
		return NULL;
	char *o = out;
	const char *p = address;
	while (*p) {
		/* One address: "transport:key=value,key=value". */
		size_t head = strcspn(p, ":;");
		memcpy(o, p, head);
		o += head;
		p += head;
		if (*p == ':') {
			*o++ = *p++;
			bool first = true;
			while (*p && *p != ';') {
				size_t n = strcspn(p, ",;");
				if (!(n >= 5 && strncmp(p, "guid=", 5) == 0)) {
					if (!first)
						*o++ = ',';
					memcpy(o, p, n);
					o += n;
					first = false;
				}
				p += n;
				if (*p == ',')
					p++;
			}
		}
		if (*p == ';')
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

int qe_display_create(struct qe_display **out, sd_event *ev, const char *address,
		      const char *gpu_id, void (*changed)(void *data), void *data)
{
	struct qe_display *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (gpu_id && !(d->gpu_id = strdup(gpu_id))) {
		free(d);
		return -ENOMEM;
	}
	d->ev = sd_event_ref(ev);
	d->address = address_without_guid(address);
	d->changed = changed;
	d->data = data;
	d->state = QE_DISPLAY_NO_BUS;
	for (unsigned i = 0; i < QE_MAX_SCANOUTS; i++)
		d->scanout_console[i] = -1;
	if (!d->address) {
		qe_display_destroy(d);
		return -ENOMEM;
	}
	connect_bus(d); /* failures retry from the timer */
	*out = d;
	return 0;
}

void qe_display_destroy(struct qe_display *d)
{
	if (!d)
		return;
	drop_bus(d);
	free(d->address);
	free(d->gpu_id);
	sd_event_unref(d->ev);
	free(d);
}

enum qe_display_state qe_display_state(const struct qe_display *d)
{
	return d->state;
}

uint64_t qe_display_generation(const struct qe_display *d)
{
	return d->generation;
}

unsigned qe_display_scanout_count(const struct qe_display *d)
{
	return d->state == QE_DISPLAY_READY ? d->n_scanouts : 0;
}

unsigned qe_display_console_count(const struct qe_display *d)
{
	return d->n_consoles;
}

static int ui_info_reply(sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
	struct qe_ui_call *call = data;
	call->slot = sd_bus_slot_unref(call->slot);
	call->done(call, sd_bus_message_get_error(m));
	return 0;
}

uint16_t qe_display_mm_for_px(uint32_t px)
{
	/* QEMU wants a physical size; assume 96 dpi (25.4 mm per 96 px). */
	return (uint16_t)(px * 254u / 960u);
}

int qe_display_set_ui_info(struct qe_display *d, uint32_t scanout, uint32_t width, uint32_t height,
			   struct qe_ui_call *call)
{
	return qe_display_set_ui_info_mm(d, scanout, width, height, qe_display_mm_for_px(width),
					 qe_display_mm_for_px(height), call);
}

int qe_display_set_ui_info_mm(struct qe_display *d, uint32_t scanout, uint32_t width,
			      uint32_t height, uint16_t width_mm, uint16_t height_mm,
			      struct qe_ui_call *call)
{
	if (d->state != QE_DISPLAY_READY)
		return -ENOTCONN;
	if (scanout >= d->n_scanouts || d->scanout_console[scanout] < 0)
		return -ENOENT;
	const struct qe_console *c = &d->consoles[d->scanout_console[scanout]];
	char path[64];
	snprintf(path, sizeof(path), CONSOLE_PATH_FMT, c->id);
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(d->bus, &m, d->owner, path, CONSOLE_IFACE,
					       "SetUIInfo");
	if (r >= 0)
		r = sd_bus_message_append(m, "qqiiuu", width_mm, height_mm, (int32_t)0, (int32_t)0,
					  width, height);
	if (r >= 0)
		r = sd_bus_call_async(d->bus, &call->slot, m, ui_info_reply, call,
				      CALL_TIMEOUT_USEC);
	sd_bus_message_unref(m);
	if (r >= 0)
		lc_debug("SetUIInfo %s %" PRIu32 "x%" PRIu32 " %ux%u mm (scanout %" PRIu32 ")",
			 path, width, height, (unsigned)width_mm, (unsigned)height_mm, scanout);
	return r;
}

void qe_ui_call_cancel(struct qe_ui_call *call)
{
	call->slot = sd_bus_slot_unref(call->slot);
}

sd_bus *qe_display_bus(const struct qe_display *d)
{
	return d->bus;
}

const char *qe_display_owner(const struct qe_display *d)
{
	return d->owner;
}

uint32_t qe_display_console_id(const struct qe_display *d, unsigned index)
{
	return index < d->n_consoles ? d->consoles[index].id : UINT32_MAX;
}

int qe_display_console_scanout(const struct qe_display *d, unsigned index)
{
	for (unsigned s = 0; s < d->n_scanouts; s++)
		if (d->scanout_console[s] == (int)index)
			return (int)s;
	return -1;
}

int qe_display_scanout_path(const struct qe_display *d, uint32_t scanout, char path[64])
{
	if (d->state != QE_DISPLAY_READY)
		return -ENOTCONN;
	if (scanout >= d->n_scanouts || d->scanout_console[scanout] < 0)
		return -ENOENT;
	snprintf(path, 64, CONSOLE_PATH_FMT, d->consoles[d->scanout_console[scanout]].id);
	return 0;
}

unsigned qe_display_scanout_touch_slots(const struct qe_display *d, uint32_t scanout)
{
	if (d->state != QE_DISPLAY_READY || scanout >= d->n_scanouts ||
	    d->scanout_console[scanout] < 0)
		return 0;
	return d->consoles[d->scanout_console[scanout]].touch_slots;
}
