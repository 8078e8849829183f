#include "clock.h"
#include "client.h"

#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

sd_bus *client_connect(const char *address)
{
	sd_bus *bus = NULL;
	if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
	    sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_negotiate_fds(bus, 1) < 0 ||
	    sd_bus_start(bus) < 0) {
		fprintf(stderr, "cannot connect to %s\n", address);
		sd_bus_unref(bus);
		return NULL;
	}
	return bus;
}

sd_bus_message *client_call(const char *file, int line, sd_bus *bus, const char *expect_error,
			    const char *path, const char *iface, const char *member,
			    const char *sig, ...)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = sd_bus_message_new_method_call(bus, &m, L1, path, iface, member);
	if (r >= 0 && sig && *sig) {
		va_list ap;
		va_start(ap, sig);
		r = sd_bus_message_appendv(m, sig, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(bus, m, 10 * 1000000, &err, &reply);
	sd_bus_message_unref(m);
	char what[256];
	if (!expect_error) {
		snprintf(what, sizeof(what), "%s.%s on %s succeeds (got %s: %s)", iface, member,
			 path, err.name ? err.name : "-", err.message ? err.message : strerror(-r));
		test_record(r >= 0, file, line, what);
	} else {
		snprintf(what, sizeof(what), "%s.%s on %s fails with %s (got %s)", iface, member,
			 path, expect_error,
			 r >= 0     ? "success"
			 : err.name ? err.name
				    : strerror(-r));
		test_record(r < 0 && err.name && strcmp(err.name, expect_error) == 0, file, line,
			    what);
		sd_bus_message_unref(reply);
		reply = NULL;
	}
	sd_bus_error_free(&err);
	if (r < 0) {
		sd_bus_message_unref(reply);
		return NULL;
	}
	return reply;
}

void client_check_types(const char *file, int line, sd_bus *bus, const char *path,
			const char *iface, const struct prop_type *expect)
{
	sd_bus_message *reply = client_call(file, line, bus, NULL, path,
					    "org.freedesktop.DBus.Properties", "GetAll", "s",
					    iface);
	if (!reply)
		return;
	int n_expect = 0, n_got = 0;
	while (expect[n_expect].name)
		n_expect++;
	bool seen[64] = {0};
	char what[256];
	if (sd_bus_message_enter_container(reply, 'a', "{sv}") < 0) {
		test_record(0, file, line, "GetAll returns a{sv}");
		goto out;
	}
	while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
		const char *name, *contents;
		char type;
		sd_bus_message_read(reply, "s", &name);
		sd_bus_message_peek_type(reply, &type, &contents);
		n_got++;
		int i;
		for (i = 0; i < n_expect && strcmp(expect[i].name, name) != 0; i++)
			;
		snprintf(what, sizeof(what), "%s.%s is of type %s (got %s)", iface, name,
			 i < n_expect ? expect[i].type : "(unexpected property)", contents);
		test_record(i < n_expect && type == 'v' && strcmp(contents, expect[i].type) == 0,
			    file, line, what);
		if (i < n_expect)
			seen[i] = true;
		sd_bus_message_skip(reply, "v");
		sd_bus_message_exit_container(reply);
	}
	for (int i = 0; i < n_expect; i++) {
		snprintf(what, sizeof(what), "%s.%s is served", iface, expect[i].name);
		test_record(seen[i], file, line, what);
	}
	snprintf(what, sizeof(what), "%s serves %d properties (got %d)", iface, n_expect, n_got);
	test_record(n_got == n_expect, file, line, what);
out:
	sd_bus_message_unref(reply);
}

struct xml_state {
	const char *iface;
	bool in_iface, iface_found;
	int depth;
	char props[64][2][64];
	int n_props;
	char children[16][64];
	int n_children;
};

static void xml_start(void *data, const XML_Char *el, const XML_Char **attr)
{
	struct xml_state *s = data;
	const char *name = NULL, *type = NULL;
	for (int i = 0; attr[i]; i += 2) {
		if (strcmp(attr[i], "name") == 0)
			name = attr[i + 1];
		else if (strcmp(attr[i], "type") == 0)
			type = attr[i + 1];
	}
	s->depth++;
	if (strcmp(el, "interface") == 0 && name && strcmp(name, s->iface) == 0) {
		s->in_iface = s->iface_found = true;
	} else if (strcmp(el, "property") == 0 && s->in_iface && name && type && s->n_props < 64) {
		snprintf(s->props[s->n_props][0], 64, "%s", name);
		snprintf(s->props[s->n_props][1], 64, "%s", type);
		s->n_props++;
	} else if (strcmp(el, "node") == 0 && s->depth == 2 && name && s->n_children < 16) {
		snprintf(s->children[s->n_children++], 64, "%s", name);
	}
}

static void xml_end(void *data, const XML_Char *el)
{
	struct xml_state *s = data;
	s->depth--;
	if (strcmp(el, "interface") == 0)
		s->in_iface = false;
}

void client_check_introspection(const char *file, int line, sd_bus *bus, const char *path,
				const char *iface, const struct prop_type *expect,
				const char *child)
{
	sd_bus_message *reply = client_call(file, line, bus, NULL, path,
					    "org.freedesktop.DBus.Introspectable", "Introspect",
					    "");
	const char *xml;
	if (!reply || sd_bus_message_read(reply, "s", &xml) < 0) {
		test_record(0, file, line, "Introspect returns a string");
		sd_bus_message_unref(reply);
		return;
	}
	struct xml_state st = {.iface = iface};
	XML_Parser p = XML_ParserCreate(NULL);
	XML_SetUserData(p, &st);
	XML_SetElementHandler(p, xml_start, xml_end);
	char what[256];
	snprintf(what, sizeof(what), "introspection XML of %s parses", path);
	test_record(XML_Parse(p, xml, (int)strlen(xml), 1) == XML_STATUS_OK, file, line, what);
	XML_ParserFree(p);
	if (iface) {
		snprintf(what, sizeof(what), "introspection of %s declares %s", path, iface);
		test_record(st.iface_found, file, line, what);
	}
	int n_expect = 0;
	for (; expect && expect[n_expect].name; n_expect++) {
		int i;
		for (i = 0; i < st.n_props && strcmp(st.props[i][0], expect[n_expect].name) != 0;
		     i++)
			;
		snprintf(what, sizeof(what), "introspection declares %s %s", expect[n_expect].name,
			 expect[n_expect].type);
		test_record(i < st.n_props && strcmp(st.props[i][1], expect[n_expect].type) == 0,
			    file, line, what);
	}
	if (expect) {
		snprintf(what, sizeof(what), "introspection of %s declares %d properties (got %d)",
			 path, n_expect, st.n_props);
		test_record(st.n_props == n_expect, file, line, what);
	}
	if (child) {
		bool found = false;
		for (int i = 0; i < st.n_children; i++)
			found |= strcmp(st.children[i], child) == 0;
		snprintf(what, sizeof(what), "introspection of %s lists child node %s", path,
			 child);
		test_record(found, file, line, what);
	}
	sd_bus_message_unref(reply);
}

static int on_signal(sd_bus_message *m, void *data, sd_bus_error *err)
{
	struct signal_log *log = data;
	if (log->n < CLIENT_MAX_SIGNALS)
		log->msg[log->n++] = sd_bus_message_ref(m);
	return 0;
}

int client_watch(sd_bus *bus, struct signal_log *log, const char *match)
{
	return sd_bus_add_match(bus, NULL, match, on_signal, log);
}

bool client_wait(sd_bus *bus, struct signal_log *log, bool (*pred)(struct signal_log *),
		 int timeout_ms)
{
	long long end = lc_now_ms() + timeout_ms;
	while (!pred(log)) {
		long long left = end - lc_now_ms();
		if (left <= 0)
			return false;
		int r = sd_bus_process(bus, NULL);
		if (r < 0)
			return false;
		if (r == 0)
			sd_bus_wait(bus, (uint64_t)left * 1000);
	}
	return true;
}

void signal_log_clear(struct signal_log *log)
{
	for (int i = 0; i < log->n; i++)
		sd_bus_message_unref(log->msg[i]);
	log->n = 0;
}
