/* Little-endian fields written at any alignment: the tables and boot
 * structures the VMM builds for guests (ACPI, Linux's zero page, PVH). */
#ifndef PAGODA_LE_H
#define PAGODA_LE_H

#include "lib/types.h"

static inline void put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void put_le32(u8 *p, u32 v)
{
	put_le16(p, (u16)v);
	put_le16(p + 2, (u16)(v >> 16));
}

static inline void put_le64(u8 *p, u64 v)
{
	put_le32(p, (u32)v);
	put_le32(p + 4, (u32)(v >> 32));
}

#endif
