/* lc-bench-frame-encode: the baselines of the frame-plane benchmark
 * (bench/frames-bench.sh, figures in bench/RESULTS.md), on the frames the
 * guest's lc-pattern-flip shows:
 *
 *   x264:  libx264 alone, set up as the exporter runs it (ultrafast,
 *          zerolatency, bit rate, 2 threads, an IDR every --idr-every
 *          frames: the exporter's 2 s at 60 fps), converting only the
 *          damaged rectangle (libyuv, BT.601) into a persistent I420
 *          picture: the cost of encoding with no exporter around it. The
 *          first frame (the whole picture, an IDR) is not counted, as the
 *          exporter's measurement starts after its subscriber's first IDR;
 *   nv12:  the seed's earlier approach: every frame converted to NV12 and
 *          sent whole over TCP (here loopback, to a reader thread).
 *
 * Two kinds of frames: motion (every pixel changes: consecutive patterns)
 * and small-damage (a 256x64 bar changes). Frames are produced as fast as
 * they are consumed (unpaced). One JSON line per (method, frames). */
#include <errno.h>
#include <libavutil/log.h>
#include <libyuv/convert_from_argb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "h264_encode.h"
#include "patterns.h"

struct frames {
	int w, h;
	bool motion;
	uint32_t *bufs[PATTERN_PERIOD];
	unsigned n;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(int64_t *v, unsigned n, double q)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)v[(unsigned)(q * (n - 1) + 0.5)] / 1e6;
}

/* Frame i: its pixels and the damaged rectangle {x, y, w, h}. The drawing
 * is not timed. */
static const uint32_t *frame_get(struct frames *f, unsigned i, int rect[4])
{
	if (f->motion) {
		uint32_t *b = f->bufs[i % PATTERN_PERIOD];
		pattern_draw_code(b, (size_t)f->w, f->w, f->h, i);
		rect[0] = rect[1] = 0;
		rect[2] = f->w;
		rect[3] = f->h;
		return b;
	}
	pattern_draw_tick(f->bufs[0], (size_t)f->w, f->w, f->h, i, rect);
	return f->bufs[0];
}

static void report(const char *method, const char *kind, int w, int h, unsigned n, int64_t wall,
		   int64_t cpu, int64_t *lat, double copied, double out_bytes)
{
	printf("{\"bench\":\"frame-encode\",\"method\":\"%s\",\"frames\":\"%s\",\"size\":\"%dx%d\","
	       "\"n\":%u,\"fps\":%.1f,\"latency_ms_p50\":%.2f,\"latency_ms_p99\":%.2f,"
	       "\"cpu_ms_per_frame\":%.2f,\"bytes_copied_per_frame\":%.0f,\"bytes_out_per_frame\":%.0f}\n",
	       method, kind, w, h, n, n / ((double)wall / 1e9), pct_ms(lat, n, 0.5),
	       pct_ms(lat, n, 0.99), (double)cpu / 1e6 / n, copied / n, out_bytes / n);
	fflush(stdout);
}

static int bench_x264(struct frames *f, uint32_t bitrate, int threads, unsigned idr_every)
{
	int w = f->w, h = f->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
	struct h264_encoder *enc = h264_encoder_create(w, h, 60, 0, bitrate, threads);
	uint8_t *y = calloc((size_t)w * h, 1), *u = calloc((size_t)cw * ch, 1),
		*v = calloc((size_t)cw * ch, 1);
	int64_t *lat = calloc(f->n, sizeof(int64_t));
	if (!enc || !y || !u || !v || !lat) {
		fprintf(stderr, "lc-bench-frame-encode: cannot set up libx264\n");
		return -1;
	}
	double copied = 0, out = 0;
	int64_t wall = 0, cpu = 0;
	for (unsigned i = 0; i < f->n; i++) {
		int r4[4];
		const uint32_t *px = frame_get(f, i, r4);
		if (i == 0) { /* the first picture is new everywhere, as a Scanout */
			r4[0] = r4[1] = 0;
			r4[2] = w;
			r4[3] = h;
		}
		int64_t t0 = lc_clock_ns(CLOCK_MONOTONIC),
			c0 = lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		/* Only the damage, as the exporter converts it. */
		const uint8_t *src = (const uint8_t *)(px + (size_t)r4[1] * w + r4[0]);
		ARGBToI420(src, w * 4, y + (size_t)r4[1] * w + r4[0], w,
			   u + (size_t)(r4[1] / 2) * cw + r4[0] / 2, cw,
			   v + (size_t)(r4[1] / 2) * cw + r4[0] / 2, cw, r4[2], r4[3]);
		const uint8_t *au;
		size_t au_len;
		bool key;
		if (h264_encoder_encode(enc, y, w, u, cw, v, cw,
					idr_every ? i % idr_every == 0 : i == 0, &au, &au_len,
					&key) < 0) {
			fprintf(stderr, "lc-bench-frame-encode: encode failed\n");
			return -1;
		}
		int64_t t1 = lc_clock_ns(CLOCK_MONOTONIC);
		if (i == 0)
			continue; /* the exporter's subscriber joins with this IDR: not timed there either */
		lat[i - 1] = t1 - t0;
		wall += t1 - t0;
		cpu += lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
		copied += (double)r4[2] * r4[3] * 4;
		out += (double)au_len;
	}
	report("x264", f->motion ? "motion" : "small-damage", w, h, f->n - 1, wall, cpu, lat,
	       copied, out);
	h264_encoder_destroy(enc);
	free(y);
	free(u);
	free(v);
	free(lat);
	return 0;
}

struct reader {
	int fd;
	size_t frame_bytes;
	unsigned n;
	int64_t *done_ns; /* when frame i's last byte arrived */
};

static void *reader_main(void *data)
{
	struct reader *r = data;
	uint8_t *buf = malloc(1 << 20);
	size_t got = 0;
	unsigned i = 0;
	while (buf && i < r->n) {
		ssize_t k = recv(r->fd, buf, 1 << 20, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
		while (i < r->n && got >= r->frame_bytes * (i + 1))
			r->done_ns[i++] = lc_clock_ns(CLOCK_MONOTONIC);
	}
	free(buf);
	return NULL;
}

static int tcp_pair(int *a, int *b)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	*a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*b = accept(l, NULL, NULL);
	close(l);
	int one = 1;
	setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return *b < 0 ? -errno : 0;
}

static int bench_nv12(struct frames *f)
{
	int w = f->w, h = f->h;
	size_t fb = (size_t)w * h * 3 / 2;
	uint8_t *nv12 = malloc(fb);
	int64_t *lat = calloc(f->n, sizeof(int64_t)), *start = calloc(f->n, sizeof(int64_t));
	struct reader rd = {.frame_bytes = fb, .n = f->n, .done_ns = calloc(f->n, sizeof(int64_t))};
	int tx = -1;
	if (!nv12 || !lat || !start || !rd.done_ns || tcp_pair(&tx, &rd.fd) < 0) {
		fprintf(stderr, "lc-bench-frame-encode: cannot set up the TCP pair\n");
		return -1;
	}
	pthread_t th;
	pthread_create(&th, NULL, reader_main, &rd);
	int64_t t_begin = lc_clock_ns(CLOCK_MONOTONIC),
		c_begin = lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	int64_t draw_ns = 0, draw_cpu = 0;
	for (unsigned i = 0; i < f->n; i++) {
		int r4[4];
		int64_t d0 = lc_clock_ns(CLOCK_MONOTONIC),
			dc0 = lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		const uint32_t *px = frame_get(f, i, r4);
		draw_ns += lc_clock_ns(CLOCK_MONOTONIC) - d0;
		draw_cpu += lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - dc0;
		start[i] = lc_clock_ns(CLOCK_MONOTONIC);
		/* The seed sent every frame whole, whatever changed. */
		ARGBToNV12((const uint8_t *)px, w * 4, nv12, w, nv12 + (size_t)w * h, w, w, h);
		for (size_t off = 0; off < fb;) {
			ssize_t k = send(tx, nv12 + off, fb - off, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				fprintf(stderr, "lc-bench-frame-encode: send: %s\n",
					strerror(errno));
				return -1;
			}
			off += (size_t)k;
		}
	}
	pthread_join(th, NULL);
	int64_t wall = lc_clock_ns(CLOCK_MONOTONIC) - t_begin - draw_ns;
	int64_t cpu = lc_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c_begin - draw_cpu;
	for (unsigned i = 0; i < f->n; i++)
		lat[i] = rd.done_ns[i] - start[i];
	report("nv12-tcp", f->motion ? "motion" : "small-damage", w, h, f->n, wall, cpu, lat,
	       (double)f->n * ((double)w * h * 4 + (double)fb), (double)f->n * (double)fb);
	close(tx);
	close(rd.fd);
	free(nv12);
	free(lat);
	free(start);
	free(rd.done_ns);
	return 0;
}

int main(int argc, char **argv)
{
	int w = 1920, h = 1080, threads = 2;
	unsigned n = 300, idr_every = 120;
	uint32_t bitrate = 8000000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--size") == 0 && sscanf(argv[i + 1], "%dx%d", &w, &h) == 2)
			continue;
		if (strcmp(argv[i], "--frames") == 0)
			n = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--bitrate") == 0)
			bitrate = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--idr-every") == 0)
			idr_every = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else
			goto usage;
	}
	if (argc % 2 == 0 || n < 2 || w < PATTERN_MIN_WIDTH || h < PATTERN_MIN_HEIGHT ||
	    (w | h) & 1)
		goto usage;
	av_log_set_level(AV_LOG_ERROR);
	int ret = 0;
	for (int kind = 0; kind < 2; kind++) {
		struct frames f = {.w = w, .h = h, .motion = kind == 0, .n = n};
		for (unsigned b = 0; b < PATTERN_PERIOD; b++) {
			f.bufs[b] = malloc((size_t)w * h * 4);
			if (!f.bufs[b])
				return 1;
			pattern_draw(f.bufs[b], (size_t)w, w, h, b);
			if (!f.motion) /* what lc-pattern-flip --mode small-damage shows under its bar */
				pattern_draw(f.bufs[0], (size_t)w, w, h, PATTERN_IDLE);
		}
		if (bench_x264(&f, bitrate, threads, idr_every) < 0 || bench_nv12(&f) < 0)
			ret = 1;
		for (unsigned b = 0; b < PATTERN_PERIOD; b++)
			free(f.bufs[b]);
	}
	return ret;
usage:
	fprintf(stderr, "usage: lc-bench-frame-encode [--size WxH] [--frames N] [--bitrate BPS] "
			"[--threads N] [--idr-every FRAMES (0: only the first)]\n");
	return 2;
}
