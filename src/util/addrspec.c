/* The address language of 'vmatlas addr' and the screen's 'a' prompt: one
 * parser, so the two read the same text the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* S is hex digits only, at most 16 of them after any leading zeros: *V. */
static bool hex_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return false;
	for (; *s; s++) {
		unsigned d = is_digit(*s) ? (unsigned)(*s - '0') : (unsigned)((*s | 0x20) - 'a' + 10);

		if (n >> 60)
			return false;
		n = n << 4 | d;
	}
	*v = n;
	return true;
}

int addr_spec_parse(const char *arg, struct addr_spec *s)
{
	const char *plus;

	memset(s, 0, sizeof(*s));
	if (!arg || !*arg)
		return -EINVAL;
	/* A number: hex, as /proc/PID/maps, pmap and the screen print it. */
	if (is_digit(arg[0])) {
		if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
			arg += 2;
		return hex_u64(arg, &s->addr) ? 0 : -EINVAL;
	}
	/* A name, C++ ones with their spaces and parameter lists; a "+" not
	 * followed by a digit belongs to it ("operator+", "operator++(int)"). */
	plus = strrchr(arg, '+');
	if (plus && !is_digit(plus[1]))
		plus = NULL;
	if (plus && (plus == arg || parse_u64(plus + 1, &s->off) < 0))
		return -EINVAL;
	s->name = plus ? strndup(arg, (size_t)(plus - arg)) : strdup(arg);
	if (!s->name)
		return -ENOMEM;
	s->hex_name = !plus && hex_u64(arg, &s->addr);
	return 0;
}

void addr_spec_free(struct addr_spec *s)
{
	free(s->name);
	s->name = NULL;
}
