/* The one table from Linux evdev KEY_* codes (what HXFR INPUT_KEY carries,
 * HXFR.md §5.10.1) to QEMU's key numbers (what org.qemu.Display1.Keyboard
 * takes). Pure data, no state; owned by nobody. */
#ifndef QE_QEMU_KEYMAP_H
#define QE_QEMU_KEYMAP_H

#include <stdint.h>

/* QEMU's key number ("qnum") for an evdev code, or 0 when the code has no
 * key number (unknown, reserved, or a key QEMU cannot type). */
uint32_t qe_keymap_qnum(uint16_t evdev_code);

#endif
