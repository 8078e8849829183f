#include "lease-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int samples_init(struct samples *s, long cap)
{
	s->v = calloc((size_t)cap, sizeof(double));
	s->n = 0;
	s->cap = s->v ? cap : 0;
	return s->v ? 0 : -1;
}

void samples_add(struct samples *s, double ms)
{
	if (s->n < s->cap)
		s->v[s->n++] = ms;
}

void samples_finish(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

long samples_over(const struct samples *s, double ms)
{
	long k = 0;
	for (long i = 0; i < s->n; i++)
		k += s->v[i] > ms;
	return k;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double rank(const struct samples *s, double p)
{
	long i = (long)ceil(p * (double)s->n) - 1;
	return s->v[i < 0 ? 0 : i];
}

struct figures samples_figures(struct samples *s)
{
	if (s->n == 0)
		return (struct figures){0};
	qsort(s->v, (size_t)s->n, sizeof(double), cmp_double);
	return (struct figures){s->n, rank(s, 0.50), rank(s, 0.99), s->v[s->n - 1]};
}

static bool json_number(const char *line, const char *key, double *v)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	char *end;
	*v = strtod(p + strlen(pat), &end);
	return end != p + strlen(pat);
}

bool figures_lookup(const char *file, const char *case_name, struct figures *f)
{
	FILE *in = fopen(file, "r");
	if (!in)
		return false;
	char line[4096], pat[160];
	snprintf(pat, sizeof(pat), "\"case\":\"%s\"", case_name);
	bool found = false;
	while (!found && fgets(line, sizeof(line), in)) {
		double n;
		found = strstr(line, "\"bench\":\"lease\"") && strstr(line, pat) &&
			json_number(line, "n", &n) && json_number(line, "p50_ms", &f->p50) &&
			json_number(line, "p99_ms", &f->p99) &&
			json_number(line, "max_ms", &f->max);
		if (found)
			f->n = (long)n;
	}
	fclose(in);
	return found;
}

int figures_print(const char *case_name, struct figures f, const char *baseline_file,
		  const char *baseline, const char *extra)
{
	struct figures b = {0};
	if (baseline && !figures_lookup(baseline_file, baseline, &b)) {
		fprintf(stderr, "%s: baseline %s not found in %s\n", case_name, baseline,
			baseline_file);
		return -1;
	}
	printf("{\"bench\":\"lease\",\"case\":\"%s\",\"n\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f",
	       case_name, f.n, f.p50, f.p99, f.max);
	if (baseline)
		printf(",\"baseline\":\"%s\",\"baseline_p50_ms\":%.3f,\"baseline_p99_ms\":%.3f,"
		       "\"ratio_p50\":%.2f,\"ratio_p99\":%.2f",
		       baseline, b.p50, b.p99, b.p50 > 0 ? f.p50 / b.p50 : 0.0,
		       b.p99 > 0 ? f.p99 / b.p99 : 0.0);
	if (extra && *extra)
		printf(",%s", extra);
	printf("}\n");
	fflush(stdout);
	return 0;
}
