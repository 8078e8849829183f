#include "bus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "shim.h"

bool bus_append_str(DBusMessageIter *it, const char *s)
{
	return dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &s);
}

bool bus_append_path(DBusMessageIter *it, const char *p)
{
	return dbus_message_iter_append_basic(it, DBUS_TYPE_OBJECT_PATH, &p);
}

bool bus_append_bool(DBusMessageIter *it, bool b)
{
	dbus_bool_t v = b;
	return dbus_message_iter_append_basic(it, DBUS_TYPE_BOOLEAN, &v);
}

bool bus_append_u32(DBusMessageIter *it, uint32_t v)
{
	return dbus_message_iter_append_basic(it, DBUS_TYPE_UINT32, &v);
}

bool bus_append_u64(DBusMessageIter *it, uint64_t v)
{
	dbus_uint64_t x = v;
	return dbus_message_iter_append_basic(it, DBUS_TYPE_UINT64, &x);
}

bool bus_append_so(DBusMessageIter *it, const char *s, const char *o)
{
	DBusMessageIter st;
	if (!dbus_message_iter_open_container(it, DBUS_TYPE_STRUCT, NULL, &st))
		return false;
	if (!bus_append_str(&st, s) || !bus_append_path(&st, o)) {
		dbus_message_iter_abandon_container(it, &st);
		return false;
	}
	return dbus_message_iter_close_container(it, &st);
}

bool bus_append_uo(DBusMessageIter *it, uint32_t u, const char *o)
{
	DBusMessageIter st;
	if (!dbus_message_iter_open_container(it, DBUS_TYPE_STRUCT, NULL, &st))
		return false;
	if (!bus_append_u32(&st, u) || !bus_append_path(&st, o)) {
		dbus_message_iter_abandon_container(it, &st);
		return false;
	}
	return dbus_message_iter_close_container(it, &st);
}

static DBusMessage *error_va(DBusMessage *call, const char *name, const char *fmt, va_list ap)
{
	char text[256];
	vsnprintf(text, sizeof(text), fmt, ap);
	lc_debug("%s.%s from %s: %s: %s",
		 dbus_message_get_interface(call) ? dbus_message_get_interface(call) : "",
		 dbus_message_get_member(call), dbus_message_get_sender(call), name, text);
	return dbus_message_new_error(call, name, text);
}

DBusMessage *bus_error(DBusMessage *call, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	DBusMessage *m = error_va(call, name, fmt, ap);
	va_end(ap);
	return m;
}

DBusMessage *bus_errno(DBusMessage *call, int err, const char *fmt, ...)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{EBUSY, "System.Error.EBUSY"},   {ENODEV, "System.Error.ENODEV"},
		{ENOENT, "System.Error.ENOENT"}, {EPERM, "System.Error.EPERM"},
		{EACCES, "System.Error.EACCES"}, {ENOMEM, "System.Error.ENOMEM"},
		{ENOSPC, "System.Error.ENOSPC"}, {ENXIO, "System.Error.ENXIO"},
		{EINVAL, "System.Error.EINVAL"}, {EIO, "System.Error.EIO"},
	};
	const char *name = DBUS_ERROR_FAILED;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			name = names[i].name;
	va_list ap;
	va_start(ap, fmt);
	DBusMessage *m = error_va(call, name, fmt, ap);
	va_end(ap);
	return m;
}

bool bus_send(struct shim *shim, DBusMessage *msg)
{
	if (!msg)
		return false;
	bool ok = dbus_connection_send(shim->conn, msg, NULL);
	dbus_message_unref(msg);
	return ok;
}

static int ask_daemon_u32(struct shim *shim, const char *method, const char *name, uint32_t *out)
{
	DBusMessage *m = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
						      DBUS_INTERFACE_DBUS, method);
	if (!m || !dbus_message_append_args(m, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID)) {
		if (m)
			dbus_message_unref(m);
		return -ENOMEM;
	}
	DBusError err;
	dbus_error_init(&err);
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(shim->conn, m, 5000, &err);
	dbus_message_unref(m);
	int r = 0;
	if (!reply) {
		lc_warn("%s(%s): %s", method, name, err.message);
		r = -ESRCH;
	} else if (!dbus_message_get_args(reply, &err, DBUS_TYPE_UINT32, out, DBUS_TYPE_INVALID)) {
		r = -EPROTO;
	}
	dbus_error_free(&err);
	if (reply)
		dbus_message_unref(reply);
	return r;
}

int bus_caller_uid(struct shim *shim, DBusMessage *msg, uid_t *uid)
{
	uint32_t v;
	int r = ask_daemon_u32(shim, "GetConnectionUnixUser", dbus_message_get_sender(msg), &v);
	if (r == 0)
		*uid = (uid_t)v;
	return r;
}

int bus_caller_pid(struct shim *shim, DBusMessage *msg, pid_t *pid)
{
	uint32_t v;
	int r = ask_daemon_u32(shim, "GetConnectionUnixProcessID", dbus_message_get_sender(msg),
			       &v);
	if (r == 0)
		*pid = (pid_t)v;
	return r;
}

static const struct shim_property *find_prop(const struct shim_interface *iface, const char *name)
{
	for (const struct shim_property *p = iface->props; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static bool append_prop_entry(struct shim *shim, DBusMessageIter *dict,
			      const struct shim_property *p)
{
	DBusMessageIter entry, var;
	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry))
		return false;
	if (!bus_append_str(&entry, p->name) ||
	    !dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, p->type, &var)) {
		dbus_message_iter_abandon_container(dict, &entry);
		return false;
	}
	if (!p->get(shim, &var)) {
		dbus_message_iter_abandon_container(&entry, &var);
		dbus_message_iter_abandon_container(dict, &entry);
		return false;
	}
	return dbus_message_iter_close_container(&entry, &var) &&
	       dbus_message_iter_close_container(dict, &entry);
}

void bus_emit_properties_changed(struct shim *shim, const char *path,
				 const struct shim_interface *iface, const char *const *names)
{
	DBusMessage *sig = dbus_message_new_signal(path, DBUS_INTERFACE_PROPERTIES,
						   "PropertiesChanged");
	if (!sig)
		return;
	DBusMessageIter it, dict, inval;
	dbus_message_iter_init_append(sig, &it);
	bool ok = bus_append_str(&it, iface->name) &&
		  dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (const char *const *n = names; ok && *n; n++) {
		const struct shim_property *p = find_prop(iface, *n);
		ok = p && append_prop_entry(shim, &dict, p);
	}
	ok = ok && dbus_message_iter_close_container(&it, &dict) &&
	     dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "s", &inval) &&
	     dbus_message_iter_close_container(&it, &inval);
	if (!ok) {
		lc_err("cannot build PropertiesChanged for %s", path);
		dbus_message_unref(sig);
		return;
	}
	bus_send(shim, sig);
}

/* ---- objects ---- */

enum node_kind {
	NODE_NONE,
	NODE_MANAGER,
	NODE_SESSION,
	NODE_SEAT,
	NODE_USER,
	NODE_DIR
};

static bool alias_of(const char *path, const char *dir, const char *real)
{
	char a[SHIM_PATH_MAX];
	if (strcmp(path, real) == 0)
		return true;
	snprintf(a, sizeof(a), LOGIN1_PATH "/%s/self", dir);
	if (strcmp(path, a) == 0)
		return true;
	snprintf(a, sizeof(a), LOGIN1_PATH "/%s/auto", dir);
	return strcmp(path, a) == 0;
}

static enum node_kind resolve(struct shim *shim, const char *path,
			      const struct shim_interface **iface)
{
	*iface = NULL;
	if (strcmp(path, LOGIN1_PATH) == 0) {
		*iface = &manager_interface;
		return NODE_MANAGER;
	}
	if (alias_of(path, "session", shim->session_path)) {
		*iface = &session_interface;
		return NODE_SESSION;
	}
	if (alias_of(path, "seat", shim->seat_path)) {
		*iface = &seat_interface;
		return NODE_SEAT;
	}
	if (alias_of(path, "user", shim->user_path)) {
		*iface = &user_interface;
		return NODE_USER;
	}
	if (strcmp(path, LOGIN1_PATH "/session") == 0 || strcmp(path, LOGIN1_PATH "/seat") == 0 ||
	    strcmp(path, LOGIN1_PATH "/user") == 0)
		return NODE_DIR;
	return NODE_NONE;
}

static void xml_interface(FILE *f, const struct shim_interface *iface)
{
	fprintf(f, " <interface name=\"%s\">\n", iface->name);
	for (const struct shim_method *m = iface->methods; m && m->name; m++) {
		fprintf(f, "  <method name=\"%s\">\n", m->name);
		DBusSignatureIter si;
		for (int dir = 0; dir < 2; dir++) {
			const char *sig = dir ? m->out : m->in;
			if (!*sig)
				continue;
			dbus_signature_iter_init(&si, sig);
			do {
				char *t = dbus_signature_iter_get_signature(&si);
				fprintf(f, "   <arg type=\"%s\" direction=\"%s\"/>\n", t,
					dir ? "out" : "in");
				dbus_free(t);
			} while (dbus_signature_iter_next(&si));
		}
		fprintf(f, "  </method>\n");
	}
	for (const struct shim_signal *s = iface->signals; s && s->name; s++) {
		fprintf(f, "  <signal name=\"%s\">\n", s->name);
		DBusSignatureIter si;
		if (*s->args) {
			dbus_signature_iter_init(&si, s->args);
			do {
				char *t = dbus_signature_iter_get_signature(&si);
				fprintf(f, "   <arg type=\"%s\"/>\n", t);
				dbus_free(t);
			} while (dbus_signature_iter_next(&si));
		}
		fprintf(f, "  </signal>\n");
	}
	for (const struct shim_property *p = iface->props; p && p->name; p++)
		fprintf(f, "  <property name=\"%s\" type=\"%s\" access=\"read\"/>\n", p->name,
			p->type);
	fprintf(f, " </interface>\n");
}

static const char standard_xml[] =
	" <interface name=\"org.freedesktop.DBus.Peer\">\n"
	"  <method name=\"Ping\"/>\n"
	"  <method name=\"GetMachineId\"><arg type=\"s\" direction=\"out\"/></method>\n"
	" </interface>\n"
	" <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
	"  <method name=\"Introspect\"><arg type=\"s\" direction=\"out\"/></method>\n"
	" </interface>\n"
	" <interface name=\"org.freedesktop.DBus.Properties\">\n"
	"  <method name=\"Get\"><arg type=\"s\" direction=\"in\"/><arg type=\"s\" direction=\"in\"/>"
	"<arg type=\"v\" direction=\"out\"/></method>\n"
	"  <method name=\"GetAll\"><arg type=\"s\" direction=\"in\"/><arg type=\"a{sv}\" direction=\"out\"/></method>\n"
	"  <method name=\"Set\"><arg type=\"s\" direction=\"in\"/><arg type=\"s\" direction=\"in\"/>"
	"<arg type=\"v\" direction=\"in\"/></method>\n"
	"  <signal name=\"PropertiesChanged\"><arg type=\"s\"/><arg type=\"a{sv}\"/><arg type=\"as\"/></signal>\n"
	" </interface>\n";

static DBusMessage *introspect(struct shim *shim, DBusMessage *msg, enum node_kind kind,
			       const struct shim_interface *iface)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);
	if (!f)
		return NULL;
	const char *path = dbus_message_get_path(msg);
	fputs(DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE "<node>\n", f);
	if (iface) {
		fputs(standard_xml, f);
		xml_interface(f, iface);
	}
	if (kind == NODE_MANAGER) {
		fputs(" <node name=\"session\"/>\n <node name=\"seat\"/>\n <node name=\"user\"/>\n",
		      f);
	} else if (kind == NODE_DIR) {
		const char *real = strstr(path, "/session") ? shim->session_path
				   : strstr(path, "/seat")  ? shim->seat_path
							    : shim->user_path;
		fprintf(f, " <node name=\"%s\"/>\n <node name=\"self\"/>\n <node name=\"auto\"/>\n",
			strrchr(real, '/') + 1);
	}
	fputs("</node>\n", f);
	fclose(f);
	DBusMessage *reply = dbus_message_new_method_return(msg);
	const char *x = xml;
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &x, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	free(xml);
	return reply;
}

static DBusMessage *properties_call(struct shim *shim, DBusMessage *msg,
				    const struct shim_interface *iface)
{
	const char *member = dbus_message_get_member(msg);
	const char *ifname = NULL, *prop = NULL;
	if (strcmp(member, "Get") == 0) {
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &ifname, DBUS_TYPE_STRING,
					   &prop, DBUS_TYPE_INVALID))
			return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Get expects (ss)");
		if (strcmp(ifname, iface->name) != 0)
			return bus_error(msg, DBUS_ERROR_UNKNOWN_INTERFACE, "Unknown interface %s",
					 ifname);
		const struct shim_property *p = find_prop(iface, prop);
		if (!p)
			return bus_error(msg, DBUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s",
					 prop);
		DBusMessage *reply = dbus_message_new_method_return(msg);
		DBusMessageIter it, var;
		if (!reply)
			return NULL;
		dbus_message_iter_init_append(reply, &it);
		if (!dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, p->type, &var))
			goto oom;
		if (!p->get(shim, &var)) {
			dbus_message_iter_abandon_container(&it, &var);
			goto oom;
		}
		if (!dbus_message_iter_close_container(&it, &var))
			goto oom;
		return reply;
	oom:
		dbus_message_unref(reply);
		return NULL;
	}
	if (strcmp(member, "GetAll") == 0) {
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &ifname, DBUS_TYPE_INVALID))
			return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "GetAll expects (s)");
		/* "" means every interface; the standard ones have no properties. */
		bool ours = !*ifname || strcmp(ifname, iface->name) == 0;
		if (!ours && strcmp(ifname, DBUS_INTERFACE_PROPERTIES) != 0 &&
		    strcmp(ifname, DBUS_INTERFACE_INTROSPECTABLE) != 0 &&
		    strcmp(ifname, DBUS_INTERFACE_PEER) != 0)
			return bus_error(msg, DBUS_ERROR_UNKNOWN_INTERFACE, "Unknown interface %s",
					 ifname);
		DBusMessage *reply = dbus_message_new_method_return(msg);
		DBusMessageIter it, dict;
		if (!reply)
			return NULL;
		dbus_message_iter_init_append(reply, &it);
		bool ok = dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
		for (const struct shim_property *p = iface->props; ok && ours && p->name; p++)
			ok = append_prop_entry(shim, &dict, p);
		if (!ok || !dbus_message_iter_close_container(&it, &dict)) {
			dbus_message_unref(reply);
			return NULL;
		}
		return reply;
	}
	if (strcmp(member, "Set") == 0) {
		if (!dbus_message_has_signature(msg, "ssv"))
			return bus_error(msg, DBUS_ERROR_INVALID_ARGS, "Set expects (ssv)");
		return bus_error(msg, DBUS_ERROR_PROPERTY_READ_ONLY,
				 "Properties of %s are read-only", iface->name);
	}
	return bus_error(msg, DBUS_ERROR_UNKNOWN_METHOD, "Unknown method %s.%s",
			 DBUS_INTERFACE_PROPERTIES, member);
}

static DBusHandlerResult handle_message(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct shim *shim = data;
	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	const char *path = dbus_message_get_path(msg);
	const char *ifname = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	const struct shim_interface *iface;
	enum node_kind kind = resolve(shim, path, &iface);
	DBusMessage *reply = NULL;

	lc_debug("call %s %s.%s from %s", path, ifname ? ifname : "", member,
		 dbus_message_get_sender(msg));
	if (kind == NODE_NONE) {
		reply = bus_error(msg, DBUS_ERROR_UNKNOWN_OBJECT, "Unknown object %s", path);
	} else if ((!ifname || strcmp(ifname, DBUS_INTERFACE_INTROSPECTABLE) == 0) &&
		   strcmp(member, "Introspect") == 0) {
		reply = introspect(shim, msg, kind, iface);
	} else if (ifname && strcmp(ifname, DBUS_INTERFACE_PROPERTIES) == 0 && iface) {
		reply = properties_call(shim, msg, iface);
	} else if (iface && (!ifname || strcmp(ifname, iface->name) == 0)) {
		const struct shim_method *m = iface->methods;
		while (m->name && strcmp(m->name, member) != 0)
			m++;
		if (!m->name)
			reply = bus_error(msg, DBUS_ERROR_UNKNOWN_METHOD, "Unknown method %s.%s",
					  iface->name, member);
		else if (!dbus_message_has_signature(msg, m->in))
			reply = bus_error(msg, DBUS_ERROR_INVALID_ARGS, "%s expects (%s), got (%s)",
					  member, m->in, dbus_message_get_signature(msg));
		else
			reply = m->call(shim, msg);
	} else {
		reply = bus_error(msg,
				  iface ? DBUS_ERROR_UNKNOWN_INTERFACE : DBUS_ERROR_UNKNOWN_METHOD,
				  "Unknown interface %s on %s", ifname ? ifname : "(none)", path);
	}
	if (!reply)
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	if (dbus_message_get_no_reply(msg))
		dbus_message_unref(reply);
	else if (!bus_send(shim, reply))
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	return DBUS_HANDLER_RESULT_HANDLED;
}

/* Bus-wide signals: a controller leaving the bus, and the bus itself going. */
static DBusHandlerResult filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct shim *shim = data;
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_LOCAL, "Disconnected")) {
		lc_err("disconnected from the bus");
		shim_request_exit(shim, 1);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged") &&
	    dbus_message_has_sender(msg, DBUS_SERVICE_DBUS)) {
		const char *name, *old_owner, *new_owner;
		if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
					  &old_owner, DBUS_TYPE_STRING, &new_owner,
					  DBUS_TYPE_INVALID) &&
		    shim->controller && strcmp(name, shim->controller) == 0 && !*new_owner) {
			lc_info("controller %s left the bus: control and its devices released",
				name);
			shim_release_controller(shim);
		}
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

int bus_open(struct shim *shim)
{
	DBusError err;
	dbus_error_init(&err);
	const char *addr = shim->opt.bus_address;
	if (addr) {
		shim->conn = dbus_connection_open_private(addr, &err);
		if (shim->conn && !dbus_bus_register(shim->conn, &err)) {
			dbus_connection_close(shim->conn);
			dbus_connection_unref(shim->conn);
			shim->conn = NULL;
		}
	} else {
		shim->conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &err);
	}
	if (!shim->conn) {
		lc_err("cannot connect to %s: %s", addr ? addr : "the system bus", err.message);
		dbus_error_free(&err);
		return -ECONNREFUSED;
	}
	dbus_connection_set_exit_on_disconnect(shim->conn, FALSE);
	if (!dbus_connection_can_send_type(shim->conn, DBUS_TYPE_UNIX_FD)) {
		lc_err("the bus connection cannot pass file descriptors");
		return -EPROTONOSUPPORT;
	}

	static const DBusObjectPathVTable vtable = {.message_function = handle_message};
	dbus_bus_add_match(shim->conn,
			   "type='signal',sender='" DBUS_SERVICE_DBUS
			   "',interface='" DBUS_INTERFACE_DBUS "',member='NameOwnerChanged'",
			   &err);
	if (dbus_error_is_set(&err)) {
		lc_err("cannot watch NameOwnerChanged: %s", err.message);
		dbus_error_free(&err);
		return -EIO;
	}
	if (!dbus_connection_add_filter(shim->conn, filter, shim, NULL) ||
	    !dbus_connection_register_fallback(shim->conn, LOGIN1_PATH, &vtable, shim))
		return -ENOMEM;
	if (loop_attach_dbus(shim->loop, shim->conn) < 0)
		return -ENOMEM;

	/* Objects are ready before the name is: a client that sees the name
	 * owned can call at once. */
	int r = dbus_bus_request_name(shim->conn, LOGIN1_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		if (dbus_error_is_set(&err))
			lc_err("cannot own %s: %s", LOGIN1_NAME, err.message);
		else
			lc_err("cannot own %s: it is already owned (a real logind, or another shim)",
			       LOGIN1_NAME);
		dbus_error_free(&err);
		return -EEXIST;
	}
	lc_info("owning %s as %s", LOGIN1_NAME, dbus_bus_get_unique_name(shim->conn));
	return 0;
}

void bus_close(struct shim *shim)
{
	if (!shim->conn)
		return;
	loop_detach_dbus(shim->loop);
	dbus_connection_remove_filter(shim->conn, filter, shim);
	dbus_connection_unregister_object_path(shim->conn, LOGIN1_PATH);
	dbus_connection_flush(shim->conn);
	dbus_connection_close(shim->conn);
	dbus_connection_unref(shim->conn);
	shim->conn = NULL;
}

bool bus_prop_idle_hint(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_bool(it, shim->idle_hint);
}

bool bus_prop_idle_since(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_u64(it, shim->idle_since_rt_us);
}

bool bus_prop_idle_since_mono(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_u64(it, shim->idle_since_mono_us);
}

bool bus_prop_empty_str(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_str(it, "");
}

bool bus_prop_user_name(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_str(it, shim->user_name);
}

bool bus_prop_created(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_u64(it, shim->created_rt_us);
}

bool bus_prop_created_mono(struct shim *shim, DBusMessageIter *it)
{
	return bus_append_u64(it, shim->created_mono_us);
}
