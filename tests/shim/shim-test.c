/* Tests of leasecast-logind-shim against a real dbus-daemon, from libseat's
 * bus library (sd-bus): every method, property type and error name of
 * doc/leasecast-logind-shim.8, the files it writes, and the revoke path.
 * Usage: shim-test CASE (LC_SHIM points at the shim). */
#define _GNU_SOURCE /* setresuid */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <systemd/sd-login.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buslabel.h"
#include "check.h"
#include "client.h"
#include "harness.h"

void test_record(int ok, const char *file, int line, const char *what)
{
	check_record(ok, file, line, what);
}

#define PROPS "org.freedesktop.DBus.Properties"
#define SKIP 77

static const struct prop_type session_props[] = {
	{"Id", "s"},
	{"User", "(uo)"},
	{"Name", "s"},
	{"Timestamp", "t"},
	{"TimestampMonotonic", "t"},
	{"VTNr", "u"},
	{"Seat", "(so)"},
	{"TTY", "s"},
	{"Display", "s"},
	{"Remote", "b"},
	{"RemoteHost", "s"},
	{"RemoteUser", "s"},
	{"Service", "s"},
	{"Desktop", "s"},
	{"Scope", "s"},
	{"Leader", "u"},
	{"Audit", "u"},
	{"Type", "s"},
	{"Class", "s"},
	{"Active", "b"},
	{"State", "s"},
	{"IdleHint", "b"},
	{"IdleSinceHint", "t"},
	{"IdleSinceHintMonotonic", "t"},
	{"LockedHint", "b"},
	{0},
};

static const struct prop_type seat_props[] = {
	{"Id", "s"},
	{"ActiveSession", "(so)"},
	{"CanTTY", "b"},
	{"CanGraphical", "b"},
	{"Sessions", "a(so)"},
	{"IdleHint", "b"},
	{"IdleSinceHint", "t"},
	{"IdleSinceHintMonotonic", "t"},
	{0},
};

static const struct prop_type user_props[] = {
	{"UID", "u"},
	{"GID", "u"},
	{"Name", "s"},
	{"Timestamp", "t"},
	{"TimestampMonotonic", "t"},
	{"RuntimePath", "s"},
	{"Service", "s"},
	{"Slice", "s"},
	{"Display", "(so)"},
	{"State", "s"},
	{"Sessions", "a(so)"},
	{"IdleHint", "b"},
	{"IdleSinceHint", "t"},
	{"IdleSinceHintMonotonic", "t"},
	{"Linger", "b"},
	{0},
};

static bool get_bool(sd_bus *bus, const char *path, const char *iface, const char *name)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int v = -1;
	int r = sd_bus_get_property_trivial(bus, L1, path, iface, name, &err, 'b', &v);
	sd_bus_error_free(&err);
	CHECK(r >= 0);
	return v == 1;
}

static char *get_string(sd_bus *bus, const char *path, const char *iface, const char *name)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char *s = NULL;
	int r = sd_bus_get_property_string(bus, L1, path, iface, name, &err, &s);
	sd_bus_error_free(&err);
	CHECK(r >= 0);
	return s ? s : strdup("");
}

static void check_path_reply(sd_bus_message *reply, const char *want)
{
	const char *p = NULL;
	CHECK(reply && sd_bus_message_read(reply, "o", &p) > 0);
	CHECK(p && strcmp(p, want) == 0);
	sd_bus_message_unref(reply);
}

/* TakeDevice(226,0): an fd to the same open file as the lease, inactive=false. */
static int take_card(struct harness *h, sd_bus *bus)
{
	sd_bus_message *reply = CALL_REPLY(bus, SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226,
					   0);
	int fd = -1, inactive = -1;
	if (!reply)
		return -1;
	CHECK(sd_bus_message_read(reply, "hb", &fd, &inactive) > 0);
	CHECK_EQ(inactive, 0);
	int mine = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
	sd_bus_message_unref(reply);
	CHECK(mine >= 0);
	if (mine < 0)
		return -1;
	struct stat a, b;
	CHECK(fstat(mine, &a) == 0 && fstat(h->lease_fd, &b) == 0 && a.st_ino == b.st_ino &&
	      a.st_dev == b.st_dev);
	/* Same open file description, not merely the same inode: the file
	 * offset is shared with the harness' copy of the lease fd. */
	static off_t offset = 1000;
	offset += 7;
	CHECK_EQ(lseek(mine, offset, SEEK_SET), offset);
	CHECK_EQ(lseek(h->lease_fd, 0, SEEK_CUR), offset);
	return mine;
}

static void case_manager(struct harness *h, sd_bus *a)
{
	check_path_reply(CALL_REPLY(a, L1_PATH, MANAGER_IF, "GetSession", "s", "c1"), SESSION_PATH);
	CALL_ERR(a, L1 ".NoSuchSession", L1_PATH, MANAGER_IF, "GetSession", "s", "c2");
	check_path_reply(CALL_REPLY(a, L1_PATH, MANAGER_IF, "GetSeat", "s", "seat0"), SEAT_PATH);
	CALL_ERR(a, L1 ".NoSuchSeat", L1_PATH, MANAGER_IF, "GetSeat", "s", "seat9");
	/* The harness runs as root, not as the session's uid 65534. */
	CALL_ERR(a, L1 ".NoSessionForPID", L1_PATH, MANAGER_IF, "GetSessionByPID", "u",
		 (uint32_t)getpid());
	CALL_ERR(a, L1 ".NoSessionForPID", L1_PATH, MANAGER_IF, "GetSessionByPID", "u", 0u);
	CALL_ERR(a, L1 ".NoSessionForPID", L1_PATH, MANAGER_IF, "GetSessionByPID", "u",
		 0x7ffffff0u);
	check_path_reply(CALL_REPLY(a, L1_PATH, MANAGER_IF, "GetUser", "u", 65534u), USER_PATH);
	CALL_ERR(a, L1 ".NoSuchUser", L1_PATH, MANAGER_IF, "GetUser", "u", 4321u);

	sd_bus_message *r = CALL_REPLY(a, L1_PATH, MANAGER_IF, "ListSessions", "");
	const char *id, *user, *seat, *path;
	uint32_t uid;
	CHECK(r && strcmp(sd_bus_message_get_signature(r, 1), "a(susso)") == 0);
	CHECK(r && sd_bus_message_read(r, "a(susso)", 1, &id, &uid, &user, &seat, &path) > 0 &&
	      strcmp(id, "c1") == 0 && uid == 65534 && strcmp(seat, "seat0") == 0 &&
	      strcmp(path, SESSION_PATH) == 0);
	sd_bus_message_unref(r);
	r = CALL_REPLY(a, L1_PATH, MANAGER_IF, "ListSeats", "");
	CHECK(r && sd_bus_message_read(r, "a(so)", 1, &seat, &path) > 0 &&
	      strcmp(path, SEAT_PATH) == 0);
	sd_bus_message_unref(r);
	r = CALL_REPLY(a, L1_PATH, MANAGER_IF, "Inhibit", "ssss", "sleep", "test", "testing",
		       "delay");
	int fd = -1;
	CHECK(r && sd_bus_message_read(r, "h", &fd) > 0 && fd >= 0);
	sd_bus_message_unref(r);
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", L1_PATH, MANAGER_IF, "Inhibit",
		 "ssss", "sleep", "t", "t", "sometimes");
	r = CALL_REPLY(a, L1_PATH, MANAGER_IF, "CanSuspend", "");
	CHECK(r && sd_bus_message_read(r, "s", &id) > 0 && strcmp(id, "na") == 0);
	sd_bus_message_unref(r);
	CALL_OK(a, L1_PATH, "org.freedesktop.DBus.Peer", "Ping", "");
}

static void case_properties(struct harness *h, sd_bus *a)
{
	CHECK_TYPES(a, SESSION_PATH, SESSION_IF, session_props);
	CHECK_TYPES(a, SEAT_PATH, SEAT_IF, seat_props);
	CHECK_TYPES(a, USER_PATH, USER_IF, user_props);
	CHECK_INTROSPECTION(a, SESSION_PATH, SESSION_IF, session_props, NULL);
	CHECK_INTROSPECTION(a, SEAT_PATH, SEAT_IF, seat_props, NULL);
	CHECK_INTROSPECTION(a, USER_PATH, USER_IF, user_props, NULL);
	CHECK_INTROSPECTION(a, L1_PATH, MANAGER_IF, NULL, "session");
	CHECK_INTROSPECTION(a, L1_PATH "/session", NULL, NULL, "c1");
	CHECK_INTROSPECTION(a, L1_PATH "/seat", NULL, NULL, "seat0");

	/* Values libseat and Mutter act on. */
	CHECK(get_bool(a, SESSION_PATH, SESSION_IF, "Active"));
	char *s = get_string(a, SESSION_PATH, SESSION_IF, "Id");
	CHECK_STR(s, "c1");
	free(s);
	s = get_string(a, SESSION_PATH, SESSION_IF, "State");
	CHECK_STR(s, "active");
	free(s);
	s = get_string(a, SEAT_PATH, SEAT_IF, "Id");
	CHECK_STR(s, "seat0");
	free(s);
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *r = NULL;
	const char *sid = NULL, *o = NULL;
	uint32_t uid = 0;
	CHECK(sd_bus_get_property(a, L1, SESSION_PATH, SESSION_IF, "Seat", &err, &r, "(so)") >= 0 &&
	      sd_bus_message_read(r, "(so)", &sid, &o) > 0 && strcmp(sid, "seat0") == 0 &&
	      strcmp(o, SEAT_PATH) == 0);
	r = sd_bus_message_unref(r);
	CHECK(sd_bus_get_property(a, L1, SESSION_PATH, SESSION_IF, "User", &err, &r, "(uo)") >= 0 &&
	      sd_bus_message_read(r, "(uo)", &uid, &o) > 0 && uid == 65534 &&
	      strcmp(o, USER_PATH) == 0);
	r = sd_bus_message_unref(r);
	CHECK(sd_bus_get_property(a, L1, SEAT_PATH, SEAT_IF, "ActiveSession", &err, &r, "(so)") >=
		      0 &&
	      sd_bus_message_read(r, "(so)", &sid, &o) > 0 && strcmp(sid, "c1") == 0 &&
	      strcmp(o, SESSION_PATH) == 0);
	r = sd_bus_message_unref(r);
	CHECK(sd_bus_get_property(a, L1, USER_PATH, USER_IF, "Display", &err, &r, "(so)") >= 0 &&
	      sd_bus_message_read(r, "(so)", &sid, &o) > 0 && strcmp(sid, "c1") == 0);
	r = sd_bus_message_unref(r);
	sd_bus_error_free(&err);

	/* self/auto aliases of systemd. */
	s = get_string(a, L1_PATH "/session/self", SESSION_IF, "Id");
	CHECK_STR(s, "c1");
	free(s);
	s = get_string(a, L1_PATH "/session/auto", SESSION_IF, "Id");
	CHECK_STR(s, "c1");
	free(s);
	s = get_string(a, L1_PATH "/seat/self", SEAT_IF, "Id");
	CHECK_STR(s, "seat0");
	free(s);

	CALL_ERR(a, "org.freedesktop.DBus.Error.UnknownProperty", SESSION_PATH, PROPS, "Get", "ss",
		 SESSION_IF, "Nope");
	CALL_ERR(a, "org.freedesktop.DBus.Error.UnknownInterface", SESSION_PATH, PROPS, "Get", "ss",
		 SEAT_IF, "Id");
	CALL_ERR(a, "org.freedesktop.DBus.Error.PropertyReadOnly", SESSION_PATH, PROPS, "Set",
		 "ssv", SESSION_IF, "Active", "b", 0);
	CALL_ERR(a, "org.freedesktop.DBus.Error.UnknownObject", L1_PATH "/session/c7", PROPS,
		 "GetAll", "s", SESSION_IF);
	CALL_ERR(a, "org.freedesktop.DBus.Error.UnknownMethod", SESSION_PATH, SESSION_IF, "Explode",
		 "");
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "ss", "2", "0");
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", L1_PATH, MANAGER_IF,
		 "GetSessionByPID", "s", "0");
}

static void case_control(struct harness *h, sd_bus *a, sd_bus *b)
{
	CALL_ERR(a, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226, 0);
	CALL_ERR(a, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	CALL_OK(a, SESSION_PATH, SESSION_IF, "Activate", "");
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0); /* same sender: fine */
	CALL_ERR(b, "System.Error.EBUSY", SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	CALL_ERR(b, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	CALL_ERR(b, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226, 0);
	CHECK(harness_file_contains(h->run, "") || true);

	int fd = take_card(h, a);
	CALL_ERR(a, L1 ".DeviceIsTaken", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226, 0);
	CALL_ERR(b, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu", 226, 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "PauseDeviceComplete", "uu", 226, 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu", 226, 0);
	CALL_ERR(a, L1 ".DeviceNotTaken", SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu", 226, 0);
	CALL_ERR(a, L1 ".DeviceNotTaken", SESSION_PATH, SESSION_IF, "PauseDeviceComplete", "uu",
		 226, 0);
	/* Compositors close and re-take. */
	if (fd >= 0)
		close(fd);
	fd = take_card(h, a);
	if (fd >= 0)
		close(fd);

	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", 226, 128);
	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", 13, 100);
	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", 1, 3);
	/* Allowed, but there is no such evdev node on the host. */
	CALL_ERR(a, "System.Error.ENODEV", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 13, 99);
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", 0, 0);
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SESSION_PATH, SESSION_IF,
		 "TakeDevice", "uu", 5000, 0);
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SESSION_PATH, SESSION_IF,
		 "ReleaseDevice", "uu", 0, 1u << 21);

	/* SetType: controller only, validated, reverted on ReleaseControl. */
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SESSION_PATH, SESSION_IF, "SetType",
		 "s", "bogus");
	CALL_ERR(b, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "SetType", "s", "x11");
	CALL_OK(a, SESSION_PATH, SESSION_IF, "SetType", "s", "x11");
	char *t = get_string(b, SESSION_PATH, SESSION_IF, "Type");
	CHECK_STR(t, "x11");
	free(t);
	char path[256];
	snprintf(path, sizeof(path), "%s/systemd/sessions/c1", h->run);
	CHECK(harness_file_contains(path, "\nTYPE=x11\n"));

	CALL_OK(a, SESSION_PATH, SESSION_IF, "SetIdleHint", "b", 1);
	CHECK(get_bool(b, SESSION_PATH, SESSION_IF, "IdleHint"));
	CALL_OK(a, SESSION_PATH, SESSION_IF, "SetLockedHint", "b", 1);
	CHECK(get_bool(b, SESSION_PATH, SESSION_IF, "LockedHint"));
	CALL_OK(a, SESSION_PATH, SESSION_IF, "Lock", "");
	CALL_OK(a, SESSION_PATH, SESSION_IF, "Unlock", "");
	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF, "Kill",
		 "si", "all", 9);
	CALL_ERR(a, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "Terminate", "");
	CALL_ERR(a, "org.freedesktop.DBus.Error.InvalidArgs", SEAT_PATH, SEAT_IF, "SwitchTo", "u",
		 0);
	CALL_ERR(a, "org.freedesktop.DBus.Error.NotSupported", SEAT_PATH, SEAT_IF, "SwitchTo", "u",
		 2);
	CALL_OK(a, SEAT_PATH, SEAT_IF, "ActivateSession", "s", "c1");
	CALL_ERR(a, L1 ".NoSuchSession", SEAT_PATH, SEAT_IF, "ActivateSession", "s", "c9");

	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	t = get_string(b, SESSION_PATH, SESSION_IF, "Type");
	CHECK_STR(t, "wayland");
	free(t);
	CALL_ERR(a, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "ReleaseDevice", "uu", 226, 0);

	/* Now b may take control; a forcing it back (root may force). */
	CALL_OK(b, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 1);
	CALL_ERR(b, L1 ".NotInControl", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226, 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
}

/* A controller that disconnects loses control and its devices. */
static void case_disconnect(struct harness *h)
{
	sd_bus *a = client_connect(h->address), *b = client_connect(h->address);
	CHECK(a && b);
	if (!a || !b)
		return;
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	int fd = take_card(h, a);
	if (fd >= 0)
		close(fd);
	sd_bus_flush_close_unref(a);
	/* The shim learns of it through NameOwnerChanged, which may trail b's
	 * call by a moment. */
	bool ok = false;
	for (int i = 0; i < 200 && !ok; i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		ok = sd_bus_call_method(b, L1, SESSION_PATH, SESSION_IF, "TakeControl", &err, NULL,
					"b", 0) >= 0;
		CHECK(ok || sd_bus_error_has_name(&err, "System.Error.EBUSY"));
		sd_bus_error_free(&err);
		if (!ok)
			usleep(10000);
	}
	CHECK(ok);
	fd = take_card(h, b); /* freed with a's control */
	if (fd >= 0)
		close(fd);
	sd_bus_flush_close_unref(b);
}

static int run_as(uid_t uid, void (*fn)(struct harness *h), struct harness *h)
{
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			perror("setresuid");
			_exit(3);
		}
		fn(h);
		_exit(check_failed_count ? 1 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void as_stranger(struct harness *h)
{
	sd_bus *bus = client_connect(h->address);
	CHECK(bus);
	if (!bus)
		return;
	CALL_ERR(bus, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeControl", "b", 0);
	CALL_ERR(bus, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeControl", "b", 1);
	CALL_ERR(bus, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "SetIdleHint", "b", 1);
	CALL_ERR(bus, L1 ".NoSessionForPID", L1_PATH, MANAGER_IF, "GetSessionByPID", "u", 0u);
	sd_bus_unref(bus);
}

static void as_owner(struct harness *h)
{
	sd_bus *bus = client_connect(h->address);
	CHECK(bus);
	if (!bus)
		return;
	/* Mutter 48's fallback: the caller's own session. */
	check_path_reply(CALL_REPLY(bus, L1_PATH, MANAGER_IF, "GetSessionByPID", "u", 0u),
			 SESSION_PATH);
	check_path_reply(
		CALL_REPLY(bus, L1_PATH, MANAGER_IF, "GetSessionByPID", "u", (uint32_t)getpid()),
		SESSION_PATH);
	check_path_reply(CALL_REPLY(bus, L1_PATH, MANAGER_IF, "GetSession", "s", "auto"),
			 SESSION_PATH);
	check_path_reply(CALL_REPLY(bus, L1_PATH, MANAGER_IF, "GetUserByPID", "u", 0u), USER_PATH);
	/* systemd: the owner may take control, but only root may force. */
	CALL_ERR(bus, "org.freedesktop.DBus.Error.AccessDenied", SESSION_PATH, SESSION_IF,
		 "TakeControl", "b", 1);
	CALL_OK(bus, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	struct harness copy = *h;
	int fd = take_card(&copy, bus);
	if (fd >= 0)
		close(fd);
	CALL_OK(bus, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	sd_bus_unref(bus);
}

/* Under system.conf's default policy plus contrib/dbus's file. */
static void as_owner_under_policy(struct harness *h)
{
	sd_bus *bus = client_connect(h->address);
	CHECK(bus);
	if (!bus)
		return;
	check_path_reply(CALL_REPLY(bus, L1_PATH, MANAGER_IF, "GetSession", "s", "c1"),
			 SESSION_PATH);
	CHECK(get_bool(bus, SESSION_PATH, SESSION_IF, "Active"));
	CHECK_TYPES(bus, SESSION_PATH, SESSION_IF, session_props);
	CALL_OK(bus, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	struct harness copy = *h;
	int fd = take_card(&copy, bus);
	if (fd >= 0)
		close(fd);
	CALL_OK(bus, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
	CHECK(r < 0);
	r = sd_bus_request_name(bus, "org.example.Other", 0);
	CHECK(r < 0);
	sd_bus_error_free(&err);
	sd_bus_unref(bus);
}

static bool got_pause_and_inactive(struct signal_log *log)
{
	bool pause = false, inactive = false;
	for (int i = 0; i < log->n; i++) {
		sd_bus_message *m = log->msg[i];
		if (sd_bus_message_is_signal(m, SESSION_IF, "PauseDevice"))
			pause = true;
		if (sd_bus_message_is_signal(m, PROPS, "PropertiesChanged") &&
		    strcmp(sd_bus_message_get_path(m), SESSION_PATH) == 0)
			inactive = true;
	}
	return pause && inactive;
}

static bool got_properties_changed(struct signal_log *log)
{
	for (int i = 0; i < log->n; i++)
		if (sd_bus_message_is_signal(log->msg[i], PROPS, "PropertiesChanged"))
			return true;
	return false;
}

/* The Active value a session PropertiesChanged carries in its changed
 * dict: 0 or 1, or -1 when it carries none. */
static int active_in_changed(sd_bus_message *m)
{
	const char *iface;
	int found = -1;
	sd_bus_message_rewind(m, 1);
	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, SESSION_IF) != 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return -1;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		const char *name;
		sd_bus_message_read(m, "s", &name);
		if (strcmp(name, "Active") == 0) {
			int v = -1;
			if (sd_bus_message_read(m, "v", "b", &v) > 0)
				found = v != 0;
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	return found;
}

static bool active_false_in_changed(sd_bus_message *m)
{
	return active_in_changed(m) == 0;
}

/* The Active values of the session's PropertiesChanged in log, in order,
 * as a string of '0' and '1'. */
static void active_history(struct signal_log *log, char *out, size_t size)
{
	size_t n = 0;
	for (int i = 0; i < log->n && n + 1 < size; i++) {
		sd_bus_message *m = log->msg[i];
		if (!sd_bus_message_is_signal(m, PROPS, "PropertiesChanged") ||
		    strcmp(sd_bus_message_get_path(m), SESSION_PATH) != 0)
			continue;
		int v = active_in_changed(m);
		if (v >= 0)
			out[n++] = (char)('0' + v);
	}
	out[n] = '\0';
}

static bool got_inactive_then_active(struct signal_log *log)
{
	char h[CLIENT_MAX_SIGNALS + 1];
	active_history(log, h, sizeof(h));
	return strlen(h) >= 2;
}

static bool login1_gone(struct signal_log *log)
{
	for (int i = 0; i < log->n; i++)
		if (sd_bus_message_is_signal(log->msg[i], "org.freedesktop.DBus",
					     "NameOwnerChanged"))
			return true;
	return false;
}

/* "resume" on the control fd (lease-launch --resume-on-preferred-mode):
 * the session goes inactive and active again, as after a VT switch away
 * and back, with no PauseDevice (the card and the input devices stay the
 * compositor's); ignored once the lease has ended. */
static void test_resume(struct harness *h)
{
	sd_bus *a = client_connect(h->address);
	CHECK(a);
	if (!a)
		return;
	struct signal_log log = {0};
	CHECK(client_watch(a, &log,
			   "type='signal',sender='" L1 "',interface='" SESSION_IF
			   "',member='PauseDevice'") >= 0);
	CHECK(client_watch(a, &log,
			   "type='signal',sender='" L1 "',interface='" PROPS
			   "',member='PropertiesChanged',path='" SESSION_PATH "'") >= 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	int fd = take_card(h, a);

	/* Split across writes, as a pipe may deliver it. */
	CHECK(write(h->control_w, "res", 3) == 3);
	usleep(50000);
	CHECK(write(h->control_w, "ume\n", 4) == 4);
	CHECK(client_wait(a, &log, got_inactive_then_active, 10000));
	char hist[CLIENT_MAX_SIGNALS + 1];
	active_history(&log, hist, sizeof(hist));
	CHECK_STR(hist, "01");
	for (int i = 0; i < log.n; i++)
		CHECK(!sd_bus_message_is_signal(log.msg[i], SESSION_IF, "PauseDevice"));
	CHECK(get_bool(a, SESSION_PATH, SESSION_IF, "Active"));
	char *state = get_string(a, SESSION_PATH, SESSION_IF, "State");
	CHECK_STR(state, "active");
	free(state);
	char path[256];
	snprintf(path, sizeof(path), "%s/systemd/sessions/c1", h->run);
	CHECK(harness_file_contains(path, "\nACTIVE=1\n"));
	/* The controller keeps its card: taken, so a second take is refused. */
	CALL_ERR(a, "org.freedesktop.login1.DeviceIsTaken", SESSION_PATH, SESSION_IF, "TakeDevice",
		 "uu", 226, 0);
	CHECK(fd >= 0 && fcntl(fd, F_GETFD) >= 0);

	/* After the lease's end a resume changes nothing: the last Active the
	 * controller sees is false, up to the shim's exit. */
	signal_log_clear(&log);
	CHECK(client_watch(a, &log,
			   "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
			   "arg0='" L1 "'") >= 0);
	CHECK(write(h->control_w, "revoked\nresume\n", 15) == 15);
	CHECK(client_wait(a, &log, got_pause_and_inactive, 10000));
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	CHECK_EQ(harness_wait_shim(h, 10000), 0);
	CHECK(client_wait(a, &log, login1_gone, 10000));
	active_history(&log, hist, sizeof(hist));
	CHECK_STR(hist, "0");
	CHECK(harness_file_contains(h->shim_log, "resume asked for while the session is closing"));
	if (fd >= 0)
		close(fd);
	signal_log_clear(&log);
	sd_bus_flush_close_unref(a);
}

static int test_revoke(struct harness *h, const char *how)
{
	sd_bus *a = client_connect(h->address), *b = client_connect(h->address);
	CHECK(a && b);
	if (!a || !b)
		return 1;
	struct signal_log la = {0}, lb = {0};
	const char *m_pause = "type='signal',sender='" L1 "',interface='" SESSION_IF
			      "',member='PauseDevice'";
	const char *m_props = "type='signal',sender='" L1 "',interface='" PROPS
			      "',member='PropertiesChanged',path='" SESSION_PATH "'";
	CHECK(client_watch(a, &la, m_pause) >= 0 && client_watch(a, &la, m_props) >= 0);
	CHECK(client_watch(b, &lb, m_pause) >= 0 && client_watch(b, &lb, m_props) >= 0);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
	int fd = take_card(h, a);

	if (strcmp(how, "eof") == 0) {
		close(h->control_w);
	} else {
		/* Split across writes, as a pipe may deliver it. */
		CHECK(write(h->control_w, "hello\nrev", 9) == 9);
		usleep(50000);
		CHECK(write(h->control_w, "oked\n", 5) == 5);
		close(h->control_w);
	}
	h->control_w = -1;

	CHECK(client_wait(a, &la, got_pause_and_inactive, 10000));
	const char *unique = NULL;
	sd_bus_get_unique_name(a, &unique);
	for (int i = 0; i < la.n; i++) {
		sd_bus_message *m = la.msg[i];
		if (sd_bus_message_is_signal(m, SESSION_IF, "PauseDevice")) {
			uint32_t ma = 0, mi = 1;
			const char *type = "";
			CHECK(sd_bus_message_read(m, "uus", &ma, &mi, &type) > 0);
			CHECK(ma == 226 && mi == 0 && strcmp(type, "gone") == 0);
			/* Unicast to the controller, like logind. */
			CHECK(sd_bus_message_get_destination(m) &&
			      strcmp(sd_bus_message_get_destination(m), unique) == 0);
		} else {
			CHECK(active_false_in_changed(m));
		}
	}
	/* b sees the broadcast property change but never the controller's PauseDevice. */
	CHECK(client_wait(b, &lb, got_properties_changed, 10000));
	for (int i = 0; i < lb.n; i++)
		CHECK(!sd_bus_message_is_signal(lb.msg[i], SESSION_IF, "PauseDevice"));
	CHECK(!get_bool(b, SESSION_PATH, SESSION_IF, "Active"));
	char *state = get_string(b, SESSION_PATH, SESSION_IF, "State");
	CHECK_STR(state, "closing");
	free(state);
	char path[256];
	snprintf(path, sizeof(path), "%s/systemd/sessions/c1", h->run);
	CHECK(harness_file_contains(path, "\nACTIVE=0\n") &&
	      harness_file_contains(path, "\nSTATE=closing\n"));
	CALL_ERR(a, "System.Error.ENODEV", SESSION_PATH, SESSION_IF, "TakeDevice", "uu", 226, 0);
	/* The shim waits for the compositor, then exits. */
	CHECK_EQ(harness_wait_shim(h, 200), -1);
	CALL_OK(a, SESSION_PATH, SESSION_IF, "ReleaseControl", "");
	CHECK_EQ(harness_wait_shim(h, 10000), 0);
	CHECK(!harness_path_exists(path));
	if (fd >= 0)
		close(fd);
	signal_log_clear(&la);
	signal_log_clear(&lb);
	sd_bus_flush_close_unref(a);
	sd_bus_flush_close_unref(b);
	return 0;
}

static void check_files_gone(struct harness *h)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/systemd", h->run);
	CHECK(!harness_path_exists(p));
	snprintf(p, sizeof(p), "%s/udev", h->run);
	CHECK(!harness_path_exists(p));
	CHECK(harness_path_exists(h->run)); /* not the shim's to remove */
}

static void case_files(struct harness *h)
{
	char p[256];
#define FILE_HAS(sub, text)                                   \
	do {                                                  \
		snprintf(p, sizeof(p), "%s/%s", h->run, sub); \
		CHECK(harness_file_contains(p, text));        \
	} while (0)
	FILE_HAS("systemd/sessions/c1", "\nUID=65534\n");
	FILE_HAS("systemd/sessions/c1", "\nUSER=nobody\n");
	FILE_HAS("systemd/sessions/c1", "\nACTIVE=1\n");
	FILE_HAS("systemd/sessions/c1", "\nSTATE=active\n");
	FILE_HAS("systemd/sessions/c1", "\nTYPE=wayland\n");
	FILE_HAS("systemd/sessions/c1", "\nCLASS=user\n");
	FILE_HAS("systemd/sessions/c1", "\nSEAT=seat0\n");
	FILE_HAS("systemd/sessions/c1", "\nREMOTE=0\n");
	FILE_HAS("systemd/sessions/c1", "\nLEADER=");
	FILE_HAS("systemd/users/65534", "\nNAME=nobody\n");
	FILE_HAS("systemd/users/65534", "\nSTATE=active\n");
	FILE_HAS("systemd/users/65534", "\nDISPLAY=c1\n");
	FILE_HAS("systemd/users/65534", "\nSESSIONS=c1\n");
	FILE_HAS("systemd/users/65534", "\nACTIVE_SESSIONS=c1\n");
	FILE_HAS("systemd/users/65534", "\nONLINE_SESSIONS=c1\n");
	FILE_HAS("systemd/users/65534", "\nSEATS=seat0\n");
	FILE_HAS("systemd/seats/seat0", "\nACTIVE=c1\n");
	FILE_HAS("systemd/seats/seat0", "\nCAN_GRAPHICAL=1\n");
	FILE_HAS("udev/data/c226:0", "\nE:ID_SEAT=seat0\n");
	FILE_HAS("udev/data/c226:0", "\nG:seat\n");
	FILE_HAS("udev/data/c226:0", "\nG:mutter-device-preferred-primary\n");
	FILE_HAS("udev/data/c226:0", "\nQ:seat\n");
	FILE_HAS("udev/data/c226:0", "\nQ:mutter-device-preferred-primary\n");
	FILE_HAS("udev/data/c226:0", "\nV:1\n");
	FILE_HAS("udev/data/c226:0", "I:");
	snprintf(p, sizeof(p), "%s/udev/tags/seat/c226:0", h->run);
	CHECK(harness_path_exists(p));
	snprintf(p, sizeof(p), "%s/udev/tags/mutter-device-preferred-primary/c226:0", h->run);
	CHECK(harness_path_exists(p));
	/* Every line of the udev db is KEY:VALUE with a one-letter key. */
	snprintf(p, sizeof(p), "%s/udev/data/c226:0", h->run);
	FILE *f = fopen(p, "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		CHECK(strlen(line) >= 3 && line[1] == ':' && strchr("IEGQV", line[0]));
	if (f)
		fclose(f);
	/* No temporary files left behind by the atomic writes. */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*.*' | wc -l", h->run);
	FILE *ls = popen(cmd, "r");
	int stray = -1;
	if (ls) {
		if (fscanf(ls, "%d", &stray) != 1)
			stray = -1;
		pclose(ls);
	}
	CHECK_EQ(stray, 0);

	kill(h->shim_pid, SIGTERM);
	CHECK_EQ(harness_wait_shim(h, 10000), 0);
	check_files_gone(h);
}

/* libsystemd's own sd-login readers (what libseat and Mutter call) on the
 * files the shim wrote. They read fixed /run paths, so this runs in a
 * private mount namespace with a tmpfs on /run. */
static void check_sd_login(bool active)
{
	char *s = NULL;
	uid_t uid = 0;
	CHECK_EQ(sd_session_is_active("c1"), active ? 1 : 0);
	CHECK(sd_session_get_seat("c1", &s) >= 0 && s && strcmp(s, "seat0") == 0);
	free(s);
	s = NULL;
	CHECK(sd_session_get_type("c1", &s) >= 0 && s && strcmp(s, "wayland") == 0);
	free(s);
	s = NULL;
	CHECK(sd_session_get_class("c1", &s) >= 0 && s && strcmp(s, "user") == 0);
	free(s);
	s = NULL;
	CHECK(sd_session_get_state("c1", &s) >= 0 && s &&
	      strcmp(s, active ? "active" : "closing") == 0);
	free(s);
	s = NULL;
	CHECK(sd_session_get_uid("c1", &uid) >= 0 && uid == 65534);
	CHECK_EQ(sd_session_is_remote("c1"), 0);
	CHECK(sd_uid_get_display(65534, &s) >= 0 && s && strcmp(s, "c1") == 0);
	free(s);
	s = NULL;
	char **sessions = NULL;
	CHECK_EQ(sd_uid_get_sessions(65534, 0, &sessions), 1);
	CHECK(sessions && sessions[0] && strcmp(sessions[0], "c1") == 0);
	for (char **p = sessions; p && *p; p++)
		free(*p);
	free(sessions);
	if (active) {
		CHECK(sd_seat_get_active("seat0", &s, &uid) >= 0 && s && strcmp(s, "c1") == 0 &&
		      uid == 65534);
		free(s);
		s = NULL;
	}
	char **seats = NULL;
	CHECK_EQ(sd_get_seats(&seats), 1);
	for (char **p = seats; p && *p; p++)
		free(*p);
	free(seats);
	CHECK(sd_session_is_active("c2") < 0);
}

static void case_buslabel(void)
{
	char out[64];
	CHECK(bus_label_escape("c1", out, sizeof(out)) == 2 && strcmp(out, "c1") == 0);
	CHECK(bus_label_escape("1", out, sizeof(out)) == 3 && strcmp(out, "_31") == 0);
	CHECK(bus_label_escape("seat-1", out, sizeof(out)) > 0 && strcmp(out, "seat_2d1") == 0);
	CHECK(bus_label_escape("a_b.c", out, sizeof(out)) > 0 && strcmp(out, "a_5fb_2ec") == 0);
	CHECK(bus_label_escape("", out, sizeof(out)) == 1 && strcmp(out, "_") == 0);
	CHECK(bus_label_escape("12345", out, 4) == -1);
}

static int with_shim(struct harness *h, const char *const *extra)
{
	if (harness_start_bus(h) < 0 || harness_start_shim(h, extra) < 0) {
		CHECK(!"bus and shim start");
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *which = argc > 1 ? argv[1] : "";
	struct harness h;
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(which, "buslabel") == 0) {
		case_buslabel();
	} else if (strcmp(which, "dbus") == 0) {
		if (with_shim(&h, NULL) == 0) {
			sd_bus *a = client_connect(h.address), *b = client_connect(h.address);
			CHECK(a && b);
			if (a && b) {
				case_manager(&h, a);
				case_properties(&h, a);
				case_control(&h, a, b);
			}
			sd_bus_flush_close_unref(a);
			sd_bus_flush_close_unref(b);
			case_disconnect(&h);
			/* Still serving after all that bad input. */
			sd_bus *c = client_connect(h.address);
			CHECK(c && get_bool(c, SESSION_PATH, SESSION_IF, "Active"));
			sd_bus_flush_close_unref(c);
			kill(h.shim_pid, SIGTERM);
			CHECK_EQ(harness_wait_shim(&h, 10000), 0);
		}
		harness_stop(&h);
	} else if (strcmp(which, "uids") == 0) {
		if (getuid() != 0) {
			fprintf(stderr, "needs root to run clients as other uids: skipped\n");
			return SKIP;
		}
		if (with_shim(&h, NULL) == 0) {
			CHECK_EQ(run_as(1, as_stranger, &h), 0);
			CHECK_EQ(run_as(65534, as_owner, &h), 0);
		}
		harness_stop(&h);
	} else if (strcmp(which, "revoke") == 0 || strcmp(which, "revoke-line") == 0) {
		if (with_shim(&h, NULL) == 0)
			test_revoke(&h, strcmp(which, "revoke") == 0 ? "eof" : "line");
		check_files_gone(&h);
		harness_stop(&h);
	} else if (strcmp(which, "resume") == 0) {
		if (with_shim(&h, NULL) == 0)
			test_resume(&h);
		harness_stop(&h);
	} else if (strcmp(which, "revoke-grace") == 0) {
		/* A compositor that never lets go: the shim still exits. */
		if (with_shim(&h, (const char *const[]){"--grace-ms", "300", NULL}) == 0) {
			sd_bus *a = client_connect(h.address);
			CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
			close(h.control_w);
			h.control_w = -1;
			CHECK_EQ(harness_wait_shim(&h, 10000), 0);
			check_files_gone(&h);
			sd_bus_flush_close_unref(a);
		}
		harness_stop(&h);
	} else if (strcmp(which, "policy") == 0) {
		if (getuid() != 0) {
			fprintf(stderr, "needs root to run clients as other uids: skipped\n");
			return SKIP;
		}
		const char *policy = getenv("LC_SHIM_POLICY");
		if (!policy || harness_start_bus_with_policy(&h, policy) < 0 ||
		    harness_start_shim(&h, NULL) < 0)
			CHECK(!"bus (with LC_SHIM_POLICY) and shim start");
		else
			CHECK_EQ(run_as(65534, as_owner_under_policy, &h), 0);
		harness_stop(&h);
	} else if (strcmp(which, "sdlogin") == 0) {
		if (getuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
			fprintf(stderr, "needs root and a private mount namespace: skipped (%s)\n",
				strerror(errno));
			return SKIP;
		}
		if (with_shim(&h, (const char *const[]){"--runtime-root", "/run", NULL}) == 0) {
			/* Also the inactive state, through a controller that keeps the
			 * shim alive during the grace time. */
			sd_bus *a = client_connect(h.address);
			CALL_OK(a, SESSION_PATH, SESSION_IF, "TakeControl", "b", 0);
			check_sd_login(true);
			struct signal_log log = {0};
			CHECK(client_watch(a, &log,
					   "type='signal',sender='" L1
					   "',member='PropertiesChanged',path='" SESSION_PATH
					   "'") >= 0);
			CHECK(write(h.control_w, "revoked\n", 8) == 8);
			CHECK(client_wait(a, &log, got_properties_changed, 4000));
			CHECK(!get_bool(a, SESSION_PATH, SESSION_IF, "Active"));
			check_sd_login(false);
			signal_log_clear(&log);
			sd_bus_flush_close_unref(a);
			CHECK_EQ(harness_wait_shim(&h, 10000), 0);
			CHECK(sd_session_is_active("c1") < 0);
			CHECK(!harness_path_exists("/run/systemd/sessions") &&
			      !harness_path_exists("/run/udev"));
		}
		harness_stop(&h);
	} else if (strcmp(which, "files") == 0) {
		if (with_shim(&h, NULL) == 0)
			case_files(&h);
		harness_stop(&h);
	} else if (strcmp(which, "options") == 0) {
		if (harness_start_bus(&h) == 0 && harness_start_shim(&h, NULL) == 0) {
			char *err = NULL;
			int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			char run2[128];
			snprintf(run2, sizeof(run2), "%s/run2", h.dir);
			/* The name is taken: clear failure, the first shim's files untouched. */
			int st = harness_run_shim(
				&h,
				(const char *const[]){"--lease-fd", "3", "--device-rdev", "226:0",
						      "--bus-address", h.address, "--runtime-root",
						      run2, NULL},
				null_fd, &err);
			CHECK(st == 1 && strstr(err, "already owned"));
			free(err);
			char cmd[300];
			snprintf(cmd, sizeof(cmd), "test -z \"$(find '%s' -type f 2>/dev/null)\"",
				 run2);
			CHECK(system(cmd) == 0);
			char p[256];
			snprintf(p, sizeof(p), "%s/systemd/sessions/c1", h.run);
			CHECK(harness_path_exists(p));
			/* Not a DRM node, no test override. */
			st = harness_run_shim(&h,
					      (const char *const[]){"--lease-fd", "3",
								    "--bus-address", h.address,
								    "--runtime-root", run2, NULL},
					      null_fd, &err);
			CHECK(st == 1 && strstr(err, "not a DRM device"));
			free(err);
			static const char *const bad[][4] = {
				{"--session-id", "c-1"},
				{"--seat", "desk0"},
				{"--input-allow", "4:1"},
				{"--session-type", "gnome"},
				{"--lease-fd", "x"},
				{"--vtnr", "-1"},
				{"--runtime-root", "relative"},
				{"--device-rdev", "226"},
				{"--bogus", "1"},
				{"--log-level", "loud"},
				{"--uid", "no-such-user-here"},
			};
			for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
				st = harness_run_shim(&h,
						      (const char *const[]){"--lease-fd", "3",
									    bad[i][0], bad[i][1],
									    NULL},
						      null_fd, &err);
				CHECK(st == 2 && strlen(err) > 0);
				if (st != 2)
					fprintf(stderr, "    %s %s: status %d: %s\n", bad[i][0],
						bad[i][1], st, err);
				free(err);
			}
			st = harness_run_shim(&h, (const char *const[]){NULL}, null_fd, &err);
			CHECK(st == 2 && strstr(err, "--lease-fd is required"));
			free(err);
			close(null_fd);
		} else {
			CHECK(!"bus and shim start");
		}
		harness_stop(&h);
	} else {
		fprintf(stderr,
			"usage: shim-test buslabel|dbus|uids|revoke|revoke-line|revoke-grace|files|options\n");
		return 2;
	}
	printf("%d passed, %d failed\n", check_passed_count, check_failed_count);
	return check_failed_count ? 1 : 0;
}
