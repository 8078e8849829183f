/* The compositor's session: its user, XDG_RUNTIME_DIR with the files the
 * frame bridge reads, its environment, and the compositor process itself
 * (privileges dropped, nothing inherited but stdio). */
#ifndef LL_SESSION_H
#define LL_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lease.h"
#include "options.h"

struct ll_session {
	uid_t uid;
	gid_t gid;
	char user[64], home[PATH_MAX], shell[PATH_MAX];
	char runtime_dir[64]; /* /run/user/UID */
	bool created_runtime_dir;
	char scanout_file[PATH_MAX], stream_file[PATH_MAX];
	char authmagic_socket[PATH_MAX]; /* "" without --wlroots */
};

int ll_session_init(struct ll_session *s, const char *user);
/* /run/user/UID (0700, the user's), and in it helix-scanout-id and
 * leasecast-stream (0600, the user's). */
int ll_session_write_files(struct ll_session *s, const struct ll_lease_info *info);
/* Removes what write_files (and the runtime dir, if it created it) made. */
void ll_session_cleanup(struct ll_session *s);

/* Forks and execs ARGV (the compositor, or --on-preferred-mode's command)
 * as the session's user, in the compositor's environment plus ENV
 * ("NAME=VALUE"..., NULL-terminated; may be NULL). -1 on failure. */
pid_t ll_session_spawn(const struct ll_session *s, const struct ll_options *o,
		       const struct ll_lease_info *info, bool private_bus, char *const *argv,
		       char *const *env);

#endif
