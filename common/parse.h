/* Strict parsing of numeric option values: what a user typed is either a
 * plain decimal number in range or an error, never silently something else
 * (strtoul alone accepts blanks, signs and wrap-around). */
#ifndef LC_PARSE_H
#define LC_PARSE_H

/* s must be decimal digits only, min <= value <= max. 0 or -EINVAL. */
int lc_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
