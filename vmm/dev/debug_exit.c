/*
 * The debug-exit port, compatible with QEMU's isa-debug-exit: writing V
 * ends the guest with status (V << 1) | 1; reads return all ones.  Test
 * guests end this way under pagoda and under plain QEMU alike.
 */
#include "vmm/dev/debug_exit.h"
#include "vmm/dev/bus.h"
#include "vmm/vm.h"

static void debug_exit_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	(void)opaque;
	(void)port;
	(void)size;
	if (in) {
		*val = 0xffffffff;
		return;
	}
	guest_exit(v->guest, (int)((*val << 1) | 1));
}

static const struct dev_ops debug_exit_ops = {.name = "debug-exit", .io = debug_exit_io};

int debug_exit_add(struct bus *b, u16 port)
{
	return bus_add_io(b, &debug_exit_ops, NULL, port, 1);
}
