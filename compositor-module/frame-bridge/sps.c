#include "sps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* An SPS is small; anything longer is not one we need to read. */
#define SPS_MAX_RBSP 512

struct bits {
	const uint8_t *p;
	size_t len, pos; /* in bits */
	bool over;       /* read past the end */
};

static unsigned bit(struct bits *b)
{
	if (b->pos >= b->len) {
		b->over = true;
		return 0;
	}
	unsigned v = (b->p[b->pos / 8] >> (7 - b->pos % 8)) & 1u;
	b->pos++;
	return v;
}

static uint32_t bits_u(struct bits *b, unsigned n)
{
	uint32_t v = 0;
	while (n--)
		v = (v << 1) | bit(b);
	return v;
}

/* Exp-Golomb; values above 2^31 are not in any valid SPS. */
static uint32_t bits_ue(struct bits *b)
{
	unsigned zeros = 0;
	while (!bit(b)) {
		if (b->over || ++zeros > 31) {
			b->over = true;
			return 0;
		}
	}
	return ((1u << zeros) - 1u) + bits_u(b, zeros);
}

static int32_t bits_se(struct bits *b)
{
	uint32_t k = bits_ue(b);
	return (k & 1u) ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

static void skip_scaling_list(struct bits *b, unsigned size)
{
	int32_t last = 8, next = 8;
	for (unsigned j = 0; j < size && !b->over; j++) {
		if (next != 0) {
			int32_t delta = bits_se(b);
			next = (last + delta + 256) % 256;
		}
		last = next == 0 ? last : next;
	}
}

int lcb_sps_parse(const uint8_t *nal, size_t len, struct lcb_sps_info *out)
{
	if (len < 4 || (nal[0] & 0x1f) != 7)
		return -EINVAL;
	/* RBSP: drop the NAL header and the emulation prevention bytes. */
	uint8_t rbsp[SPS_MAX_RBSP];
	size_t n = 0, zeros = 0;
	for (size_t i = 1; i < len && n < sizeof(rbsp); i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] == 0 ? zeros + 1 : 0;
		rbsp[n++] = nal[i];
	}
	struct bits b = {.p = rbsp, .len = n * 8};
	struct lcb_sps_info s = {0};
	s.profile_idc = (uint8_t)bits_u(&b, 8);
	s.constraints = (uint8_t)bits_u(&b, 8);
	s.level_idc = (uint8_t)bits_u(&b, 8);
	if (bits_ue(&b) > 31) /* seq_parameter_set_id */
		return -EINVAL;
	uint32_t chroma_format_idc = 1;
	switch (s.profile_idc) {
	case 100:
	case 110:
	case 122:
	case 244:
	case 44:
	case 83:
	case 86:
	case 118:
	case 128:
	case 138:
	case 139:
	case 134:
	case 135:
		chroma_format_idc = bits_ue(&b);
		if (chroma_format_idc > 3)
			return -EINVAL;
		if (chroma_format_idc == 3)
			bits_u(&b, 1); /* separate_colour_plane_flag */
		bits_ue(&b);           /* bit_depth_luma_minus8 */
		bits_ue(&b);           /* bit_depth_chroma_minus8 */
		bits_u(&b, 1);         /* qpprime_y_zero_transform_bypass_flag */
		if (bits_u(&b, 1)) {   /* seq_scaling_matrix_present_flag */
			unsigned lists = chroma_format_idc != 3 ? 8 : 12;
			for (unsigned i = 0; i < lists && !b.over; i++)
				if (bits_u(&b, 1))
					skip_scaling_list(&b, i < 6 ? 16 : 64);
		}
		break;
	default: break;
	}
	if (bits_ue(&b) > 12) /* log2_max_frame_num_minus4 */
		return -EINVAL;
	uint32_t poc_type = bits_ue(&b);
	if (poc_type == 0) {
		bits_ue(&b); /* log2_max_pic_order_cnt_lsb_minus4 */
	} else if (poc_type == 1) {
		bits_u(&b, 1);
		bits_se(&b);
		bits_se(&b);
		uint32_t cycle = bits_ue(&b);
		if (cycle > 255)
			return -EINVAL;
		for (uint32_t i = 0; i < cycle && !b.over; i++)
			bits_se(&b);
	} else if (poc_type != 2) {
		return -EINVAL;
	}
	bits_ue(&b);   /* max_num_ref_frames */
	bits_u(&b, 1); /* gaps_in_frame_num_value_allowed_flag */
	uint32_t w_mbs = bits_ue(&b) + 1;
	uint32_t h_units = bits_ue(&b) + 1;
	uint32_t frame_mbs_only = bits_u(&b, 1);
	if (!frame_mbs_only)
		bits_u(&b, 1); /* mb_adaptive_frame_field_flag */
	bits_u(&b, 1);         /* direct_8x8_inference_flag */
	uint32_t crop[4] = {0};
	if (bits_u(&b, 1))
		for (int i = 0; i < 4; i++)
			crop[i] = bits_ue(&b);
	if (b.over || w_mbs > 1024 || h_units > 1024)
		return -EINVAL;
	uint32_t width = w_mbs * 16;
	uint32_t height = h_units * 16 * (2 - frame_mbs_only);
	/* Crop units (7.4.2.1.1): 4:2:0 crops in pairs of samples. */
	uint32_t cx = 1, cy = 2 - frame_mbs_only;
	if (chroma_format_idc == 1) {
		cx = 2;
		cy *= 2;
	} else if (chroma_format_idc == 2) {
		cx = 2;
	}
	uint32_t cw = (crop[0] + crop[1]) * cx, ch = (crop[2] + crop[3]) * cy;
	if (cw >= width || ch >= height)
		return -EINVAL;
	s.width = width - cw;
	s.height = height - ch;
	snprintf(s.codec, sizeof(s.codec), "avc1.%02X%02X%02X", s.profile_idc, s.constraints,
		 s.level_idc);
	*out = s;
	return 0;
}

int lcb_sps_find(const uint8_t *au, size_t len, struct lcb_sps_info *out)
{
	for (size_t i = 0; i + 3 < len; i++) {
		if (au[i] != 0 || au[i + 1] != 0 || au[i + 2] != 1)
			continue;
		size_t start = i + 3;
		if ((au[start] & 0x1f) != 7) {
			i = start - 1;
			continue;
		}
		size_t end = start;
		while (end + 2 < len && !(au[end] == 0 && au[end + 1] == 0 &&
					  (au[end + 2] == 1 || au[end + 2] == 0)))
			end++;
		if (end + 2 >= len)
			end = len;
		return lcb_sps_parse(au + start, end - start, out);
	}
	return -ENOENT;
}
