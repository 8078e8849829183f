/* org.freedesktop.login1.Seat: one seat with one session and no VTs. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "shim.h"

static DBusMessage *activate_session(struct shim *shim, DBusMessage *msg)
{
	const char *id;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
	if (strcmp(id, shim->opt.session_id) != 0)
		return bus_error(msg, LOGIN1_ERROR("NoSuchSession"), "No session '%s' known", id);
	if (shim->revoked)
		return bus_errno(msg, ENODEV, "The session's lease has ended");
	return dbus_message_new_method_return(msg);
}

static DBusMessage *switch_to(struct shim *shim, DBusMessage *msg)
{
	dbus_uint32_t vt;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &vt, DBUS_TYPE_INVALID);
	if (vt == 0)
		return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Invalid virtual terminal");
	if (shim->opt.vtnr && vt == shim->opt.vtnr)
		return dbus_message_new_method_return(msg);
	/* A leased output has nothing to switch to; compositors only log this. */
	return bus_error(msg, DBUS_ERROR_NOT_SUPPORTED, "Seat %s has no other VTs to switch to",
			 shim->opt.seat_id);
}

static DBusMessage *switch_next_prev(struct shim *shim, DBusMessage *msg)
{
	return bus_error(msg, DBUS_ERROR_NOT_SUPPORTED, "Seat %s has no other VTs to switch to",
			 shim->opt.seat_id);
}

static DBusMessage *refuse(struct shim *shim, DBusMessage *msg)
{
	return bus_error(msg, DBUS_ERROR_ACCESS_DENIED,
			 "%s is not offered by the leasecast logind shim",
			 dbus_message_get_member(msg));
}

static const struct shim_method methods[] = {
	{"Terminate", "", "", refuse},
	{"ActivateSession", "s", "", activate_session},
	{"SwitchTo", "u", "", switch_to},
	{"SwitchToNext", "", "", switch_next_prev},
	{"SwitchToPrevious", "", "", switch_next_prev},
	{0},
};

static bool p_id(struct shim *s, DBusMessageIter *it)
{
	return bus_append_str(it, s->opt.seat_id);
}
static bool p_active_session(struct shim *s, DBusMessageIter *it)
{
	return s->active ? bus_append_so(it, s->opt.session_id, s->session_path)
			 : bus_append_so(it, "", "/");
}
static bool p_can_tty(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, s->opt.vtnr != 0);
}
static bool p_true(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, true);
}
static bool p_sessions(struct shim *s, DBusMessageIter *it)
{
	DBusMessageIter a;
	return dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "(so)", &a) &&
	       bus_append_so(&a, s->opt.session_id, s->session_path) &&
	       dbus_message_iter_close_container(it, &a);
}

static const struct shim_property props[] = {
	{"Id", "s", p_id},
	{"ActiveSession", "(so)", p_active_session},
	{"CanTTY", "b", p_can_tty},
	{"CanGraphical", "b", p_true},
	{"Sessions", "a(so)", p_sessions},
	{"IdleHint", "b", bus_prop_idle_hint},
	{"IdleSinceHint", "t", bus_prop_idle_since},
	{"IdleSinceHintMonotonic", "t", bus_prop_idle_since_mono},
	{0},
};

const struct shim_interface seat_interface = {
	.name = "org.freedesktop.login1.Seat",
	.methods = methods,
	.props = props,
	.signals = NULL,
};
