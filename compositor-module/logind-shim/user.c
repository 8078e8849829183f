/* org.freedesktop.login1.User: the session's owner, which gnome-shell
 * looks up (GetUser, Display) when /run/systemd/seats exists. */
#include <stdio.h>

#include "bus.h"
#include "shim.h"

static DBusMessage *refuse(struct shim *shim, DBusMessage *msg)
{
	return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
			 "%s is not offered by the leasecast logind shim",
			 dbus_message_get_member(msg));
}

static const struct shim_method methods[] = {
	{"Terminate", "", "", refuse},
	{"Kill", "i", "", refuse},
	{0},
};

static bool p_uid(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, (uint32_t)s->opt.uid);
}
static bool p_gid(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, s->user_gid);
}
static bool p_runtime(struct shim *s, DBusMessageIter *it)
{
	char p[64];
	snprintf(p, sizeof(p), "/run/user/%u", (unsigned)s->opt.uid);
	return bus_append_str(it, p);
}
static bool p_service(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, "");
}
static bool p_slice(struct shim *s, DBusMessageIter *it)
{
	char p[64];
	snprintf(p, sizeof(p), "user-%u.slice", (unsigned)s->opt.uid);
	return bus_append_str(it, p);
}
static bool p_display(struct shim *s, DBusMessageIter *it)
{
	return bus_append_so(it, s->opt.session_id, s->session_path);
}
static bool p_state(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, s->active ? "active" : "online");
}
static bool p_sessions(struct shim *s, DBusMessageIter *it)
{
	DBusMessageIter a;
	return dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "(so)", &a) &&
	       bus_append_so(&a, s->opt.session_id, s->session_path) &&
	       dbus_message_iter_close_container(it, &a);
}
static bool p_false(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, false);
}

static const struct shim_property props[] = {
	{"UID", "u", p_uid},
	{"GID", "u", p_gid},
	{"Name", "s", bus_prop_user_name},
	{"Timestamp", "t", bus_prop_created},
	{"TimestampMonotonic", "t", bus_prop_created_mono},
	{"RuntimePath", "s", p_runtime},
	{"Service", "s", p_service},
	{"Slice", "s", p_slice},
	{"Display", "(so)", p_display},
	{"State", "s", p_state},
	{"Sessions", "a(so)", p_sessions},
	{"IdleHint", "b", bus_prop_idle_hint},
	{"IdleSinceHint", "t", bus_prop_idle_since},
	{"IdleSinceHintMonotonic", "t", bus_prop_idle_since_mono},
	{"Linger", "b", p_false},
	{0},
};

const struct shim_interface user_interface = {
	.name = "org.freedesktop.login1.User",
	.methods = methods,
	.props = props,
	.signals = NULL,
};
