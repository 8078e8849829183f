/* What sd-login and libudev read instead of asking logind/udevd:
 * /run/systemd/{sessions,users,seats}/ and /run/udev/{data,tags}/ entries
 * for the session and its card. Written atomically, removed at exit. */
#ifndef SHIM_FILES_H
#define SHIM_FILES_H

#define SHIM_FILES_MAX 16

struct shim;

struct shim_files {
	char *created[SHIM_FILES_MAX]; /* files the shim wrote */
	int n_created;
	char *created_dirs[SHIM_FILES_MAX]; /* directories it had to make */
	int n_dirs;
};

/* Writes (or rewrites, after a state change) every file. -errno on failure. */
int files_write(struct shim *shim);
/* Removes exactly what files_write created, files first, then the
 * directories it made (when empty). */
void files_remove(struct shim_files *files);

#endif
