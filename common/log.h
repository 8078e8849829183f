/* Logging shared by every leasecast program: one line per event on stderr,
 * which systemd's journal and the test rig both capture. */
#ifndef LC_LOG_H
#define LC_LOG_H

enum lc_log_level {
	LC_LOG_SILENT = 0,
	LC_LOG_ERROR = 1,
	LC_LOG_WARN = 2,
	LC_LOG_INFO = 3,
	LC_LOG_DEBUG = 4,
};

void lc_log_init(const char *program, enum lc_log_level level);
enum lc_log_level lc_log_get_level(void);
/* Parses "error", "warn", "info", "debug" or "silent"; -1 when unknown. */
int lc_log_level_from_string(const char *s);

void lc_log(enum lc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lc_err(...) lc_log(LC_LOG_ERROR, __VA_ARGS__)
#define lc_warn(...) lc_log(LC_LOG_WARN, __VA_ARGS__)
#define lc_info(...) lc_log(LC_LOG_INFO, __VA_ARGS__)
#define lc_debug(...) lc_log(LC_LOG_DEBUG, __VA_ARGS__)

#endif
