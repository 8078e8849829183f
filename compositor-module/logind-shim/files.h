/* What sd-login and libudev read instead of asking logind/udevd:
 * /run/systemd/{sessions,users,seats}/ and /run/udev/{data,tags}/ entries
 * for the session, its card and its input devices, and, where there is
 * none (a container), each input device's node under /dev (mode 0000:
 * only stat'ed, see make_input_node). Written atomically, removed at
 * exit. */
#ifndef SHIM_FILES_H
#define SHIM_FILES_H

#include "options.h"

/* Three sd-login files, a data and two tag files for the card, a data and
 * a tag file and a node per input device. */
#define SHIM_FILES_MAX (8 + 3 * SHIM_MAX_INPUT_FDS)
#define SHIM_DIRS_MAX 16

struct shim;

struct shim_files {
	char *created[SHIM_FILES_MAX]; /* files the shim wrote */
	int n_created;
	char *created_dirs[SHIM_DIRS_MAX]; /* directories it had to make */
	int n_dirs;
};

/* Writes (or rewrites, after a state change) every file. -errno on failure. */
int files_write(struct shim *shim);
/* Removes exactly what files_write created, files first, then the
 * directories it made (when empty). */
void files_remove(struct shim_files *files);

#endif
