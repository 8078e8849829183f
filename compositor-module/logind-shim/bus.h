/* The shim's side of the bus: owning org.freedesktop.login1, routing
 * method calls to table-described interfaces, and the generic
 * Properties/Introspectable implementations built from those tables. */
#ifndef SHIM_BUS_H
#define SHIM_BUS_H

#include <dbus/dbus.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_ERROR(x) "org.freedesktop.login1." x

struct shim;

struct shim_method {
	const char *name, *in, *out;
	/* Returns the reply or an error message; NULL only when out of memory. */
	DBusMessage *(*call)(struct shim *shim, DBusMessage *msg);
};

struct shim_property {
	const char *name, *type;
	/* Appends the value (of exactly `type`) inside the variant. */
	bool (*get)(struct shim *shim, DBusMessageIter *it);
};

/* Getters of properties that several interfaces carry: logind reports the
 * session's idle hint on Manager, Seat, Session and User alike (the shim
 * has one session), and an empty string where a value does not apply. */
bool bus_prop_idle_hint(struct shim *shim, DBusMessageIter *it);
bool bus_prop_idle_since(struct shim *shim, DBusMessageIter *it);      /* CLOCK_REALTIME us */
bool bus_prop_idle_since_mono(struct shim *shim, DBusMessageIter *it); /* CLOCK_MONOTONIC us */
bool bus_prop_empty_str(struct shim *shim, DBusMessageIter *it);
/* The one user's name and the session's creation time, which Session and
 * User both report. */
bool bus_prop_user_name(struct shim *shim, DBusMessageIter *it);
bool bus_prop_created(struct shim *shim, DBusMessageIter *it);      /* CLOCK_REALTIME us */
bool bus_prop_created_mono(struct shim *shim, DBusMessageIter *it); /* CLOCK_MONOTONIC us */

struct shim_signal {
	const char *name, *args;
};

struct shim_interface {
	const char *name;
	const struct shim_method *methods; /* each table ends with {0} */
	const struct shim_property *props;
	const struct shim_signal *signals;
};

extern const struct shim_interface manager_interface;
extern const struct shim_interface session_interface;
extern const struct shim_interface seat_interface;
extern const struct shim_interface user_interface;

/* Connects, owns the name (failing when it is taken) and exports objects. */
int bus_open(struct shim *shim);
void bus_close(struct shim *shim);

DBusMessage *bus_error(DBusMessage *call, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The name sd-bus gives an errno ("System.Error.EBUSY"). */
DBusMessage *bus_errno(DBusMessage *call, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The caller's credentials, asked of the bus daemon (which is trusted and
 * answers at once); -errno on failure. */
int bus_caller_uid(struct shim *shim, DBusMessage *msg, uid_t *uid);
int bus_caller_pid(struct shim *shim, DBusMessage *msg, pid_t *pid);

/* Sends and unrefs; false when out of memory. */
bool bus_send(struct shim *shim, DBusMessage *msg);
/* PropertiesChanged with the current values in the changed dict. */
void bus_emit_properties_changed(struct shim *shim, const char *path,
				 const struct shim_interface *iface, const char *const *names);

bool bus_append_str(DBusMessageIter *it, const char *s);
bool bus_append_path(DBusMessageIter *it, const char *p);
bool bus_append_bool(DBusMessageIter *it, bool b);
bool bus_append_u32(DBusMessageIter *it, uint32_t v);
bool bus_append_u64(DBusMessageIter *it, uint64_t v);
/* (so) and (uo) structs */
bool bus_append_so(DBusMessageIter *it, const char *s, const char *o);
bool bus_append_uo(DBusMessageIter *it, uint32_t u, const char *o);

#endif
