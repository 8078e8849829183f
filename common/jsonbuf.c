#include "jsonbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void lc_json_init(struct lc_json *j)
{
	*j = (struct lc_json){.cap = 1024};
	j->s = malloc(j->cap);
	if (!j->s)
		j->failed = true;
	else
		j->s[0] = '\0';
}

void lc_json_printf(struct lc_json *j, const char *fmt, ...)
{
	if (j->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(j->s + j->len, j->cap - j->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			j->failed = true;
			return;
		}
		if ((size_t)n < j->cap - j->len) {
			j->len += (size_t)n;
			return;
		}
		size_t cap = (j->cap + (size_t)n + 1) * 2;
		char *s = realloc(j->s, cap);
		if (!s) {
			j->failed = true;
			return;
		}
		j->s = s;
		j->cap = cap;
	}
}

void lc_json_str(struct lc_json *j, const char *s)
{
	lc_json_printf(j, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			lc_json_printf(j, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			lc_json_printf(j, "\\u%04x", c);
		else
			lc_json_printf(j, "%c", c);
	}
	lc_json_printf(j, "\"");
}

char *lc_json_take(struct lc_json *j, size_t *len)
{
	char *s = j->failed ? NULL : j->s;
	if (j->failed)
		free(j->s);
	if (len)
		*len = s ? j->len : 0;
	*j = (struct lc_json){.failed = true};
	return s;
}

void lc_json_finish(struct lc_json *j)
{
	free(j->s);
	*j = (struct lc_json){.failed = true};
}
