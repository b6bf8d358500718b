/*
 * vsnprintf for the VMM: %d %i %u %x %X %p %s %c %%, with flags '-', '0' and '#',
 * a field width, a precision for %s (also "*"), and the length modifiers
 * l, ll and z.  No floating point (the VMM is built -mgeneral-regs-only).
 * Returns the length the full output would have had, like C99.
 */
#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;
	if (!left)
		while (fill-- > 0)
			put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false, alt = false;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '#')
				alt = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		int width = 0;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		int prec = -1;
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0;
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		char tmp[24];
		size_t n = 0;
		switch (*fmt) {
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t len = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			put_padded(&o, s, len, width, left, ' ');
			break;
		}
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'p': {
			u64 v;
			bool neg = false;
			unsigned base = (*fmt == 'x' || *fmt == 'X' || *fmt == 'p') ? 16 : 10;
			if (*fmt == 'p') {
				v = (u64)(uintptr_t)va_arg(ap, void *);
				put(&o, '0');
				put(&o, 'x');
			} else if (*fmt == 'x' || *fmt == 'X') {
				v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
				if (alt) {
					put(&o, '0');
					put(&o, *fmt);
				}
			} else if (*fmt == 'd' || *fmt == 'i') {
				s64 sv = lng ? va_arg(ap, s64) : va_arg(ap, int);
				neg = sv < 0;
				v = neg ? (u64)0 - (u64)sv : (u64)sv;
			} else {
				v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			}
			const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			char rev[24];
			do {
				rev[n++] = digits[v % base];
				v /= base;
			} while (v);
			size_t k = 0;
			if (neg && pad == '0') {
				put(&o, '-');
				width--;
			} else if (neg) {
				tmp[k++] = '-';
			}
			while (n)
				tmp[k++] = rev[--n];
			put_padded(&o, tmp, k, width, left, pad);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
		}
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
