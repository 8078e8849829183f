/* A growing buffer for writing JSON: printf-style appends and escaped
 * strings; one failure (out of memory) poisons it, so callers check once
 * at the end. Owns s (lc_json_take hands it over). */
#ifndef LC_JSONBUF_H
#define LC_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>

struct lc_json {
	char *s;
	size_t len, cap;
	bool failed;
};

void lc_json_init(struct lc_json *j);
void lc_json_printf(struct lc_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included: '"' and '\' escaped, control and
 * non-ASCII bytes as \u00XX. */
void lc_json_str(struct lc_json *j, const char *s);
/* The text (NUL-terminated) and its length, or NULL after a failure; the
 * buffer is empty afterwards either way. */
char *lc_json_take(struct lc_json *j, size_t *len);
void lc_json_finish(struct lc_json *j);

#endif
