#include "qemu_args.h"

#include <errno.h>

bool qe_qemu_args_valid_id(const char *id)
{
	if (!id || !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
		if (!ok || p - id >= 64)
			return false;
	}
	return true;
}

int qe_qemu_args_print(FILE *f, const char *gpu_id, unsigned outputs, bool unbound_tablet)
{
	if (!qe_qemu_args_valid_id(gpu_id) || outputs < 2 || outputs > QE_QEMU_ARGS_MAX_OUTPUTS)
		return -EINVAL;
	/* One bridge (32 slots) holds every head's pair as the two functions
	 * of one slot: 15 outputs take 15 slots instead of 30 of the root
	 * bus, which a pc machine does not have to spare. */
	fprintf(f, "-device\npci-bridge,id=lc-input,chassis_nr=1\n");
	for (unsigned s = 1; s < outputs; s++) {
		fprintf(f,
			"-device\nvirtio-keyboard-pci,bus=lc-input,addr=0x%x.0,multifunction=on,"
			"display=%s,head=%u,serial=leasecast-kbd-%u\n",
			s, gpu_id, s, s);
		fprintf(f,
			"-device\nvirtio-tablet-pci,bus=lc-input,addr=0x%x.1,display=%s,head=%u,"
			"serial=leasecast-tab-%u\n",
			s, gpu_id, s, s);
	}
	if (unbound_tablet)
		fprintf(f,
			"-device\nvirtio-tablet-pci,bus=lc-input,addr=0x%x.0,"
			"serial=leasecast-tab-unbound\n",
			outputs);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
