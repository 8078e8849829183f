/* sd-bus helpers for the shim tests: libseat's own bus library, so the
 * checks see the shim as libseat's logind backend does. */
#ifndef SHIM_TEST_CLIENT_H
#define SHIM_TEST_CLIENT_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

#define L1 "org.freedesktop.login1"
#define L1_PATH "/org/freedesktop/login1"
#define SESSION_PATH L1_PATH "/session/c1"
#define SEAT_PATH L1_PATH "/seat/seat0"
#define USER_PATH L1_PATH "/user/_65534"
#define MANAGER_IF L1 ".Manager"
#define SESSION_IF L1 ".Session"
#define SEAT_IF L1 ".Seat"
#define USER_IF L1 ".User"

/* Provided by the test program: records one check (check.h). */
void test_record(int ok, const char *file, int line, const char *what);

sd_bus *client_connect(const char *address);

/* Calls member and checks the outcome: expect_error NULL means success.
 * Returns the reply (caller unrefs) on success, NULL otherwise. */
sd_bus_message *client_call(const char *file, int line, sd_bus *bus, const char *expect_error,
			    const char *path, const char *iface, const char *member,
			    const char *sig, ...);
#define CALL_REPLY(bus, path, iface, member, ...) \
	client_call(__FILE__, __LINE__, bus, NULL, path, iface, member, __VA_ARGS__)
#define CALL_OK(bus, path, iface, member, ...) \
	sd_bus_message_unref(                  \
		client_call(__FILE__, __LINE__, bus, NULL, path, iface, member, __VA_ARGS__))
#define CALL_ERR(bus, err, path, iface, member, ...) \
	(void)client_call(__FILE__, __LINE__, bus, err, path, iface, member, __VA_ARGS__)

struct prop_type {
	const char *name, *type;
};

/* GetAll: every expected property present with exactly its type, and no
 * others; the collected list is also returned for introspection checks. */
void client_check_types(const char *file, int line, sd_bus *bus, const char *path,
			const char *iface, const struct prop_type *expect);
#define CHECK_TYPES(bus, path, iface, expect) \
	client_check_types(__FILE__, __LINE__, bus, path, iface, expect)

/* Introspect path with expat; checks that the XML parses, declares iface
 * with every property of `expect` at its type, and lists `child` (or NULL). */
void client_check_introspection(const char *file, int line, sd_bus *bus, const char *path,
				const char *iface, const struct prop_type *expect,
				const char *child);
#define CHECK_INTROSPECTION(bus, path, iface, expect, child) \
	client_check_introspection(__FILE__, __LINE__, bus, path, iface, expect, child)

/* Signals received by a connection, kept for later inspection. */
#define CLIENT_MAX_SIGNALS 32
struct signal_log {
	sd_bus_message *msg[CLIENT_MAX_SIGNALS];
	int n;
};
int client_watch(sd_bus *bus, struct signal_log *log, const char *match);
/* Processes bus until pred(log) or timeout_ms; returns pred's result. */
bool client_wait(sd_bus *bus, struct signal_log *log, bool (*pred)(struct signal_log *),
		 int timeout_ms);
void signal_log_clear(struct signal_log *log);

#endif
