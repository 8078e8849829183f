/* The viewer's JSON messages, decoded strictly (WS.md beside this file):
 * its init, Helix's first message on every connection (text), and its
 * Control messages (binary 0x20 + JSON, Helix's set_video_enabled). Pure:
 * text in (json-c's tokener, depth-bounded), the fields the bridge acts
 * on out, or a reason. Unknown keys are ignored (Helix's client sends
 * several the bridge has no use for: host_id, packet_size, user_name...);
 * a known key of the wrong JSON type or out of its range refuses the
 * message, so a bad client hears why instead of getting half its wish. */
#ifndef LCB_WSINIT_H
#define LCB_WSINIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Helix's video_supported_formats bit for H.264 (what the bridge sends). */
#define LCB_WSINIT_FORMAT_H264 0x1u
#define LCB_WSINIT_SIZE_MIN 64u
#define LCB_WSINIT_SIZE_MAX 8192u
#define LCB_WSINIT_FPS_MAX 240u
#define LCB_WSINIT_KBPS_MAX 1000000u /* 1 Gbit/s: past any exporter's bound */

struct lcb_wsinit {
	bool has_size;
	uint16_t width, height; /* LCB_WSINIT_SIZE_MIN..MAX */
	uint8_t fps;            /* 0: not given; else 1..LCB_WSINIT_FPS_MAX */
	uint32_t bitrate_kbps;  /* 0: not given; else 1..LCB_WSINIT_KBPS_MAX */
	bool has_formats;
	uint32_t formats; /* video_supported_formats */
	/* "leasecast": the extension version the page speaks (0: a Helix
	 * client); "keepalive": whether it needs a frame on a static screen
	 * (Helix's client does: its render-stall watchdog; default !ext). */
	unsigned ext;
	bool keepalive;
};

/* Decodes one text message as an init. 0, or -EINVAL with *why (a static
 * sentence) set. */
int lcb_wsinit_decode(const char *text, size_t len, struct lcb_wsinit *out, const char **why);

struct lcb_wscontrol {
	bool has_video_enabled;
	bool video_enabled;
};

/* Decodes a Control message (msg[0] == 0x20, then JSON). 0 or -EINVAL. */
int lcb_wscontrol_decode(const uint8_t *msg, size_t len, struct lcb_wscontrol *out,
			 const char **why);

#endif
