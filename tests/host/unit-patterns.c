/* unit-patterns: the pattern code survives a real H.264 round trip.
 * Patterns are encoded with libx264 (through libavcodec, set up like the
 * exporter's encoder) and decoded with libavcodec's h264 decoder; each
 * decoded frame must name its own pattern and match it above 35 dB, and
 * must not pass as a neighbouring pattern. Also checks the code alone over
 * many indices and that damaged or blank frames are not identified. Proves
 * lc-subscribe-check's identification works without the exporter. */
#include <libavutil/log.h>
#include <libyuv/convert_from_argb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h264_decode.h"
#include "h264_encode.h"
#include "patterns.h"

static int failures;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			failures++;                                          \
		}                                                            \
	} while (0)

struct decoded {
	int n, index;
	double psnr, psnr_next;
	bool key;
	struct pattern_checker *checker;
	unsigned expect;
	int w, h;
};

static void on_picture(const struct h264_picture *p, void *data)
{
	struct decoded *d = data;
	d->n++;
	d->key = p->key;
	if (p->width != d->w || p->height != d->h) {
		d->index = -2;
		return;
	}
	d->index = pattern_identify(p->y, p->y_stride, p->width, p->height);
	d->psnr = pattern_checker_psnr(d->checker, d->expect, p->y, p->y_stride, p->u, p->u_stride,
				       p->v, p->v_stride);
	d->psnr_next = pattern_checker_psnr(d->checker, d->expect + 1, p->y, p->y_stride, p->u,
					    p->u_stride, p->v, p->v_stride);
}

static void round_trip(int w, int h, int crf, uint32_t bitrate, int threads)
{
	struct pattern_checker *ref = pattern_checker_create(w, h);
	struct pattern_checker *chk = pattern_checker_create(w, h);
	struct h264_encoder *enc = h264_encoder_create(w, h, 60, crf, bitrate, threads);
	struct h264_decoder *dec = h264_decoder_create();
	CHECK(ref && chk && enc && dec, "%dx%d: setup", w, h);
	if (!ref || !chk || !enc || !dec)
		goto out;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch),
		*v = malloc((size_t)cw * ch);
	static const unsigned ks[] = {0, 1, 2,  3,      4,      5,     6,      7,
				      8, 9, 10, 0x5555, 0xaaaa, 40000, 0xfffe, 0xffff};
	double worst = 1e9;
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		unsigned k = ks[i];
		const uint32_t *argb = pattern_checker_reference(ref, k);
		ARGBToI420((const uint8_t *)argb, w * 4, y, w, u, cw, v, cw, w, h);
		const uint8_t *au;
		size_t au_len;
		bool key;
		int r = h264_encoder_encode(enc, y, w, u, cw, v, cw, i == 0, &au, &au_len, &key);
		CHECK(r == 0 && au_len > 0, "%dx%d k=%u: encode r=%d len=%zu", w, h, k, r, au_len);
		if (r != 0 || !au_len)
			continue;
		bool sps_pps;
		bool idr = h264_au_is_idr(au, au_len, &sps_pps);
		if (i == 0)
			CHECK(idr && key && sps_pps, "first AU: idr=%d key=%d sps_pps=%d", idr, key,
			      sps_pps);
		else
			CHECK(!idr, "%dx%d k=%u: unexpected IDR", w, h, k);
		struct decoded d = {.index = -1, .checker = chk, .expect = k, .w = w, .h = h};
		char err[128] = "";
		r = h264_decoder_decode(dec, au, au_len, on_picture, &d, err, sizeof(err));
		CHECK(r == 0, "decode: %s", err);
		CHECK(d.n == 1, "%dx%d k=%u: %d pictures from one AU", w, h, k, d.n);
		CHECK(d.index == (int)k, "%dx%d k=%u: identified as %d", w, h, k, d.index);
		CHECK(d.psnr > 35.0, "%dx%d k=%u: PSNR %.2f dB", w, h, k, d.psnr);
		CHECK(d.psnr_next < 25.0, "%dx%d k=%u: PSNR against k+1 %.2f dB (too alike)", w, h,
		      k, d.psnr_next);
		if (d.psnr < worst)
			worst = d.psnr;
		printf("{\"size\":\"%dx%d\",\"crf\":%d,\"k\":%u,\"au_bytes\":%zu,\"idr\":%s,\"index\":%d,"
		       "\"psnr\":%.2f,\"psnr_vs_next\":%.2f}\n",
		       w, h, crf, k, au_len, idr ? "true" : "false", d.index, d.psnr, d.psnr_next);
	}
	printf("{\"size\":\"%dx%d\",\"crf\":%d,\"bitrate\":%u,\"worst_psnr\":%.2f}\n", w, h, crf,
	       bitrate, worst);
	free(y);
	free(u);
	free(v);
out:
	h264_decoder_destroy(dec);
	h264_encoder_destroy(enc);
	pattern_checker_destroy(chk);
	pattern_checker_destroy(ref);
}

/* The code alone, through the same colour conversion, over many indices;
 * and the refusals: blank, one block smeared. */
static void code_only(void)
{
	int w = 320, h = 240, cw = 160, ch = 120;
	uint32_t *argb = malloc((size_t)w * h * 4);
	uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch),
		*v = malloc((size_t)cw * ch);
	pattern_draw_background(argb, (size_t)w, w, h, 3);
	unsigned bad = 0;
	for (unsigned k = 0; k < 65536; k += 7) {
		pattern_draw_code(argb, (size_t)w, w, h, k);
		ARGBToI420((const uint8_t *)argb, w * 4, y, w, u, cw, v, cw, w, h);
		if (pattern_identify(y, w, w, h) != (int)k)
			bad++;
	}
	CHECK(bad == 0, "code-only: %u of 9363 indices misread", bad);
	memset(y, 128, (size_t)w * h);
	CHECK(pattern_identify(y, w, w, h) == -1, "a grey frame was identified");
	memset(y, 16, (size_t)w * h);
	CHECK(pattern_identify(y, w, w, h) == -1, "a black frame was identified");
	pattern_draw(argb, (size_t)w, w, h, 0x1234);
	struct pattern_geom g;
	pattern_geom(w, h, &g);
	for (int j = g.y0; j < g.y0 + g.block; j++) /* top of bit 3 to grey */
		for (int i = g.x0 + 3 * g.block; i < g.x0 + 4 * g.block; i++)
			argb[(size_t)j * w + i] = 0x00808080u;
	ARGBToI420((const uint8_t *)argb, w * 4, y, w, u, cw, v, cw, w, h);
	CHECK(pattern_identify(y, w, w, h) == -1, "a frame with a smeared block was identified");
	/* Consecutive patterns differ at every pixel (full-screen change). */
	uint32_t *b = malloc((size_t)w * h * 4);
	for (unsigned k = 0; k < 2 * PATTERN_PERIOD; k++) {
		pattern_draw(argb, (size_t)w, w, h, k);
		pattern_draw(b, (size_t)w, w, h, k + 1);
		size_t same = 0;
		for (size_t i = 0; i < (size_t)w * h; i++)
			same += argb[i] == b[i];
		/* Only code blocks whose colour is the same in both may match. */
		CHECK(same <= (size_t)2 * PATTERN_BITS * g.block * g.block,
		      "k=%u: %zu pixels unchanged", k, same);
	}
	CHECK(pattern_checker_create(100, 100) == NULL, "a too-small checker was created");
	free(b);
	free(argb);
	free(y);
	free(u);
	free(v);
}

/* The checker's reference (cached phase background + code area) is the
 * whole picture converted at once, to the bit: PSNR 128 against it. */
static void reference_exact(int w, int h)
{
	struct pattern_checker *c = pattern_checker_create(w, h);
	int cw = (w + 1) / 2, chh = (h + 1) / 2;
	uint32_t *argb = malloc((size_t)w * h * 4);
	uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * chh),
		*v = malloc((size_t)cw * chh);
	CHECK(c && argb && y && u && v, "out of memory");
	if (c && argb && y && u && v) {
		static const unsigned ks[] = {0, 1, 7, 8, 9, 0x1234, 0xabcd, 0xfffe, 3, 3};
		for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
			pattern_draw(argb, (size_t)w, w, h, ks[i]);
			ARGBToI420((const uint8_t *)argb, w * 4, y, w, u, cw, v, cw, w, h);
			double p = pattern_checker_psnr(c, ks[i], y, w, u, cw, v, cw);
			CHECK(p >= 128.0, "%dx%d k=%u: reference PSNR %.2f, not identical", w, h,
			      ks[i], p);
		}
	}
	pattern_checker_destroy(c);
	free(argb);
	free(y);
	free(u);
	free(v);
}

int main(void)
{
	av_log_set_level(AV_LOG_ERROR);
	code_only();
	reference_exact(1920, 1080);
	reference_exact(1280, 720);
	reference_exact(300, 70);
	round_trip(640, 360, 23, 0, 1);
	round_trip(1280, 720, 23, 0, 1);
	round_trip(1920, 1080, 23, 0, 1);
	round_trip(1920, 1080, 30, 0, 1);
	/* The exporter's default: 8 Mbit/s, 2 threads, every frame a full change. */
	round_trip(1920, 1080, 0, 8000000, 2);
	if (failures) {
		fprintf(stderr, "unit-patterns: %d failures\n", failures);
		return 1;
	}
	printf("unit-patterns: ok\n");
	return 0;
}
