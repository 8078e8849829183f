#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The only process-wide state of the library: logging is configured once in
 * main() and read everywhere, as in seatd's log.c. */
static const char *log_program = "leasecast";
static enum lc_log_level log_level = LC_LOG_INFO;

static const char *const level_names[] = {
	[LC_LOG_SILENT] = "silent", [LC_LOG_ERROR] = "error", [LC_LOG_WARN] = "warn",
	[LC_LOG_INFO] = "info",     [LC_LOG_DEBUG] = "debug",
};

void lc_log_init(const char *program, enum lc_log_level level)
{
	if (program)
		log_program = program;
	log_level = level;
}

enum lc_log_level lc_log_get_level(void)
{
	return log_level;
}

int lc_log_level_from_string(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (s && strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void lc_log(enum lc_log_level level, const char *fmt, ...)
{
	if (level > log_level || level == LC_LOG_SILENT)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char line[1024];
	int n = snprintf(line, sizeof(line), "%lld.%03ld %s[%s]: ", (long long)ts.tv_sec,
			 ts.tv_nsec / 1000000, log_program, level_names[level]);
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines of concurrent processes do not interleave. */
	size_t len = strnlen(line, sizeof(line) - 2);
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}
