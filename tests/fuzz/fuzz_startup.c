/*
 * libFuzzer target: the startup file (\pagoda\startup.txt), split into
 * lines as the console does (cmd_next_line) and each line parsed.
 * Checked: the lines handed out lie inside the file, in order, never
 * overlap, are never empty nor a lone CR, and none holds a newline; every
 * line parses or is refused with a reason.
 */
#include "tests/fuzz/fuzz.h"
#include "vmm/console/cmdparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd_line c;
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	u64 pos = 0;
	const char *line, *end_prev = text;
	size_t n;
	unsigned lines = 0;
	while (cmd_next_line(text, size, &pos, &line, &n)) {
		FUZZ_CHECK(line >= end_prev && n > 0 && line + n <= text + size);
		FUZZ_CHECK(!(n == 1 && line[0] == '\r') && memchr(line, '\n', n) == NULL);
		FUZZ_CHECK(pos <= size && text + pos >= line + n);
		end_prev = line + n;
		char err[80] = "";
		int r = cmd_parse(line, n, &c, err, sizeof(err));
		FUZZ_CHECK(r == 0 || (r == -E_INVAL && err[0]));
		FUZZ_CHECK(++lines <= size);
	}
	FUZZ_CHECK(pos == size);
	free(text);
	return 0;
}
