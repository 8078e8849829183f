#include "qemu_keymap.h"

/* A QEMU key number is the key's PC AT set 1 scancode (as in the public
 * keycodemapdb table, column "XT KBD"), with the 0xe0-prefixed (extended)
 * scancodes folded into one byte as 0x80 | code. So E(0x48) is the e0 48
 * of the Up arrow, 0xc8. For Linux codes 1..83 the set 1 scancode happens
 * to equal the Linux code, which is why that block reads as the identity;
 * it is spelled out anyway so the table is the whole truth. Keys that have
 * no set 1 scancode (Hangeul, most "multimedia" codes above 0xff) are left
 * at 0 and refused: a key the guest would never see must not look typed. */
#define E(code) (0x80u | (code))

static const uint8_t qnum_of[] = {
	/* 1..83: the main block and keypad of the PC keyboard */
	[1] = 0x01, /* KEY_ESC */
	[2] = 0x02, /* KEY_1 */
	[3] = 0x03,
	[4] = 0x04,
	[5] = 0x05,
	[6] = 0x06,
	[7] = 0x07,
	[8] = 0x08,
	[9] = 0x09,
	[10] = 0x0a, /* KEY_9 */
	[11] = 0x0b, /* KEY_0 */
	[12] = 0x0c, /* KEY_MINUS */
	[13] = 0x0d, /* KEY_EQUAL */
	[14] = 0x0e, /* KEY_BACKSPACE */
	[15] = 0x0f, /* KEY_TAB */
	[16] = 0x10, /* KEY_Q */
	[17] = 0x11,
	[18] = 0x12,
	[19] = 0x13,
	[20] = 0x14,
	[21] = 0x15,
	[22] = 0x16,
	[23] = 0x17,
	[24] = 0x18,
	[25] = 0x19, /* KEY_P */
	[26] = 0x1a, /* KEY_LEFTBRACE */
	[27] = 0x1b, /* KEY_RIGHTBRACE */
	[28] = 0x1c, /* KEY_ENTER */
	[29] = 0x1d, /* KEY_LEFTCTRL */
	[30] = 0x1e, /* KEY_A */
	[31] = 0x1f,
	[32] = 0x20,
	[33] = 0x21,
	[34] = 0x22,
	[35] = 0x23,
	[36] = 0x24,
	[37] = 0x25,
	[38] = 0x26, /* KEY_L */
	[39] = 0x27, /* KEY_SEMICOLON */
	[40] = 0x28, /* KEY_APOSTROPHE */
	[41] = 0x29, /* KEY_GRAVE */
	[42] = 0x2a, /* KEY_LEFTSHIFT */
	[43] = 0x2b, /* KEY_BACKSLASH */
	[44] = 0x2c, /* KEY_Z */
	[45] = 0x2d,
	[46] = 0x2e,
	[47] = 0x2f,
	[48] = 0x30,
	[49] = 0x31,
	[50] = 0x32, /* KEY_M */
	[51] = 0x33, /* KEY_COMMA */
	[52] = 0x34, /* KEY_DOT */
	[53] = 0x35, /* KEY_SLASH */
	[54] = 0x36, /* KEY_RIGHTSHIFT */
	[55] = 0x37, /* KEY_KPASTERISK */
	[56] = 0x38, /* KEY_LEFTALT */
	[57] = 0x39, /* KEY_SPACE */
	[58] = 0x3a, /* KEY_CAPSLOCK */
	[59] = 0x3b, /* KEY_F1 */
	[60] = 0x3c,
	[61] = 0x3d,
	[62] = 0x3e,
	[63] = 0x3f,
	[64] = 0x40,
	[65] = 0x41,
	[66] = 0x42,
	[67] = 0x43,
	[68] = 0x44, /* KEY_F10 */
	[69] = 0x45, /* KEY_NUMLOCK */
	[70] = 0x46, /* KEY_SCROLLLOCK */
	[71] = 0x47, /* KEY_KP7 */
	[72] = 0x48,
	[73] = 0x49, /* KEY_KP9 */
	[74] = 0x4a, /* KEY_KPMINUS */
	[75] = 0x4b,
	[76] = 0x4c,
	[77] = 0x4d, /* KEY_KP4..6 */
	[78] = 0x4e, /* KEY_KPPLUS */
	[79] = 0x4f,
	[80] = 0x50,
	[81] = 0x51, /* KEY_KP1..3 */
	[82] = 0x52, /* KEY_KP0 */
	[83] = 0x53, /* KEY_KPDOT */
	/* 84 is unassigned in Linux */
	[85] = 0x76,     /* KEY_ZENKAKUHANKAKU */
	[86] = 0x56,     /* KEY_102ND */
	[87] = 0x57,     /* KEY_F11 */
	[88] = 0x58,     /* KEY_F12 */
	[89] = 0x73,     /* KEY_RO */
	[90] = 0x78,     /* KEY_KATAKANA */
	[91] = 0x77,     /* KEY_HIRAGANA */
	[92] = 0x79,     /* KEY_HENKAN */
	[93] = 0x70,     /* KEY_KATAKANAHIRAGANA */
	[94] = 0x7b,     /* KEY_MUHENKAN */
	[95] = 0x5c,     /* KEY_KPJPCOMMA */
	[96] = E(0x1c),  /* KEY_KPENTER */
	[97] = E(0x1d),  /* KEY_RIGHTCTRL */
	[98] = E(0x35),  /* KEY_KPSLASH */
	[99] = 0x54,     /* KEY_SYSRQ (the browser's PrintScreen) */
	[100] = E(0x38), /* KEY_RIGHTALT */
	[102] = E(0x47), /* KEY_HOME */
	[103] = E(0x48), /* KEY_UP */
	[104] = E(0x49), /* KEY_PAGEUP */
	[105] = E(0x4b), /* KEY_LEFT */
	[106] = E(0x4d), /* KEY_RIGHT */
	[107] = E(0x4f), /* KEY_END */
	[108] = E(0x50), /* KEY_DOWN */
	[109] = E(0x51), /* KEY_PAGEDOWN */
	[110] = E(0x52), /* KEY_INSERT */
	[111] = E(0x53), /* KEY_DELETE */
	[113] = E(0x20), /* KEY_MUTE */
	[114] = E(0x2e), /* KEY_VOLUMEDOWN */
	[115] = E(0x30), /* KEY_VOLUMEUP */
	[116] = E(0x5e), /* KEY_POWER */
	[117] = 0x59,    /* KEY_KPEQUAL */
	[119] = E(0x46), /* KEY_PAUSE */
	[121] = 0x7e,    /* KEY_KPCOMMA */
	[124] = 0x7d,    /* KEY_YEN */
	[125] = E(0x5b), /* KEY_LEFTMETA */
	[126] = E(0x5c), /* KEY_RIGHTMETA */
	[127] = E(0x5d), /* KEY_COMPOSE (the context-menu key) */
	[128] = E(0x68), /* KEY_STOP */
	[129] = E(0x05), /* KEY_AGAIN */
	[130] = E(0x06), /* KEY_PROPS */
	[131] = E(0x07), /* KEY_UNDO */
	[132] = E(0x0c), /* KEY_FRONT */
	[133] = E(0x78), /* KEY_COPY */
	[134] = 0x64,    /* KEY_OPEN */
	[135] = 0x65,    /* KEY_PASTE */
	[136] = E(0x41), /* KEY_FIND */
	[137] = E(0x3c), /* KEY_CUT */
	[138] = E(0x75), /* KEY_HELP */
	[140] = E(0x21), /* KEY_CALC */
	[142] = E(0x5f), /* KEY_SLEEP */
	[143] = E(0x63), /* KEY_WAKEUP */
	[155] = E(0x6c), /* KEY_MAIL */
	[156] = E(0x66), /* KEY_BOOKMARKS */
	[157] = E(0x6b), /* KEY_COMPUTER */
	[158] = E(0x6a), /* KEY_BACK */
	[159] = E(0x69), /* KEY_FORWARD */
	[163] = E(0x19), /* KEY_NEXTSONG */
	[164] = E(0x22), /* KEY_PLAYPAUSE */
	[165] = E(0x10), /* KEY_PREVIOUSSONG */
	[166] = E(0x24), /* KEY_STOPCD */
	[172] = E(0x32), /* KEY_HOMEPAGE */
	[173] = E(0x67), /* KEY_REFRESH */
	[183] = 0x5d,    /* KEY_F13 */
	[184] = 0x5e,    /* KEY_F14 */
	[185] = 0x5f,    /* KEY_F15 */
	[186] = 0x55,    /* KEY_F16 */
	[187] = E(0x03), /* KEY_F17 */
	[188] = E(0x77), /* KEY_F18 */
	[189] = E(0x04), /* KEY_F19 */
	[190] = 0x5a,    /* KEY_F20 */
	[191] = 0x74,    /* KEY_F21 */
	[192] = E(0x79), /* KEY_F22 */
	[193] = 0x6d,    /* KEY_F23 */
	[194] = 0x6f,    /* KEY_F24 */
};

uint32_t qe_keymap_qnum(uint16_t evdev_code)
{
	return evdev_code < sizeof(qnum_of) ? qnum_of[evdev_code] : 0;
}
