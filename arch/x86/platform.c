/* Power-off and reset of the host machine (arch/x86/platform.h). */
#include "arch/x86/platform.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"

static void (*fw_poweroff)(void);
static void (*fw_reset)(void);

void platform_set_firmware(void (*poweroff)(void), void (*reset)(void))
{
	fw_poweroff = poweroff;
	fw_reset = reset;
}

/*
 * Firmware first; then ACPI PM1a control SLP_TYPa=S5 | SLP_EN at the two
 * PM blocks we know (QEMU q35's ICH9 at 0x604, the PIIX4 of Bochs and
 * QEMU pc at 0xb004).  A machine that ignores both is halted.
 */
__noreturn void platform_poweroff(void)
{
	if (fw_poweroff)
		fw_poweroff();
	outw(0x604, 0x2000);
	outw(0xb004, 0x2000);
	pr_err("platform", "poweroff failed; halting");
	halt_forever();
}

/* Firmware first; then the reset control register at 0xcf9: full reset. */
__noreturn void platform_reset(void)
{
	if (fw_reset)
		fw_reset();
	outb(0xcf9, 0x06);
	pr_err("platform", "reset failed; halting");
	halt_forever();
}
