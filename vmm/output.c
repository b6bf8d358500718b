/* Guest console output, line by line (vmm/output.h). */
#include "vmm/output.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/guest.h"

/* Emit the line V has gathered, prefixed with the guest's name (and the
 * vCPU's number for vCPUs other than 0). */
static void output_flush_vcpu(struct vcpu *v)
{
	if (!v->out_len)
		return;
	char sub[GUEST_NAME_MAX + 16];
	if (v->id)
		snprintf(sub, sizeof(sub), "guest %s/%u", v->guest->name, v->id);
	else
		snprintf(sub, sizeof(sub), "guest %s", v->guest->name);
	log_msg(sub, "%.*s", (int)v->out_len, v->out_line);
	v->out_len = 0;
}

void guest_output_flush(struct guest *g)
{
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		output_flush_vcpu(&g->vcpus[i]);
}

void guest_output(struct vcpu *v, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			if (!v->out_len)
				v->out_line[v->out_len++] = ' ';
			output_flush_vcpu(v);
			continue;
		}
		if (c == '\r')
			continue;
		/* Keep the console readable: non-printing bytes become '.' */
		if ((u8)c < 0x20 || (u8)c >= 0x7f)
			c = '.';
		v->out_line[v->out_len++] = c;
		if (v->out_len == GUEST_LINE_MAX)
			output_flush_vcpu(v);
	}
}
