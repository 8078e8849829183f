/* The few facts about an H.264 stream that a browser needs before it can
 * decode: the WebCodecs codec string ("avc1.PPCCLL", from the SPS's
 * profile_idc, constraint flags and level_idc) and the picture size. */
#ifndef LCB_SPS_H
#define LCB_SPS_H

#include <stddef.h>
#include <stdint.h>

struct lcb_sps_info {
	uint8_t profile_idc, constraints, level_idc;
	unsigned width, height; /* after cropping */
	char codec[16];         /* "avc1.42C02A" */
};

/* Parses an SPS NAL unit (header byte 0x67 included, emulation prevention
 * bytes allowed). 0, or -EINVAL when it is not a valid SPS. */
int lcb_sps_parse(const uint8_t *nal, size_t len, struct lcb_sps_info *out);

/* Finds the first SPS in an Annex-B access unit and parses it: 0,
 * -ENOENT when there is none, -EINVAL when it does not parse. */
int lcb_sps_find(const uint8_t *au, size_t len, struct lcb_sps_info *out);

#endif
