/* org.freedesktop.login1.Manager: lookups of the one session, seat and
 * user, and the few other calls gnome-shell makes at start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "shim.h"

/* A pid belongs to the session when the process exists and its real uid
 * is the session's: the shim has one session and no cgroups to consult
 * (systemd reads /proc/<pid>/cgroup for session-<id>.scope). */
static bool pid_in_session(struct shim *shim, pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool in = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned ruid;
		if (sscanf(line, "Uid: %u", &ruid) == 1) {
			in = ruid == (unsigned)shim->opt.uid;
			break;
		}
	}
	fclose(f);
	return in;
}

static DBusMessage *reply_path(DBusMessage *msg, const char *path)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply &&
	    !dbus_message_append_args(reply, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		return NULL;
	}
	return reply;
}

/* The caller's session, for "", "self", "auto" and GetSessionByPID(0). */
static bool caller_in_session(struct shim *shim, DBusMessage *msg)
{
	pid_t pid;
	return bus_caller_pid(shim, msg, &pid) == 0 && pid_in_session(shim, pid);
}

static bool is_self_alias(const char *id)
{
	return !*id || strcmp(id, "self") == 0 || strcmp(id, "auto") == 0;
}

static DBusMessage *get_session(struct shim *shim, DBusMessage *msg)
{
	const char *id;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
	if (strcmp(id, shim->opt.session_id) == 0 ||
	    (is_self_alias(id) && caller_in_session(shim, msg)))
		return reply_path(msg, shim->session_path);
	if (is_self_alias(id))
		return bus_error(msg, LOGIN1_ERROR("NoSessionForPID"),
				 "Caller does not belong to any known session");
	return bus_error(msg, LOGIN1_ERROR("NoSuchSession"), "No session '%s' known", id);
}

static DBusMessage *get_session_by_pid(struct shim *shim, DBusMessage *msg)
{
	dbus_uint32_t upid;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &upid, DBUS_TYPE_INVALID);
	pid_t pid = (pid_t)upid;
	if (upid == 0 && bus_caller_pid(shim, msg, &pid) < 0)
		return bus_error(msg, LOGIN1_ERROR("NoSessionForPID"),
				 "Cannot determine the caller's PID");
	if (upid > (dbus_uint32_t)INT32_MAX || !pid_in_session(shim, pid))
		return bus_error(msg, LOGIN1_ERROR("NoSessionForPID"),
				 "PID %u does not belong to any known session", (unsigned)pid);
	return reply_path(msg, shim->session_path);
}

static DBusMessage *get_seat(struct shim *shim, DBusMessage *msg)
{
	const char *id;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
	if (strcmp(id, shim->opt.seat_id) == 0 ||
	    (is_self_alias(id) && caller_in_session(shim, msg)))
		return reply_path(msg, shim->seat_path);
	return bus_error(msg, LOGIN1_ERROR("NoSuchSeat"), "No seat '%s' known", id);
}

static DBusMessage *get_user(struct shim *shim, DBusMessage *msg)
{
	dbus_uint32_t uid;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &uid, DBUS_TYPE_INVALID);
	if (uid != (dbus_uint32_t)shim->opt.uid)
		return bus_error(msg, LOGIN1_ERROR("NoSuchUser"), "User ID %u is not logged in",
				 (unsigned)uid);
	return reply_path(msg, shim->user_path);
}

static DBusMessage *get_user_by_pid(struct shim *shim, DBusMessage *msg)
{
	dbus_uint32_t upid;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT32, &upid, DBUS_TYPE_INVALID);
	pid_t pid = (pid_t)upid;
	if (upid == 0 && bus_caller_pid(shim, msg, &pid) < 0)
		return bus_error(msg, LOGIN1_ERROR("NoUserForPID"),
				 "Cannot determine the caller's PID");
	if (upid > (dbus_uint32_t)INT32_MAX || !pid_in_session(shim, pid))
		return bus_error(msg, LOGIN1_ERROR("NoUserForPID"),
				 "PID %u does not belong to any logged in user", (unsigned)pid);
	return reply_path(msg, shim->user_path);
}

static DBusMessage *list_sessions(struct shim *shim, DBusMessage *msg)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it, a, st;
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &it);
	bool ok = dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "(susso)", &a) &&
		  dbus_message_iter_open_container(&a, DBUS_TYPE_STRUCT, NULL, &st) &&
		  bus_append_str(&st, shim->opt.session_id) &&
		  bus_append_u32(&st, (uint32_t)shim->opt.uid) &&
		  bus_append_str(&st, shim->user_name) && bus_append_str(&st, shim->opt.seat_id) &&
		  bus_append_path(&st, shim->session_path) &&
		  dbus_message_iter_close_container(&a, &st) &&
		  dbus_message_iter_close_container(&it, &a);
	if (!ok) {
		dbus_message_unref(reply);
		return NULL;
	}
	return reply;
}

static DBusMessage *list_seats(struct shim *shim, DBusMessage *msg)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it, a;
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &it);
	if (!dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "(so)", &a) ||
	    !bus_append_so(&a, shim->opt.seat_id, shim->seat_path) ||
	    !dbus_message_iter_close_container(&it, &a)) {
		dbus_message_unref(reply);
		return NULL;
	}
	return reply;
}

static DBusMessage *list_users(struct shim *shim, DBusMessage *msg)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it, a, st;
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &it);
	bool ok = dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "(uso)", &a) &&
		  dbus_message_iter_open_container(&a, DBUS_TYPE_STRUCT, NULL, &st) &&
		  bus_append_u32(&st, (uint32_t)shim->opt.uid) &&
		  bus_append_str(&st, shim->user_name) && bus_append_path(&st, shim->user_path) &&
		  dbus_message_iter_close_container(&a, &st) &&
		  dbus_message_iter_close_container(&it, &a);
	if (!ok) {
		dbus_message_unref(reply);
		return NULL;
	}
	return reply;
}

static DBusMessage *activate_session(struct shim *shim, DBusMessage *msg)
{
	const char *id = NULL, *seat = NULL;
	if (dbus_message_has_signature(msg, "ss"))
		dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_STRING, &seat,
				      DBUS_TYPE_INVALID);
	else
		dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
	if (strcmp(id, shim->opt.session_id) != 0)
		return bus_error(msg, LOGIN1_ERROR("NoSuchSession"), "No session '%s' known", id);
	if (seat && strcmp(seat, shim->opt.seat_id) != 0)
		return bus_error(msg, LOGIN1_ERROR("NoSuchSeat"), "No seat '%s' known", seat);
	return dbus_message_new_method_return(msg);
}

/* Inhibitors are accepted and not enforced: nothing here suspends or
 * shuts down. The caller gets the write end of a pipe, as systemd hands
 * out a FIFO whose closing ends the inhibitor. */
static DBusMessage *inhibit(struct shim *shim, DBusMessage *msg)
{
	const char *what, *who, *why, *mode;
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &what, DBUS_TYPE_STRING, &who,
			      DBUS_TYPE_STRING, &why, DBUS_TYPE_STRING, &mode, DBUS_TYPE_INVALID);
	if (strcmp(mode, "block") != 0 && strcmp(mode, "delay") != 0)
		return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Invalid mode specification %s",
				 mode);
	int p[2];
	if (pipe(p) < 0)
		return bus_errno(msg, errno, "Cannot create an inhibitor: %s", strerror(errno));
	close(p[0]);
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply &&
	    !dbus_message_append_args(reply, DBUS_TYPE_UNIX_FD, &p[1], DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	close(p[1]);
	lc_debug("inhibitor %s (%s) for %s: not enforced", what, mode, who);
	return reply;
}

static DBusMessage *can_na(struct shim *shim, DBusMessage *msg)
{
	const char *na = "na";
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &na, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		return NULL;
	}
	return reply;
}

static const struct shim_method methods[] = {
	{"GetSession", "s", "o", get_session},
	{"GetSessionByPID", "u", "o", get_session_by_pid},
	{"GetUser", "u", "o", get_user},
	{"GetUserByPID", "u", "o", get_user_by_pid},
	{"GetSeat", "s", "o", get_seat},
	{"ListSessions", "", "a(susso)", list_sessions},
	{"ListUsers", "", "a(uso)", list_users},
	{"ListSeats", "", "a(so)", list_seats},
	{"ActivateSession", "s", "", activate_session},
	{"ActivateSessionOnSeat", "ss", "", activate_session},
	{"Inhibit", "ssss", "h", inhibit},
	{"CanPowerOff", "", "s", can_na},
	{"CanReboot", "", "s", can_na},
	{"CanSuspend", "", "s", can_na},
	{"CanHibernate", "", "s", can_na},
	{"CanHybridSleep", "", "s", can_na},
	{"CanSuspendThenHibernate", "", "s", can_na},
	{"CanRebootToBootLoaderMenu", "", "s", can_na},
	{0},
};

static bool p_false(struct shim *s, DBusMessageIter *it)
{
	return bus_append_bool(it, false);
}
static bool p_zero_u(struct shim *s, DBusMessageIter *it)
{
	return bus_append_u32(it, 0);
}

static const struct shim_property props[] = {
	{"NAutoVTs", "u", p_zero_u},
	{"KillUserProcesses", "b", p_false},
	{"IdleHint", "b", bus_prop_idle_hint},
	{"IdleSinceHint", "t", bus_prop_idle_since},
	{"IdleSinceHintMonotonic", "t", bus_prop_idle_since_mono},
	{"BlockInhibited", "s", bus_prop_empty_str},
	{"DelayInhibited", "s", bus_prop_empty_str},
	{"PreparingForShutdown", "b", p_false},
	{"PreparingForSleep", "b", p_false},
	{"Docked", "b", p_false},
	{0},
};

static const struct shim_signal signals[] = {
	{"SessionNew", "so"},        {"SessionRemoved", "so"}, {"UserNew", "uo"},
	{"UserRemoved", "uo"},       {"SeatNew", "so"},        {"SeatRemoved", "so"},
	{"PrepareForShutdown", "b"}, {"PrepareForSleep", "b"}, {0},
};

const struct shim_interface manager_interface = {
	.name = "org.freedesktop.login1.Manager",
	.methods = methods,
	.props = props,
	.signals = signals,
};
