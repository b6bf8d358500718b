/*
 * Machine reset for PC guests.
 *
 * Port 0xcf9, the reset control register of Intel's PCH/ICH and PIIX4
 * (ICH9 datasheet 13.7.5 "RST_CNT"): bit 1 SYS_RST chooses a hard reset,
 * bit 2 RST_CPU starts it when written 1; Linux writes 0x02 then 0x06.
 * Any write with RST_CPU set resets the guest; reads give the last value.
 *
 * The 8042 keyboard controller, as little of it as a reset needs: no
 * keyboard is attached.  Port 0x64 reads the status register as 0 (output
 * buffer empty, input buffer empty: a driver waiting to send a command
 * goes on at once, a probe finds no data); command 0xfe ("pulse output
 * line", whose bit 0 is the CPU reset line) resets the guest, other
 * commands are ignored.  Port 0x60 reads 0 and ignores writes.
 */
#include "vmm/dev/pc_reset.h"
#include "vmm/dev/bus.h"
#include "vmm/vm.h"

#define RST_CNT_PORT 0xcf9
#define RST_CNT_RST_CPU BIT(2)
#define KBC_DATA_PORT 0x60
#define KBC_CMD_PORT 0x64
#define KBC_CMD_PULSE_RESET 0xfe

/* The reset control register's last value. */
struct pc_reset {
	u8 rst_cnt; /* RST_CNT as last written, RST_CPU cleared */
};

static void rst_cnt_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	struct pc_reset *r = opaque;
	(void)port;
	(void)size;
	if (in) {
		*val = r->rst_cnt;
		return;
	}
	r->rst_cnt = (u8)*val & ~RST_CNT_RST_CPU;
	if (*val & RST_CNT_RST_CPU)
		guest_power_event(v->guest, GUEST_POWER_REBOOT, "port-0xcf9");
}

static void kbc_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	(void)opaque;
	(void)size;
	if (in) {
		*val = 0;
		return;
	}
	if (port == KBC_CMD_PORT && (u8)*val == KBC_CMD_PULSE_RESET)
		guest_power_event(v->guest, GUEST_POWER_REBOOT, "kbc-0xfe");
}

static const struct dev_ops rst_cnt_ops = {.name = "rst-cnt", .io = rst_cnt_io};
static const struct dev_ops kbc_ops = {.name = "i8042-reset", .io = kbc_io};

int pc_reset_add(struct bus *b)
{
	struct pc_reset *r = bus_alloc(b, sizeof(*r));
	if (!r)
		return -E_NOMEM;
	int rc = bus_add_io(b, &rst_cnt_ops, r, RST_CNT_PORT, 1);
	if (!rc)
		rc = bus_add_io(b, &kbc_ops, NULL, KBC_DATA_PORT, 1);
	if (!rc)
		rc = bus_add_io(b, &kbc_ops, NULL, KBC_CMD_PORT, 1);
	return rc;
}
