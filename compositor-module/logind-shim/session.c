/* org.freedesktop.login1.Session: control, devices and state of the one
 * session, with systemd's semantics (logind-session-dbus.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "bus.h"
#include "log.h"
#include "shim.h"

#define SESSION_IFACE "org.freedesktop.login1.Session"

static bool is_controller(struct shim *shim, DBusMessage *msg)
{
	return shim->controller && strcmp(shim->controller, dbus_message_get_sender(msg)) == 0;
}

static DBusMessage *not_in_control(DBusMessage *msg)
{
	return bus_error(msg, LOGIN1_ERROR("NotInControl"),
			 "You are not in control of this session");
}

static DBusMessage *empty_reply(DBusMessage *msg)
{
	return dbus_message_new_method_return(msg);
}

/* Root or the session's owner, as systemd checks for TakeControl,
 * SetIdleHint, SetLockedHint. */
static DBusMessage *check_owner(struct shim *shim, DBusMessage *msg, bool allow_root,
				const char *what)
{
	uid_t uid;
	if (bus_caller_uid(shim, msg, &uid) < 0)
		return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
				 "Cannot determine the caller's uid");
	if ((allow_root && uid == 0) || uid == shim->opt.uid)
		return NULL;
	return bus_error(msg, DBUS_ERROR_ACCESS_DENIED, "Only owner of session may %s", what);
}

static DBusMessage *get_majmin(DBusMessage *msg, unsigned *major, unsigned *minor)
{
	dbus_uint32_t ma, mi;
	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &ma, DBUS_TYPE_UINT32, &mi,
				   DBUS_TYPE_INVALID))
		return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Expected (uu)");
	/* systemd's DEVICE_MAJOR_VALID/DEVICE_MINOR_VALID, and 0:0 is no device. */
	if (ma >= (1U << 12) || mi >= (1U << 20) || ma == 0)
		return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Device major/minor is not valid");
	*major = ma;
	*minor = mi;
	return NULL;
}

static DBusMessage *take_control(struct shim *shim, DBusMessage *msg)
{
	dbus_bool_t force;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_BOOLEAN, &force, DBUS_TYPE_INVALID);
	uid_t uid;
	if (bus_caller_uid(shim, msg, &uid) < 0)
		return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
				 "Cannot determine the caller's uid");
	/* systemd: a non-root caller must own the session and may not force. */
	if (uid != 0 && (force || uid != shim->opt.uid))
		return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
				 "Only owner of session may take control");
	if (is_controller(shim, msg))
		return empty_reply(msg);
	if (shim->controller && !force)
		return bus_errno(msg, EBUSY, "Device or resource busy");
	if (shim->controller) {
		lc_info("%s forces control away from %s", dbus_message_get_sender(msg),
			shim->controller);
		shim_release_controller(shim);
	}
	shim->controller = strdup(dbus_message_get_sender(msg));
	if (!shim->controller)
		return NULL;
	lc_info("%s took control of session %s", shim->controller, shim->opt.session_id);
	files_write(shim);
	return empty_reply(msg);
}

static DBusMessage *release_control(struct shim *shim, DBusMessage *msg)
{
	if (!is_controller(shim, msg))
		return not_in_control(msg);
	lc_info("%s released control", shim->controller);
	shim_release_controller(shim);
	return empty_reply(msg);
}

static DBusMessage *take_device(struct shim *shim, DBusMessage *msg)
{
	unsigned major, minor;
	DBusMessage *e = get_majmin(msg, &major, &minor);
	if (e)
		return e;
	if (!is_controller(shim, msg))
		return not_in_control(msg);
	if (devices_find(&shim->devices, major, minor))
		return bus_error(msg, LOGIN1_ERROR("DeviceIsTaken"), "Device already taken");

	bool card = major == shim->card_major && minor == shim->card_minor;
	struct shim_input *input = card ? NULL : inputs_find(&shim->inputs, major, minor);
	int fd = -1, own_fd = -1;
	if (card) {
		if (shim->revoked || shim->lease_fd < 0)
			return bus_errno(msg, ENODEV, "The lease of %u:%u has ended", major, minor);
		fd = shim->lease_fd; /* libdbus appends a CLOEXEC dup of it */
	} else if (input) {
		/* The lease's own device: the same open file as the broker's
		 * copy, so its EVIOCREVOKE at lease end reaches the compositor;
		 * not the shim's to revoke on ReleaseDevice (own_fd stays -1). */
		if (shim->revoked || input->fd < 0)
			return bus_errno(msg, ENODEV, "The lease of input %u:%u has ended", major,
					 minor);
		fd = input->fd;
	} else if (devices_input_allowed(&shim->opt, major, minor)) {
		if (shim->revoked)
			return bus_errno(msg, ENODEV, "The session has ended");
		own_fd = devices_open_input(major, minor);
		if (own_fd < 0)
			return bus_errno(msg, -own_fd, "Cannot open input device %u:%u: %s", major,
					 minor, strerror(-own_fd));
		fd = own_fd;
	} else {
		return bus_error(
			msg, DBUS_ERROR_ACCESS_DENIED,
			"Device %u:%u is neither this session's card nor one of its input devices",
			major, minor);
	}

	DBusMessage *reply = dbus_message_new_method_return(msg);
	dbus_bool_t inactive = !shim->active;
	if (!reply ||
	    !dbus_message_append_args(reply, DBUS_TYPE_UNIX_FD, &fd, DBUS_TYPE_BOOLEAN, &inactive,
				      DBUS_TYPE_INVALID) ||
	    !devices_add(&shim->devices, major, minor, own_fd)) {
		if (reply)
			dbus_message_unref(reply);
		if (own_fd >= 0)
			close(own_fd);
		return bus_errno(msg, ENOSPC, "Too many devices taken");
	}
	if (input)
		lc_info("%s took device %u:%u (the lease's input \"%s\")", shim->controller, major,
			minor, input->uniq);
	else
		lc_info("%s took device %u:%u%s", shim->controller, major, minor,
			card ? " (the lease)" : "");
	return reply;
}

static DBusMessage *release_device(struct shim *shim, DBusMessage *msg)
{
	unsigned major, minor;
	DBusMessage *e = get_majmin(msg, &major, &minor);
	if (e)
		return e;
	if (!is_controller(shim, msg))
		return not_in_control(msg);
	struct shim_device *dev = devices_find(&shim->devices, major, minor);
	if (!dev)
		return bus_error(msg, LOGIN1_ERROR("DeviceNotTaken"), "Device not taken");
	devices_remove(&shim->devices, dev);
	lc_info("%s released device %u:%u", shim->controller, major, minor);
	return empty_reply(msg);
}

static DBusMessage *pause_device_complete(struct shim *shim, DBusMessage *msg)
{
	unsigned major, minor;
	DBusMessage *e = get_majmin(msg, &major, &minor);
	if (e)
		return e;
	if (!is_controller(shim, msg))
		return not_in_control(msg);
	if (!devices_find(&shim->devices, major, minor))
		return bus_error(msg, LOGIN1_ERROR("DeviceNotTaken"), "Device not taken");
	/* The shim never asks for a "pause" it would have to wait for. */
	return empty_reply(msg);
}

static DBusMessage *activate(struct shim *shim, DBusMessage *msg)
{
	/* The only session on its seat is active until its lease ends;
	 * libseat <= 0.8 calls this at start and aborts on an error. */
	if (shim->revoked)
		return bus_errno(msg, ENODEV, "The session's lease has ended");
	return empty_reply(msg);
}

static DBusMessage *set_type(struct shim *shim, DBusMessage *msg)
{
	const char *type;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &type, DBUS_TYPE_INVALID);
	if (!shim_session_type_valid(type))
		return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Invalid session type '%s'", type);
	if (!is_controller(shim, msg))
		return bus_error(msg, LOGIN1_ERROR("NotInControl"),
				 "You must be in control of this session to set type");
	if (strcmp(shim->type, type) != 0) {
		snprintf(shim->type, sizeof(shim->type), "%s", type);
		bus_emit_properties_changed(shim, shim->session_path, &session_interface,
					    (const char *const[]){"Type", NULL});
		files_write(shim);
	}
	return empty_reply(msg);
}

static DBusMessage *set_idle_hint(struct shim *shim, DBusMessage *msg)
{
	dbus_bool_t b;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_BOOLEAN, &b, DBUS_TYPE_INVALID);
	DBusMessage *e = check_owner(shim, msg, true, "set idle hint");
	if (e)
		return e;
	if (shim->idle_hint != (bool)b) {
		shim->idle_hint = b;
		shim->idle_since_rt_us = (uint64_t)(lc_clock_ns(CLOCK_REALTIME) / 1000);
		shim->idle_since_mono_us = (uint64_t)(lc_clock_ns(CLOCK_MONOTONIC) / 1000);
		bus_emit_properties_changed(shim, shim->session_path, &session_interface,
					    (const char *const[]){"IdleHint", "IdleSinceHint",
								  "IdleSinceHintMonotonic", NULL});
	}
	return empty_reply(msg);
}

static DBusMessage *set_locked_hint(struct shim *shim, DBusMessage *msg)
{
	dbus_bool_t b;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_BOOLEAN, &b, DBUS_TYPE_INVALID);
	DBusMessage *e = check_owner(shim, msg, true, "set locked hint");
	if (e)
		return e;
	if (shim->locked_hint != (bool)b) {
		shim->locked_hint = b;
		bus_emit_properties_changed(shim, shim->session_path, &session_interface,
					    (const char *const[]){"LockedHint", NULL});
	}
	return empty_reply(msg);
}

/* Lock/Unlock ask the session's screen locker, by a broadcast signal. */
static DBusMessage *lock_or_unlock(struct shim *shim, DBusMessage *msg, const char *signal)
{
	DBusMessage *e = check_owner(shim, msg, true, "lock or unlock it");
	if (e)
		return e;
	bus_send(shim, dbus_message_new_signal(shim->session_path, SESSION_IFACE, signal));
	return empty_reply(msg);
}

static DBusMessage *lock(struct shim *shim, DBusMessage *msg)
{
	return lock_or_unlock(shim, msg, "Lock");
}

static DBusMessage *unlock(struct shim *shim, DBusMessage *msg)
{
	return lock_or_unlock(shim, msg, "Unlock");
}

static DBusMessage *refuse(struct shim *shim, DBusMessage *msg)
{
	/* The launcher owns the compositor's life; stop it there. */
	return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
			 "%s is not offered by the leasecast logind shim",
			 dbus_message_get_member(msg));
}

static const struct shim_method methods[] = {
	{"Terminate", "", "", refuse},
	{"Activate", "", "", activate},
	{"Lock", "", "", lock},
	{"Unlock", "", "", unlock},
	{"SetIdleHint", "b", "", set_idle_hint},
	{"SetLockedHint", "b", "", set_locked_hint},
	{"Kill", "si", "", refuse},
	{"TakeControl", "b", "", take_control},
	{"ReleaseControl", "", "", release_control},
	{"SetType", "s", "", set_type},
	{"TakeDevice", "uu", "hb", take_device},
	{"ReleaseDevice", "uu", "", release_device},
	{"PauseDeviceComplete", "uu", "", pause_device_complete},
	{0},
};

static bool p_id(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, s->opt.session_id);
}
static bool p_user(struct shim *s, DBusMessageIter *it)
{
	return bus_append_uo(it, (uint32_t)s->opt.uid, s->user_path);
}
static bool p_vtnr(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, s->opt.vtnr);
}
static bool p_seat(struct shim *s, DBusMessageIter *it)
{
	return bus_append_so(it, s->opt.seat_id, s->seat_path);
}
static bool p_false(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, false);
}
static bool p_zero_u(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, 0);
}
static bool p_service(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, "leasecast");
}
static bool p_leader(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, s->leader);
}
static bool p_type(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, s->type);
}
static bool p_class(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, "user");
}
static bool p_active(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, s->active);
}
static bool p_state(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, shim_state(s));
}
static bool p_locked(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, s->locked_hint);
}

static const struct shim_property props[] = {
	{"Id", "s", p_id},
	{"User", "(uo)", p_user},
	{"Name", "s", bus_prop_user_name},
	{"Timestamp", "t", bus_prop_created},
	{"TimestampMonotonic", "t", bus_prop_created_mono},
	{"VTNr", "u", p_vtnr},
	{"Seat", "(so)", p_seat},
	{"TTY", "s", bus_prop_empty_str},
	{"Display", "s", bus_prop_empty_str},
	{"Remote", "b", p_false},
	{"RemoteHost", "s", bus_prop_empty_str},
	{"RemoteUser", "s", bus_prop_empty_str},
	{"Service", "s", p_service},
	{"Desktop", "s", bus_prop_empty_str},
	{"Scope", "s", bus_prop_empty_str},
	{"Leader", "u", p_leader},
	{"Audit", "u", p_zero_u},
	{"Type", "s", p_type},
	{"Class", "s", p_class},
	{"Active", "b", p_active},
	{"State", "s", p_state},
	{"IdleHint", "b", bus_prop_idle_hint},
	{"IdleSinceHint", "t", bus_prop_idle_since},
	{"IdleSinceHintMonotonic", "t", bus_prop_idle_since_mono},
	{"LockedHint", "b", p_locked},
	{0},
};

static const struct shim_signal signals[] = {
	{"PauseDevice", "uus"}, {"ResumeDevice", "uuh"}, {"Lock", ""}, {"Unlock", ""}, {0},
};

const struct shim_interface session_interface = {
	.name = SESSION_IFACE,
	.methods = methods,
	.props = props,
	.signals = signals,
};
