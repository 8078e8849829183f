/* libFuzzer target: the frame bridge's viewer JSON (compositor-module/
 * frame-bridge/wsinit.c): the init (Helix's first message, text) and the
 * Control message (0x20 + JSON). The input's first byte picks which; the
 * rest is the text. Checked: a taken init has every field in its range
 * (size both or neither, 64..8192; fps 0 or 1..240; bitrate 0 or
 * 1..1000000 kbit/s); a refused one always says why; json-c's objects are
 * freed either way (ASan's leak check). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "wsinit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *why = NULL;
	if (data[0] & 1) {
		struct lcb_wscontrol c;
		uint8_t msg[1 + 20000];
		size_t n = size - 1 < sizeof(msg) - 1 ? size - 1 : sizeof(msg) - 1;
		msg[0] = 0x20;
		memcpy(msg + 1, data + 1, n);
		int r = lcb_wscontrol_decode(msg, 1 + n, &c, &why);
		ASSERT(r == 0 || (r == -EINVAL && why));
		ASSERT(r == 0 || !c.has_video_enabled);
		return 0;
	}
	struct lcb_wsinit in;
	int r = lcb_wsinit_decode((const char *)data + 1, size - 1, &in, &why);
	if (r < 0) {
		ASSERT(r == -EINVAL && why && *why);
		return 0;
	}
	ASSERT(r == 0);
	if (in.has_size)
		ASSERT(in.width >= LCB_WSINIT_SIZE_MIN && in.width <= LCB_WSINIT_SIZE_MAX &&
		       in.height >= LCB_WSINIT_SIZE_MIN && in.height <= LCB_WSINIT_SIZE_MAX);
	else
		ASSERT(in.width == 0 && in.height == 0);
	ASSERT(in.fps <= LCB_WSINIT_FPS_MAX);
	ASSERT(in.bitrate_kbps <= LCB_WSINIT_KBPS_MAX);
	ASSERT(in.ext <= 1000);
	return 0;
}
