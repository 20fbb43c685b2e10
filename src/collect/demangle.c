/* C++ names, demangled with libiberty's callback demangler: it allocates
 * nothing (its tables are on the stack), so its output can be bounded by
 * leaving it from the callback. A name whose demangled form would pass the
 * bound (a "demangler bomb": a few hundred bytes of nested substitutions
 * that print as hundreds of megabytes) is shown mangled. */
#include "config.h"

#include <errno.h>
#include <libiberty/demangle.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/elfinfo.h"

/* Longest mangled name demangled: libiberty's tables take about 64 bytes
 * of stack per input byte. Its parser's nesting is bounded by its own
 * recursion limit (DEMANGLE_RECURSION_LIMIT, not disabled here). */
#define DEMANGLE_IN_MAX 4096
/* Longest demangled name; longer ones are shown mangled. */
#define DEMANGLE_OUT_MAX 65536

struct dm_state {
	jmp_buf stop;
	char *buf;           /* owned: the output so far (collect mode) */
	size_t len, cap;
	const char *want;    /* compare mode: the name sought, or NULL */
	size_t wantlen;
	int why;             /* what ended the walk early: DM_* */
};

enum { DM_TOO_LONG = 1, DM_NOMEM, DM_MISMATCH, DM_MATCH };

static void dm_stop(struct dm_state *d, int why)
{
	d->why = why;
	longjmp(d->stop, 1);
}

static void dm_collect(const char *s, size_t n, void *opaque)
{
	struct dm_state *d = opaque;

	if (n > DEMANGLE_OUT_MAX - d->len)
		dm_stop(d, DM_TOO_LONG);
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		char *b;

		while (cap < d->len + n + 1)
			cap *= 2;
		b = realloc(d->buf, cap);
		if (!b)
			dm_stop(d, DM_NOMEM);
		d->buf = b;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, s, n);
	d->len += n;
	d->buf[d->len] = '\0';
}

/* Compare the output with WANT as it comes: stop at the first difference,
 * or at the parameter list that may follow the whole of WANT. */
static void dm_compare(const char *s, size_t n, void *opaque)
{
	struct dm_state *d = opaque;

	for (size_t i = 0; i < n; i++, d->len++) {
		if (d->len == d->wantlen)
			dm_stop(d, s[i] == '(' ? DM_MATCH : DM_MISMATCH);
		if (s[i] != d->want[d->len])
			dm_stop(d, DM_MISMATCH);
	}
}

/* Run the demangler on RAW with callback CB; 0 when it finished, 1 when
 * the callback stopped it (D->why), -1 when RAW is not a valid name. D is
 * reached through a pointer only: nothing setjmp's caller keeps in
 * registers is changed after it. */
__attribute__((noinline)) static int dm_run(const char *raw, demangle_callbackref cb, struct dm_state *d)
{
	if (setjmp(d->stop))
		return 1;
	return cplus_demangle_v3_callback(raw, DMGL_PARAMS | DMGL_ANSI, cb, d) ? 0 : -1;
}

static bool dm_candidate(const char *raw)
{
	return raw[0] == '_' && raw[1] == 'Z' && strnlen(raw, DEMANGLE_IN_MAX + 1) <= DEMANGLE_IN_MAX;
}

char *elf_demangle(const char *raw)
{
	struct dm_state *d;
	char *out = NULL;
	int r;

	if (!dm_candidate(raw)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	r = dm_run(raw, dm_collect, d);
	if (r == 0 && d->buf) {
		out = d->buf;
		d->buf = NULL;
	} else {
		errno = r == 1 && d->why == DM_NOMEM ? ENOMEM : EINVAL;
	}
	free(d->buf);
	free(d);
	return out;
}

bool elf_demangled_is(const char *raw, const char *name)
{
	struct dm_state d = { .want = name };
	int r;

	if (!dm_candidate(raw))
		return false;
	d.wantlen = strlen(name);
	r = dm_run(raw, dm_compare, &d);
	if (r == 1)
		return d.why == DM_MATCH;
	return r == 0 && d.len == d.wantlen;
}
