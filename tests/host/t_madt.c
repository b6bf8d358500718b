/*
 * boot/acpi.c's madt_parse(): the processors of hand-built MADTs (type 0
 * local APIC and type 9 local x2APIC entries, enabled and online-capable
 * flags, entries of other types in between), repeats, the MAX cut-off, and
 * malformed tables: truncated, bad checksum, entry lengths of 0, 1, short
 * for their type or running past the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "tests/host/tap.h"

#define MAX_LEN 512

/* A MADT under construction: bytes and the length so far. */
struct madt {
	unsigned char b[MAX_LEN];
	unsigned len;
};

static void put(unsigned char *p, unsigned long long v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* An empty MADT: header, local APIC address 0xfee00000, flags PCAT_COMPAT. */
static void madt_init(struct madt *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->b, "APIC", 4);
	m->b[8] = 5;
	memcpy(m->b + 10, "PAGODA", 6);
	put(m->b + 36, 0xfee00000, 4);
	put(m->b + 40, 1, 4);
	m->len = 44;
}

/* Append an entry of TYPE and LEN bytes; returns it for the caller to fill. */
static unsigned char *add(struct madt *m, unsigned type, unsigned len)
{
	unsigned char *e = m->b + m->len;
	e[0] = (unsigned char)type;
	e[1] = (unsigned char)len;
	m->len += len;
	return e;
}

static void lapic(struct madt *m, unsigned uid, unsigned id, unsigned flags)
{
	unsigned char *e = add(m, 0, 8);
	e[2] = (unsigned char)uid;
	e[3] = (unsigned char)id;
	put(e + 4, flags, 4);
}

static void x2apic(struct madt *m, unsigned uid, unsigned id, unsigned flags)
{
	unsigned char *e = add(m, 9, 16);
	put(e + 4, id, 4);
	put(e + 8, flags, 4);
	put(e + 12, uid, 4);
}

/* Write the length and checksum; returns the table. */
static const unsigned char *seal(struct madt *m)
{
	put(m->b + 4, m->len, 4);
	m->b[9] = 0;
	unsigned char s = 0;
	for (unsigned i = 0; i < m->len; i++)
		s += m->b[i];
	m->b[9] = (unsigned char)-s;
	return m->b;
}

int main(void)
{
	struct madt m;
	struct madt_cpu c[8];
	unsigned nr, total;
	const char *why;

	/* Four CPUs: 0 and 1 enabled, 2 online-capable, 3 neither (flags 0),
	 * with an I/O APIC (type 1) and an interrupt override (type 2) among
	 * them, then an x2APIC entry for APIC ID 300 and a repeat of ID 1. */
	madt_init(&m);
	lapic(&m, 0, 0, 1);
	add(&m, 1, 12);
	lapic(&m, 1, 1, 1);
	add(&m, 2, 10);
	lapic(&m, 2, 2, 2);
	lapic(&m, 3, 3, 0);
	x2apic(&m, 7, 300, 1);
	x2apic(&m, 8, 1, 1);
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(!why, "a well-formed MADT parses (%s)", why ? why : "ok");
	is_u64(total, 6, "six processor entries seen");
	is_u64(nr, 4, "four kept: flags-0 entry and the repeated APIC ID left out");
	is_u64(c[0].apic_id, 0, "first: APIC ID 0");
	ok(c[0].enabled && !c[0].online_capable, "APIC ID 0 enabled");
	is_u64(c[1].apic_id, 1, "second: APIC ID 1 (after an I/O APIC entry)");
	is_u64(c[2].apic_id, 2, "third: APIC ID 2");
	ok(!c[2].enabled && c[2].online_capable, "APIC ID 2 online-capable, not enabled");
	is_u64(c[3].apic_id, 300, "an x2APIC entry gives its 32-bit ID");
	is_u64(c[3].uid, 7, "and its 32-bit UID");
	ok(c[3].enabled, "x2APIC entry enabled");

	/* MAX cuts the list, not the count. */
	why = madt_parse(m.b, m.len, c, 2, &nr, &total);
	ok(!why && nr == 2 && total == 6, "MAX=2 keeps two, still counts six");

	/* Enabled and online-capable both set: enabled wins. */
	madt_init(&m);
	lapic(&m, 0, 5, 3);
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(!why && nr == 1 && c[0].enabled && !c[0].online_capable,
	   "flags 3 is enabled, not online-capable");

	/* No processor entries at all. */
	madt_init(&m);
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(!why && nr == 0 && total == 0, "an empty MADT: no CPUs, no error");

	/* Malformed tables. */
	madt_init(&m);
	lapic(&m, 0, 0, 1);
	lapic(&m, 1, 1, 1);
	seal(&m);
	ok(madt_parse(m.b, m.len - 1, c, 8, &nr, &total) != NULL,
	   "a table longer than the bytes available is refused");
	ok(madt_parse(m.b, 40, c, 8, &nr, &total) != NULL, "fewer bytes than a MADT header");
	m.b[50] ^= 1;
	ok(madt_parse(m.b, m.len, c, 8, &nr, &total) != NULL, "a bad checksum is refused");
	m.b[50] ^= 1;
	memcpy(m.b, "APIX", 4);
	seal(&m);
	ok(madt_parse(m.b, m.len, c, 8, &nr, &total) != NULL, "another signature is refused");

	madt_init(&m);
	lapic(&m, 0, 0, 1);
	add(&m, 4, 6)[1] = 0; /* an entry of length 0 would loop forever */
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(why != NULL, "an entry of length 0 is refused (%s)", why ? why : "accepted");

	madt_init(&m);
	add(&m, 0, 6); /* a local APIC entry of 6 bytes */
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(why != NULL, "a local APIC entry shorter than 8 bytes is refused");

	madt_init(&m);
	add(&m, 9, 12); /* an x2APIC entry of 12 bytes */
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(why != NULL, "a local x2APIC entry shorter than 16 bytes is refused");

	madt_init(&m);
	lapic(&m, 0, 0, 1);
	m.b[m.len - 7] = 40; /* its length now runs 32 bytes past the end */
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(why != NULL, "an entry running past the table is refused");

	madt_init(&m);
	lapic(&m, 0, 0, 1);
	m.b[m.len++] = 0; /* one byte left: no room for an entry header */
	why = madt_parse(seal(&m), m.len, c, 8, &nr, &total);
	ok(why != NULL, "a lone trailing byte is refused");

	/* Every truncation of a good table of three entries (with its length field saying so
	 * and the checksum fixed) either parses or is refused: never a read
	 * past the end (AddressSanitizer watches the heap copy); only the four
	 * lengths at entry boundaries (no entry, 1, 2, 3 entries) parse. */
	madt_init(&m);
	lapic(&m, 0, 0, 1);
	x2apic(&m, 1, 1, 1);
	lapic(&m, 2, 2, 1);
	unsigned full = m.len, refused = 0;
	for (unsigned len = 44; len <= full; len++) {
		m.len = len;
		seal(&m);
		unsigned char *copy = malloc(len);
		memcpy(copy, m.b, len);
		if (madt_parse(copy, len, c, 8, &nr, &total))
			refused++;
		free(copy);
	}
	ok(refused == full - 44 + 1 - 4, "every cut inside an entry is refused (%u of %u lengths)",
	   refused, full - 44 + 1);
	return tap_done();
}
