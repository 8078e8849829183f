/* The QEMU command-line arguments that give each leasable output of a
 * virtio-gpu device its own keyboard and absolute pointer (HXFR.md §5.10,
 * doc/qemu-frame-exporter.1): what --print-qemu-args prints, so neither a
 * user nor the test rig writes them by hand. Pure; no state. */
#ifndef QE_QEMU_ARGS_H
#define QE_QEMU_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#define QE_QEMU_ARGS_MAX_OUTPUTS 16 /* virtio-gpu's max_outputs limit */

/* QEMU's rule for a device id= (letters, digits, '-', '.', '_', starting
 * with a letter), which also keeps it from breaking a -device string. */
bool qe_qemu_args_valid_id(const char *id);

/* Writes the arguments one a line (so a shell reads them with mapfile
 * and no quoting): a PCI bridge with id lc-input; for each head 1..outputs-1
 * in slot S a virtio-keyboard-pci (function 0, multifunction=on) and a
 * virtio-tablet-pci (function 1) bound with display=gpu_id,head=S, serials
 * leasecast-kbd-S / leasecast-tab-S; and, for QEMU before 8.0
 * (unbound_tablet), one tablet bound to no head in slot `outputs`, without
 * which QEMU 7.2 calls every console's mouse relative. Returns -errno. */
int qe_qemu_args_print(FILE *f, const char *gpu_id, unsigned outputs, bool unbound_tablet);

#endif
