/* Snapshot files read back into the model (schema: man/vmatlas-snapshot.5).
 * Everything in a file is untrusted: each value is checked for its type and
 * range, mappings for order and alignment, and page counts for adding up, so
 * that front ends can rely on the same invariants as with a live snapshot.
 * The first problem ends the read with one message that names the file, the
 * line (JSON Lines, or jansson's line and column) and the member's path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/cow.h"
#include "vmatlas/gzio.h"
#include "vmatlas/json.h"
#include "vmatlas/snapread.h"
#include "vmatlas/util.h"

struct rd {
	const char *place;        /* "FILE" or "FILE: line N" */
	struct snapread_error *err;
	char path[192];           /* member path: processes[0].mappings[3] */
	size_t plen;
	long page_size;
};

static int rd_fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_fail(struct rd *r, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err->msg, sizeof(r->err->msg), "%s: %s%s%s", r->place, r->path,
		 r->plen ? ": " : "", what);
	return -EINVAL;
}

static int oom(struct rd *r)
{
	snprintf(r->err->msg, sizeof(r->err->msg), "%s: out of memory", r->place);
	return -ENOMEM;
}

/* Append ".key" or "[i]" to the member path; returns the old length. */
static size_t rd_push(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t rd_push(struct rd *r, const char *fmt, ...)
{
	size_t old = r->plen;
	va_list ap;
	int n;

	if (r->plen >= sizeof(r->path) - 1)
		return old;
	va_start(ap, fmt);
	n = vsnprintf(r->path + r->plen, sizeof(r->path) - r->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->plen += (size_t)n < sizeof(r->path) - r->plen ? (size_t)n : sizeof(r->path) - r->plen - 1;
	/* A top-level member has no leading dot. */
	if (old == 0 && r->path[0] == '.') {
		memmove(r->path, r->path + 1, r->plen);
		r->plen--;
	}
	return old;
}

static void rd_pop(struct rd *r, size_t old)
{
	r->plen = old;
	r->path[old] = 0;
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* A short, printable rendering of a bad string value for a message. */
static void quote_value(const json_t *j, char *buf, size_t len)
{
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	char *e = escape_untrusted_n(s, n > 40 ? 40 : n);

	snprintf(buf, len, "\"%s%s\"", e ? e : "?", n > 40 ? "..." : "");
	free(e);
}

/* Member KEY of OBJ, entering it in the path (pop with rd_pop). NULL when
 * absent: an error if REQUIRED (the path then names the missing member). */
static json_t *rd_member(struct rd *r, const json_t *obj, const char *key,
			 bool required, size_t *old, int *err)
{
	json_t *j = json_object_get(obj, key);

	*old = rd_push(r, ".%s", key);
	*err = 0;
	if (!j && required)
		*err = rd_fail(r, "missing");
	return j;
}

static int rd_expect(struct rd *r, const json_t *j, json_type t, const char *what)
{
	if (json_typeof(j) == t)
		return 0;
	return rd_fail(r, "expected %s, found %s", what, type_name(j));
}

/* A non-negative integer no larger than MAX. */
static int rd_uint(struct rd *r, const json_t *j, uint64_t max, uint64_t *v)
{
	json_int_t i;

	if (!json_is_integer(j))
		return rd_fail(r, "expected an integer, found %s", type_name(j));
	i = json_integer_value(j);
	if (i < 0)
		return rd_fail(r, "negative number %" JSON_INTEGER_FORMAT, i);
	if ((uint64_t)i > max)
		return rd_fail(r, "%" JSON_INTEGER_FORMAT " is out of range (at most %" PRIu64 ")", i, max);
	*v = (uint64_t)i;
	return 0;
}

/* "0x" and 1 to 16 hex digits: the form out_json.c writes addresses in. */
static int rd_hex(struct rd *r, const json_t *j, uint64_t *v)
{
	const char *s;
	size_t n;
	uint64_t x = 0;
	char q[64];

	if (!json_is_string(j))
		return rd_fail(r, "expected a hex string (\"0x...\"), found %s", type_name(j));
	s = json_string_value(j);
	n = json_string_length(j);
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		goto bad;
	for (size_t i = 2; i < n; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			goto bad;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return 0;
bad:
	quote_value(j, q, sizeof(q));
	return rd_fail(r, "%s is not a hex string like \"0x7f0000\"", q);
}

/* A string (or, with NULLABLE, null: *out stays NULL); a copy in *OUT.
 * MAX bounds the length in bytes. */
static int rd_strdup(struct rd *r, const json_t *j, bool nullable, size_t max, char **out)
{
	*out = NULL;
	if (nullable && json_is_null(j))
		return 0;
	if (!json_is_string(j))
		return rd_fail(r, "expected a string%s, found %s", nullable ? " or null" : "",
			       type_name(j));
	if (json_string_length(j) > max)
		return rd_fail(r, "string of %zu bytes is too long (at most %zu)",
			       json_string_length(j), max);
	/* jansson rejects "\u0000" unless asked, so this is the whole string. */
	*out = strdup(json_string_value(j));
	return *out ? 0 : oom(r);
}

/* Convenience wrappers: read member KEY of OBJ into V. Absent and not
 * REQUIRED leaves V untouched and returns 0; *PRESENT says which. */
static int get_uint(struct rd *r, const json_t *o, const char *key, bool required,
		    uint64_t max, uint64_t *v, bool *present)
{
	size_t old;
	int e;
	json_t *j = rd_member(r, o, key, required, &old, &e);

	if (present)
		*present = j != NULL;
	if (j && !e)
		e = rd_uint(r, j, max, v);
	rd_pop(r, old);
	return e;
}

static int get_hex(struct rd *r, const json_t *o, const char *key, bool required, uint64_t *v)
{
	size_t old;
	int e;
	json_t *j = rd_member(r, o, key, required, &old, &e);

	if (j && !e)
		e = rd_hex(r, j, v);
	rd_pop(r, old);
	return e;
}

/* The exact bytes of a name that is not UTF-8: J is lowercase hex, two
 * digits a byte (man/vmatlas-snapshot.5, "Names that are not UTF-8").
 * Replaces *OUT. */
static int rd_hexbytes(struct rd *r, const json_t *j, size_t max, char **out)
{
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	char *b;

	if (!s)
		return rd_fail(r, "expected a string of hex digits, found %s", type_name(j));
	if (n % 2 || n / 2 > max)
		return rd_fail(r, "expected two hex digits a byte, at most %zu bytes", max);
	b = malloc(n / 2 + 1);
	if (!b)
		return oom(r);
	for (size_t i = 0; i < n; i += 2) {
		int hi = s[i], lo = s[i + 1];

		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(b);
			return rd_fail(r, hi < 0 || lo < 0 ? "not lowercase hex digits at offset %zu"
							   : "a NUL byte at offset %zu", i);
		}
		b[i / 2] = (char)(hi << 4 | lo);
	}
	b[n / 2] = 0;
	free(*out);
	*out = b;
	return 0;
}

/* A name member KEY; when KEY_hex is present, its bytes are the name. */
static int get_str(struct rd *r, const json_t *o, const char *key, bool required,
		   bool nullable, size_t max, char **v)
{
	char hkey[64];
	size_t old;
	int e;
	json_t *j = rd_member(r, o, key, required, &old, &e);

	if (j && !e)
		e = rd_strdup(r, j, nullable, max, v);
	rd_pop(r, old);
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	j = json_object_get(o, hkey);
	if (j && !e) {
		old = rd_push(r, ".%s", hkey);
		e = rd_hexbytes(r, j, max, v);
		rd_pop(r, old);
	}
	return e;
}

static int get_bool(struct rd *r, const json_t *o, const char *key, bool required, bool *v)
{
	size_t old;
	int e;
	json_t *j = rd_member(r, o, key, required, &old, &e);

	if (j && !e) {
		if (json_is_boolean(j))
			*v = json_is_true(j);
		else
			e = rd_fail(r, "expected true or false, found %s", type_name(j));
	}
	rd_pop(r, old);
	return e;
}

/* One character of /proc/PID/stat's state field. */
static int get_state(struct rd *r, const json_t *o, char *v)
{
	size_t old;
	int e;
	json_t *j = rd_member(r, o, "state", false, &old, &e);

	if (j) {
		if (!json_is_string(j) || json_string_length(j) != 1 ||
		    json_string_value(j)[0] < 'A' || json_string_value(j)[0] > 'z')
			e = rd_fail(r, "expected one letter such as \"S\"");
		else
			*v = json_string_value(j)[0] == '?' ? 0 : json_string_value(j)[0];
	}
	rd_pop(r, old);
	return e;
}

/* Member KEY, one of the names FROM_NAME knows (NAMES lists them for the
 * message), as its number in *V; *V is left alone when KEY is absent. */
static int get_name(struct rd *r, const json_t *o, const char *key, bool required,
		    int (*from_name)(const char *), const char *names, int *v)
{
	size_t old;
	int e;
	json_t *j = rd_member(r, o, key, required, &old, &e);

	if (j && !e) {
		int k = json_is_string(j) ? from_name(json_string_value(j)) : -1;
		if (k < 0) {
			char q[64];
			if (json_is_string(j))
				quote_value(j, q, sizeof(q));
			e = rd_fail(r, "unknown %s %s (%s)", key, json_is_string(j) ? q : type_name(j),
				    names);
		} else {
			*v = k;
		}
	}
	rd_pop(r, old);
	return e;
}

/* RFC 3339: 2026-11-21T00:12:12.345Z or with a numeric offset. */
static int parse_rfc3339(const char *s, struct timespec *ts)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	long nsec = 0;
	time_t t;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -EINVAL;
	p = s + n;
	if (*p == '.') {
		long scale = 100000000;
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9) {
				nsec += (*p - '0') * scale;
				scale /= 10;
			}
		if (digits == 0)
			return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
			return -EINVAL;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	ts->tv_sec = t - oh * 3600 - om * 60;
	ts->tv_nsec = nsec;
	return 0;
}

/* The members of O not in KNOWN (NULL-ended; KEY_hex of a known KEY is
 * known too) into *OUT as compact JSON, which the writer puts back: the
 * parts of a newer vmatlas survive a round trip through this one. */
static int rd_extra(struct rd *r, const json_t *o, const char *const *known, char **out)
{
	json_t *x = NULL, *v;
	const char *k;

	json_object_foreach((json_t *)o, k, v) {
		size_t i, n = strlen(k);

		for (i = 0; known[i]; i++) {
			size_t l = strlen(known[i]);

			if (strcmp(k, known[i]) == 0 ||
			    (n == l + 4 && strncmp(k, known[i], l) == 0 && strcmp(k + l, "_hex") == 0))
				break;
		}
		if (known[i])
			continue;
		if ((!x && !(x = json_object())) || json_object_set(x, k, v) < 0) {
			json_decref(x);
			return oom(r);
		}
	}
	if (!x)
		return 0;
	*out = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(x);
	return *out ? 0 : oom(r);
}

typedef int (*rd_item_fn)(struct rd *r, const json_t *item, void *elem, void *ctx);

/* A is an array of WHAT: allocate *OUT with one zeroed element of SIZE per
 * item (at least one, so that an empty array is told from a missing one)
 * and fill each with FN, its path entered. *N counts the elements handed
 * to FN so far, so that the caller's clean-up frees partly filled ones. */
static int rd_array(struct rd *r, const json_t *a, const char *what, size_t size,
		    void **out, size_t *n, rd_item_fn fn, void *ctx)
{
	size_t len;
	int e;

	if ((e = rd_expect(r, a, JSON_ARRAY, what)))
		return e;
	len = json_array_size(a);
	*out = calloc(len ? len : 1, size);
	if (!*out)
		return oom(r);
	for (size_t i = 0; i < len; i++) {
		size_t old = rd_push(r, "[%zu]", i);

		*n = i + 1;
		if ((e = fn(r, json_array_get(a, i), (char *)*out + i * size, ctx)))
			return e;
		rd_pop(r, old);
	}
	return 0;
}

static int read_pages(struct rd *r, const json_t *o, struct vm_mapping *m)
{
	static const struct { const char *key; unsigned bit; size_t off; } opt[] = {
		{ "exclusive", PC_EXCLUSIVE, offsetof(struct vm_page_counts, exclusive) },
		{ "file_or_shared", PC_FILE, offsetof(struct vm_page_counts, file_or_shared) },
		{ "soft_dirty", PC_SOFTDIRTY, offsetof(struct vm_page_counts, soft_dirty) },
		{ "thp", PC_THP, offsetof(struct vm_page_counts, thp) },
		{ "zero", PC_ZERO, offsetof(struct vm_page_counts, zero) },
	};
	struct vm_page_counts *c = &m->pages;
	uint64_t want = (m->end - m->start) / (uint64_t)r->page_size;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object of page counts")))
		return e;
	if ((e = get_uint(r, o, "total", true, UINT64_MAX, &c->total, NULL)))
		return e;
	if (c->total != want) {
		size_t old = rd_push(r, ".total");
		e = rd_fail(r, "%" PRIu64 " pages, but the mapping spans %" PRIu64, c->total, want);
		rd_pop(r, old);
		return e;
	}
	if ((e = get_uint(r, o, "resident", true, c->total, &c->resident, NULL)) ||
	    (e = get_uint(r, o, "swapped", true, c->total, &c->swapped, NULL)) ||
	    (e = get_uint(r, o, "not_present", true, c->total, &c->not_present, NULL)))
		return e;
	if (c->resident + c->swapped + c->not_present != c->total)
		return rd_fail(r, "resident + swapped + not_present = %" PRIu64 ", not total %" PRIu64,
			       c->resident + c->swapped + c->not_present, c->total);
	c->known = 0;
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		bool present;
		uint64_t *v = (uint64_t *)((char *)c + opt[i].off);

		if ((e = get_uint(r, o, opt[i].key, false, c->total, v, &present)))
			return e;
		if (present)
			c->known |= opt[i].bit;
	}
	if (c->zero > c->resident)
		return rd_fail(r, "zero (%" PRIu64 ") exceeds resident (%" PRIu64 ")", c->zero, c->resident);
	return 0;
}

static const uint8_t state_flags[PS__COUNT] = {
	[PS_NOT_PRESENT] = 0,
	[PS_RESIDENT] = PG_PRESENT,
	[PS_FILE] = PG_PRESENT | PG_FILE,
	[PS_ZERO] = PG_PRESENT | PG_ZERO,
	[PS_THP] = PG_PRESENT | PG_THP,
	[PS_SWAPPED] = PG_SWAPPED,
};

/* The runs' totals against the mapping's pages. */
static int runs_check(struct rd *r, const struct vm_mapping *m, uint64_t sum,
		      const uint64_t *by_state)
{
	if (sum != m->pages.total)
		return rd_fail(r, "runs cover %" PRIu64 " pages, the mapping has %" PRIu64, sum,
			       m->pages.total);
	if (by_state[PS_SWAPPED] != m->pages.swapped ||
	    by_state[PS_NOT_PRESENT] != m->pages.not_present)
		return rd_fail(r, "runs disagree with pages: %" PRIu64 " swapped and %" PRIu64
			       " not present, pages says %" PRIu64 " and %" PRIu64,
			       by_state[PS_SWAPPED], by_state[PS_NOT_PRESENT], m->pages.swapped,
			       m->pages.not_present);
	return 0;
}

/* Schema version 2: "r7n...", a decimal count (1 when left out) before
 * each state's letter. */
static int read_runs_text(struct rd *r, const json_t *j, struct vm_mapping *m)
{
	const char *s = json_string_value(j);
	size_t len = json_string_length(j), i = 0, cap = 0;
	uint64_t sum = 0, by_state[PS__COUNT] = { 0 };

	while (i < len) {
		size_t at = i;
		uint64_t cnt = 1;
		bool digits = false;
		int st;

		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			uint64_t d = (uint64_t)(s[i] - '0');

			if (!digits)
				cnt = 0;
			digits = true;
			if (cnt > (UINT64_MAX - d) / 10)
				return rd_fail(r, "character %zu: a count beyond 64 bits", at);
			cnt = cnt * 10 + d;
		}
		if (i == len)
			return rd_fail(r, "character %zu: a count without its state letter", at);
		st = vm_page_state_from_letter((unsigned char)s[i]);
		if (st < 0)
			return rd_fail(r, "character %zu: unknown page state letter '%c' (n, r, f, z, h "
				       "or s)", i, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
		i++;
		if (cnt == 0)
			return rd_fail(r, "character %zu: a run of 0 pages", at);
		if (cnt > m->pages.total - sum)
			return rd_fail(r, "character %zu: runs cover more than the mapping's %" PRIu64
				       " pages", at, m->pages.total);
		sum += cnt;
		by_state[st] += cnt;
		if (vm_runs_append(&m->runs, &m->nruns, &cap, state_flags[st], cnt) < 0)
			return oom(r);
	}
	return runs_check(r, m, sum, by_state);
}

static int read_runs(struct rd *r, const json_t *a, struct vm_mapping *m)
{
	uint64_t sum = 0, by_state[PS__COUNT] = { 0 };
	size_t n, i, cap = 0;
	int e;

	if (json_is_string(a))
		return read_runs_text(r, a, m);
	/* Schema version 1: [[STATE, COUNT], ...]. */
	if ((e = rd_expect(r, a, JSON_ARRAY, "a string of runs (\"r7n\") or an array of "
			   "[STATE, COUNT]")))
		return e;
	n = json_array_size(a);
	for (i = 0; i < n; i++) {
		json_t *it = json_array_get(a, i);
		size_t old = rd_push(r, "[%zu]", i);
		uint64_t cnt;
		int st;

		if (!json_is_array(it) || json_array_size(it) != 2 ||
		    !json_is_string(json_array_get(it, 0))) {
			e = rd_fail(r, "expected [STATE, COUNT] such as [\"resident\", 3]");
			goto out;
		}
		st = vm_page_state_from_name(json_string_value(json_array_get(it, 0)));
		if (st < 0) {
			char q[64];
			quote_value(json_array_get(it, 0), q, sizeof(q));
			e = rd_fail(r, "unknown page state %s", q);
			goto out;
		}
		rd_push(r, "[1]");
		if ((e = rd_uint(r, json_array_get(it, 1), UINT64_MAX, &cnt)))
			goto out;
		if (cnt == 0 || cnt > m->pages.total - sum) {
			e = cnt ? rd_fail(r, "runs cover more than the mapping's %" PRIu64 " pages",
					  m->pages.total)
				: rd_fail(r, "a run of 0 pages");
			goto out;
		}
		rd_pop(r, old);
		sum += cnt;
		by_state[st] += cnt;
		/* Neighbours with the same state merge: the array may not be
		 * longer than the pages it describes. */
		if ((e = vm_runs_append(&m->runs, &m->nruns, &cap, state_flags[st], cnt)) < 0)
			return oom(r);
	}
	return runs_check(r, m, sum, by_state);
out:
	return e;
}

static int read_section(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_section *sec = elem;
	const struct vm_mapping *m = ctx;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object")) ||
	    (e = get_str(r, o, "name", true, false, 4096, &sec->name)) ||
	    (e = get_hex(r, o, "start", true, &sec->start)) ||
	    (e = get_hex(r, o, "end", true, &sec->end)))
		return e;
	if (sec->start > sec->end || sec->start < m->start || sec->end > m->end)
		return rd_fail(r, "section 0x%" PRIx64 "-0x%" PRIx64 " is not within its mapping",
			       sec->start, sec->end);
	return 0;
}

static int read_dev(struct rd *r, const json_t *o, struct vm_mapping *m)
{
	size_t old;
	int e, n = 0;
	json_t *j = rd_member(r, o, "dev", true, &old, &e);
	unsigned maj, min;
	char q[64];

	if (j && !e) {
		const char *s = json_string_value(j);
		if (!s || sscanf(s, "%5x:%5x%n", &maj, &min, &n) != 2 || (size_t)n != json_string_length(j) ||
		    s[0] == '-' || s[0] == '+' || strchr(s, ' ') || maj > 0xfff || min > 0xfffff) {
			if (s)
				quote_value(j, q, sizeof(q));
			e = rd_fail(r, "expected \"MAJOR:MINOR\" in hex such as \"fd:01\", found %s",
				    s ? q : type_name(j));
		} else {
			m->dev_major = maj;
			m->dev_minor = min;
		}
	}
	rd_pop(r, old);
	return e;
}

static const char *const mapping_members[] = {
	"start", "end", "perms", "offset", "dev", "inode", "path", "deleted", "kind", "unread",
	"pages", "sections", "runs", NULL,
};

/* CTX: the end of the previous mapping, updated. */
static int read_mapping(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_mapping *m = elem;
	uint64_t *prev_end = ctx;
	size_t old;
	json_t *j;
	int e, k = 0;
	uint64_t pmask = (uint64_t)r->page_size - 1;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a mapping object")) ||
	    (e = get_hex(r, o, "start", true, &m->start)) ||
	    (e = get_hex(r, o, "end", true, &m->end)))
		return e;
	if (m->start >= m->end)
		return rd_fail(r, "start 0x%" PRIx64 " is not below end 0x%" PRIx64, m->start, m->end);
	if ((m->start & pmask) || (m->end & pmask))
		return rd_fail(r, "0x%" PRIx64 "-0x%" PRIx64 " is not aligned to the page size %ld",
			       m->start, m->end, r->page_size);
	if (m->start < *prev_end)
		return rd_fail(r, "starts at 0x%" PRIx64 ", below the end of the previous mapping "
			       "(0x%" PRIx64 "): mappings must be sorted and not overlap",
			       m->start, *prev_end);
	*prev_end = m->end;

	j = rd_member(r, o, "perms", true, &old, &e);
	if (j && !e) {
		const char *p = json_string_value(j);
		if (!p || json_string_length(j) != 4 || (p[0] != 'r' && p[0] != '-') ||
		    (p[1] != 'w' && p[1] != '-') || (p[2] != 'x' && p[2] != '-') ||
		    (p[3] != 'p' && p[3] != 's'))
			e = rd_fail(r, "expected permissions such as \"r-xp\"");
		else
			memcpy(m->perms, p, 5);
	}
	rd_pop(r, old);
	if (e)
		return e;
	if ((e = get_hex(r, o, "offset", true, &m->offset)) || (e = read_dev(r, o, m)))
		return e;

	j = rd_member(r, o, "inode", true, &old, &e);
	if (j && !e) {
		/* The writer stores the 64-bit inode as a JSON integer:
		 * numbers above 2^63 (overlayfs xino sets high bits) come
		 * back negative and are taken as the same 64 bits. */
		if (!json_is_integer(j))
			e = rd_fail(r, "expected an integer, found %s", type_name(j));
		else
			m->inode = (uint64_t)json_integer_value(j);
	}
	rd_pop(r, old);
	if (e)
		return e;
	if ((e = get_str(r, o, "path", true, false, 65536, &m->path)) ||
	    (e = get_bool(r, o, "deleted", false, &m->deleted)))
		return e;

	if ((e = get_name(r, o, "kind", true, vm_kind_from_name,
			  "text, rodata, data, bss, heap, stack, anon, file, shm, vdso, vvar, "
			  "vsyscall, guard, reserved or other", &k)))
		return e;
	m->kind = (enum vm_kind)k;
	k = VU_READ;
	if ((e = get_name(r, o, "unread", false, vm_unread_from_name, "remote or timeout", &k)))
		return e;
	m->unread = (enum vm_unread)k;

	j = rd_member(r, o, "pages", true, &old, &e);
	if (j && !e)
		e = read_pages(r, j, m);
	rd_pop(r, old);
	if (e)
		return e;

	j = rd_member(r, o, "sections", false, &old, &e);
	if (j)
		e = rd_array(r, j, "an array of sections", sizeof(*m->sections),
			     (void **)&m->sections, &m->nsections, read_section, m);
	rd_pop(r, old);
	if (e)
		return e;

	j = rd_member(r, o, "runs", false, &old, &e);
	if (j)
		e = read_runs(r, j, m);
	rd_pop(r, old);
	if (e)
		return e;
	return rd_extra(r, o, mapping_members, &m->extra);
}

static int read_mm(struct rd *r, const json_t *o, struct vm_mm *mm)
{
	int e;

	if (json_is_null(o)) {
		mm->valid = false;
		return 0;
	}
	if ((e = rd_expect(r, o, JSON_OBJECT, "an object or null")) ||
	    (e = get_hex(r, o, "start_code", true, &mm->start_code)) ||
	    (e = get_hex(r, o, "end_code", true, &mm->end_code)) ||
	    (e = get_hex(r, o, "start_data", true, &mm->start_data)) ||
	    (e = get_hex(r, o, "end_data", true, &mm->end_data)) ||
	    (e = get_hex(r, o, "start_brk", true, &mm->start_brk)) ||
	    (e = get_hex(r, o, "brk", true, &mm->brk)) ||
	    (e = get_hex(r, o, "start_stack", true, &mm->start_stack)) ||
	    (e = get_hex(r, o, "arg_start", true, &mm->arg_start)) ||
	    (e = get_hex(r, o, "arg_end", true, &mm->arg_end)) ||
	    (e = get_hex(r, o, "env_start", true, &mm->env_start)) ||
	    (e = get_hex(r, o, "env_end", true, &mm->env_end)))
		return e;
	mm->valid = true;
	return 0;
}

static int read_frame(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_frame *fr = elem;
	json_t *src;
	size_t old;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a frame object")) ||
	    (e = get_hex(r, o, "pc", true, &fr->pc)) ||
	    (e = get_str(r, o, "symbol", false, true, 65536, &fr->symbol)) ||
	    (e = get_hex(r, o, "offset", false, &fr->offset)) ||
	    (e = get_str(r, o, "object", false, true, 65536, &fr->object)) ||
	    (e = get_bool(r, o, "guessed", false, &fr->guessed)))
		return e;
	src = rd_member(r, o, "source", false, &old, &e);
	if (src && !json_is_null(src)) {
		uint64_t line = 0;

		if ((e = rd_expect(r, src, JSON_OBJECT, "a source object or null")) ||
		    (e = get_str(r, src, "file", true, false, 65536, &fr->source_file)) ||
		    (e = get_uint(r, src, "line", true, UINT_MAX, &line, NULL)))
			return e;
		fr->source_line = (unsigned)line;
	}
	rd_pop(r, old);
	return 0;
}

static int read_thread(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_thread *th = elem;
	uint64_t tid = 0;
	size_t old;
	json_t *j;
	int e, end = UNWIND_END_OUTERMOST;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a thread object")) ||
	    (e = get_uint(r, o, "tid", true, INT_MAX, &tid, NULL)) ||
	    (e = get_str(r, o, "name", false, true, 4096, &th->name)) ||
	    (e = get_state(r, o, &th->state)) ||
	    (e = get_hex(r, o, "sp", false, &th->sp)) ||
	    (e = get_name(r, o, "unwind_end", false, vm_unwind_end_from_name,
			  "depth, no_unwind_info, no_progress or budget", &end)))
		return e;
	th->tid = (pid_t)tid;
	th->end = (enum vm_unwind_end)end;
	j = rd_member(r, o, "frames", false, &old, &e);
	if (j && (e = rd_array(r, j, "an array of frames", sizeof(*th->frames),
			       (void **)&th->frames, &th->nframes, read_frame, NULL)))
		return e;
	rd_pop(r, old);
	return 0;
}

/* The document's totals must be what its mappings add up to. */
static int check_totals(struct rd *r, const json_t *o, const struct vm_process *p)
{
	const struct vm_totals *t = &p->totals;
	const char *key;
	json_t *v, *bk;
	uint64_t x;
	size_t old;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object")))
		return e;
#define CHK(obj, name, want)                                                          \
	do {                                                                          \
		if ((e = get_uint(r, obj, name, true, UINT64_MAX, &x, NULL)))          \
			return e;                                                     \
		if (x != (want)) {                                                    \
			old = rd_push(r, "." name);                                   \
			return rd_fail(r, "%" PRIu64 ", but the mappings add up to %" PRIu64, \
				       x, (uint64_t)(want));                          \
		}                                                                     \
	} while (0)
	CHK(o, "virtual_kb", t->virtual_kb);
	CHK(o, "resident_kb", t->resident_kb);
	CHK(o, "swapped_kb", t->swapped_kb);
	bk = rd_member(r, o, "by_kind", false, &old, &e);
	if (bk) {
		size_t o2;

		if ((e = rd_expect(r, bk, JSON_OBJECT, "an object")))
			return e;
		json_object_foreach(bk, key, v) {
			int k = vm_kind_from_name(key);

			if (k < 0)
				continue; /* a newer kind: nothing to compare with */
			o2 = rd_push(r, ".%s", key);
			if ((e = rd_expect(r, v, JSON_OBJECT, "an object")))
				return e;
			CHK(v, "virtual_kb", t->by_kind[k].virtual_kb);
			CHK(v, "resident_kb", t->by_kind[k].resident_kb);
			CHK(v, "swapped_kb", t->by_kind[k].swapped_kb);
			rd_pop(r, o2);
		}
		for (int k = 0; k < VK__COUNT; k++)
			if (t->by_kind[k].virtual_kb && !json_object_get(bk, vm_kind_name(k)))
				return rd_fail(r, "has no \"%s\", but mappings of that kind exist",
					       vm_kind_name(k));
	}
	rd_pop(r, old);
#undef CHK
	return 0;
}

static int read_cmdarg(struct rd *r, const json_t *j, void *elem, void *ctx)
{
	return rd_strdup(r, j, false, 1 << 20, elem);
}

static const char *const process_members[] = {
	"pid", "ppid", "state", "comm", "exe", "cmdline", "mm", "mappings", "totals", "threads", NULL,
};

static int read_process(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_process *p = elem;
	json_t *j;
	size_t old;
	uint64_t v, prev_end = 0;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a process object")))
		return e;
	if ((e = get_uint(r, o, "pid", true, INT_MAX, &v, NULL)))
		return e;
	p->pid = (pid_t)v;
	v = 0;
	if ((e = get_uint(r, o, "ppid", false, INT_MAX, &v, NULL)))
		return e;
	p->ppid = (pid_t)v;
	if ((e = get_state(r, o, &p->state)) ||
	    (e = get_str(r, o, "comm", true, true, 4096, &p->comm)) ||
	    (e = get_str(r, o, "exe", false, true, 65536, &p->exe)))
		return e;

	j = rd_member(r, o, "cmdline", false, &old, &e);
	if (j && (e = rd_array(r, j, "an array of strings", sizeof(*p->cmdline),
			       (void **)&p->cmdline, &p->ncmdline, read_cmdarg, NULL)))
		return e;
	rd_pop(r, old);
	j = rd_member(r, o, "cmdline_hex", false, &old, &e);
	if (j) {
		/* Exact bytes of the arguments that are not UTF-8, null for
		 * the others. */
		if (!json_is_array(j) || json_array_size(j) != p->ncmdline)
			return rd_fail(r, "expected an array as long as cmdline (%zu)", p->ncmdline);
		for (size_t i = 0; i < p->ncmdline; i++) {
			json_t *h = json_array_get(j, i);
			size_t o2 = rd_push(r, "[%zu]", i);

			if (!json_is_null(h) && (e = rd_hexbytes(r, h, 1 << 20, &p->cmdline[i])))
				return e;
			rd_pop(r, o2);
		}
	}
	rd_pop(r, old);

	j = rd_member(r, o, "mm", false, &old, &e);
	if (j)
		e = read_mm(r, j, &p->mm);
	rd_pop(r, old);
	if (e)
		return e;

	j = rd_member(r, o, "mappings", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of mappings", sizeof(*p->maps), (void **)&p->maps,
			       &p->nmaps, read_mapping, &prev_end)))
		return e;
	rd_pop(r, old);
	vm_process_compute_totals(p, r->page_size);

	j = rd_member(r, o, "totals", false, &old, &e);
	if (j)
		e = check_totals(r, j, p);
	if (e)
		return e;
	rd_pop(r, old);

	j = rd_member(r, o, "threads", false, &old, &e);
	if (j)
		e = rd_array(r, j, "an array of threads", sizeof(*p->threads),
			     (void **)&p->threads, &p->nthreads, read_thread, NULL);
	if (e)
		return e;
	rd_pop(r, old);
	return rd_extra(r, o, process_members, &p->extra);
}

static int read_host(struct rd *r, const json_t *o, struct vm_host *h)
{
	char *s = NULL;
	uint64_t ps;
	bool present;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object")))
		return e;
	if ((e = get_str(r, o, "kernel", false, true, sizeof(h->kernel) - 1, &s)))
		return e;
	snprintf(h->kernel, sizeof(h->kernel), "%s", s ? s : "");
	free(s);
	s = NULL;
	if ((e = get_str(r, o, "machine", false, true, sizeof(h->machine) - 1, &s)))
		return e;
	snprintf(h->machine, sizeof(h->machine), "%s", s ? s : "");
	free(s);
	if ((e = get_uint(r, o, "page_size", true, 1 << 20, &ps, NULL)))
		return e;
	if (ps < 1024 || (ps & (ps - 1))) {
		size_t old = rd_push(r, ".page_size");
		e = rd_fail(r, "%" PRIu64 " is not a page size (a power of two, 1 KiB to 1 MiB)", ps);
		rd_pop(r, old);
		return e;
	}
	h->page_size = (long)ps;
	r->page_size = (long)ps;
	if ((e = get_bool(r, o, "pfn_visible", true, &h->pfn_visible)) ||
	    (e = get_uint(r, o, "swap_total_kb", false, UINT64_MAX, &h->swap_total_kb, &present)))
		return e;
	h->swap_total_known = present;
	return 0;
}

/* ---- the family object (vmatlas family) ----------------------------------- */

#define FAMILY_MAX_KB (UINT64_C(1) << 50)

static int get_pid(struct rd *r, const json_t *o, const char *key, pid_t *pid)
{
	uint64_t v = 0;
	int e = get_uint(r, o, key, true, INT32_MAX, &v, NULL);

	*pid = (pid_t)v;
	return e;
}

static int read_family_proc(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_family_proc *p = elem;
	uint64_t depth = 0;
	bool has_s = false, has_d = false;
	int e;

	(void)ctx;
	if ((e = rd_expect(r, o, JSON_OBJECT, "a process object")) ||
	    (e = get_pid(r, o, "pid", &p->pid)) || (e = get_pid(r, o, "ppid", &p->ppid)) ||
	    (e = get_uint(r, o, "depth", true, 4096, &depth, NULL)) ||
	    (e = get_str(r, o, "comm", true, false, 64, &p->comm)) ||
	    (e = get_str(r, o, "title", true, false, 1 << 20, &p->title)) ||
	    (e = get_uint(r, o, "rss_kb", true, FAMILY_MAX_KB, &p->rss_kb, NULL)) ||
	    (e = get_uint(r, o, "pss_kb", true, FAMILY_MAX_KB, &p->pss_kb, NULL)) ||
	    (e = get_uint(r, o, "uss_kb", true, FAMILY_MAX_KB, &p->uss_kb, NULL)) ||
	    (e = get_uint(r, o, "swap_kb", true, FAMILY_MAX_KB, &p->swap_kb, NULL)) ||
	    (e = get_uint(r, o, "swap_pss_kb", true, FAMILY_MAX_KB, &p->swap_pss_kb, NULL)) ||
	    (e = get_uint(r, o, "shared_with_parent_kb", false, FAMILY_MAX_KB, &p->shared_kb, &has_s)) ||
	    (e = get_uint(r, o, "diverged_from_parent_kb", false, FAMILY_MAX_KB, &p->diverged_kb,
			  &has_d)))
		return e;
	p->depth = (unsigned)depth;
	if (has_s != has_d)
		return rd_fail(r, "shared_with_parent_kb and diverged_from_parent_kb come together");
	p->has_parent = has_s;
	if (p->pss_kb > p->rss_kb || p->uss_kb > p->rss_kb)
		return rd_fail(r, "pss_kb and uss_kb cannot exceed rss_kb");
	return 0;
}

static int read_family_share(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_family_share *sh = elem;
	int e;

	(void)ctx;
	if ((e = rd_expect(r, o, JSON_OBJECT, "an object")) || (e = get_pid(r, o, "pid", &sh->pid)) ||
	    (e = get_uint(r, o, "shared_kb", true, FAMILY_MAX_KB, &sh->shared_kb, NULL)) ||
	    (e = get_uint(r, o, "diverged_kb", true, FAMILY_MAX_KB, &sh->diverged_kb, NULL)))
		return e;
	return 0;
}

static int read_family_mapping(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_family_mapping *m = elem;
	uint64_t *last = ctx;
	int kind = VK_OTHER, e;
	size_t old;
	json_t *j;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a mapping object")) ||
	    (e = get_hex(r, o, "start", true, &m->start)) || (e = get_hex(r, o, "end", true, &m->end)) ||
	    (e = get_str(r, o, "path", true, false, 1 << 16, &m->path)) ||
	    (e = get_name(r, o, "kind", true, vm_kind_from_name, "text, heap, anon, ...", &kind)))
		return e;
	m->kind = (enum vm_kind)kind;
	if (m->end <= m->start || (*last && m->start < *last))
		return rd_fail(r, "mappings must be in address order, each with start < end");
	*last = m->end;
	j = rd_member(r, o, "processes", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of processes", sizeof(*m->procs), (void **)&m->procs,
			       &m->nprocs, read_family_share, NULL)))
		return e;
	rd_pop(r, old);
	return 0;
}

static int read_family(struct rd *r, const json_t *o, struct vm_family *f)
{
	const char *prec;
	uint64_t last = 0;
	size_t old;
	json_t *j, *a;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object")) || (e = get_pid(r, o, "root", &f->root)) ||
	    (e = get_uint(r, o, "footprint_kb", true, FAMILY_MAX_KB, &f->footprint_kb, NULL)) ||
	    (e = get_uint(r, o, "rss_sum_kb", true, FAMILY_MAX_KB, &f->rss_sum_kb, NULL)))
		return e;
	j = rd_member(r, o, "precision", true, &old, &e);
	if (e)
		return e;
	prec = json_string_value(j);
	if (!prec || (strcmp(prec, "pfn") != 0 && strcmp(prec, "estimate") != 0))
		return rd_fail(r, "expected \"pfn\" or \"estimate\"");
	f->pfn = prec[0] == 'p';
	rd_pop(r, old);

	j = rd_member(r, o, "processes", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of processes", sizeof(*f->procs), (void **)&f->procs,
			       &f->nprocs, read_family_proc, NULL)))
		return e;
	rd_pop(r, old);

	/* [[1, kB], [2, kB], ...]: k counts up from 1, one per process. */
	a = rd_member(r, o, "sharing", true, &old, &e);
	if (e || (e = rd_expect(r, a, JSON_ARRAY, "an array of [k, kB] pairs")))
		return e;
	if (json_array_size(a) > f->nprocs)
		return rd_fail(r, "more entries than processes");
	f->sharing_kb = calloc(json_array_size(a) + 1, sizeof(*f->sharing_kb));
	if (!f->sharing_kb)
		return oom(r);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *pair = json_array_get(a, i);
		size_t o2 = rd_push(r, "[%zu]", i);
		uint64_t k = 0;

		if (!json_is_array(pair) || json_array_size(pair) != 2)
			return rd_fail(r, "expected [k, kB]");
		if ((e = rd_uint(r, json_array_get(pair, 0), f->nprocs, &k)))
			return e;
		if (k != i + 1)
			return rd_fail(r, "k must count up from 1");
		if ((e = rd_uint(r, json_array_get(pair, 1), FAMILY_MAX_KB, &f->sharing_kb[i])))
			return e;
		f->nsharing = i + 1;
		rd_pop(r, o2);
	}
	rd_pop(r, old);

	j = rd_member(r, o, "mappings", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of mappings", sizeof(*f->maps), (void **)&f->maps,
			       &f->nmaps, read_family_mapping, &last)))
		return e;
	rd_pop(r, old);
	return 0;
}

static const char *const document_members[] = {
	"format", "version", "taken_at", "generator", "host", "live", "frozen_ms", "processes",
	"cow", "trigger", "family", NULL,
};

/* What took a snapshot of a launch: {"event": "exit", "pid": 12}. */
static int read_trigger(struct rd *r, const json_t *o, struct vm_snapshot *s)
{
	uint64_t pid = 0;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "an object such as {\"event\": \"exit\"}")) ||
	    (e = get_str(r, o, "event", true, false, 64, &s->trigger)) ||
	    (e = get_uint(r, o, "pid", false, INT_MAX, &pid, NULL)))
		return e;
	s->trigger_pid = (pid_t)pid;
	return 0;
}

/* ---- copy-on-write pairs ("cow") ------------------------------------- */

static int read_cow_counts(struct rd *r, const json_t *o, struct vm_cow_counts *c)
{
	int e;

	if ((e = get_uint(r, o, "shared", true, UINT64_MAX >> 8, &c->shared, NULL)) ||
	    (e = get_uint(r, o, "diverged", true, UINT64_MAX >> 8, &c->diverged, NULL)) ||
	    (e = get_uint(r, o, "parent_only", true, UINT64_MAX >> 8, &c->parent_only, NULL)) ||
	    (e = get_uint(r, o, "child_only", true, UINT64_MAX >> 8, &c->child_only, NULL)) ||
	    (e = get_uint(r, o, "neither", true, UINT64_MAX >> 8, &c->neither, NULL)))
		return e;
	return 0;
}

static uint64_t cow_count_of(const struct vm_cow_counts *c, int st)
{
	switch (st) {
	case COW_SHARED: return c->shared;
	case COW_DIVERGED: return c->diverged;
	case COW_PARENT_ONLY: return c->parent_only;
	case COW_CHILD_ONLY: return c->child_only;
	default: return c->neither;
	}
}

/* [["shared", 3], ["diverged", 1], ...]: covering the mapping's pages and
 * agreeing with its counts. */
static int read_cow_runs(struct rd *r, const json_t *a, struct vm_cow_mapping *m)
{
	uint64_t total = vm_cow_counts_total(&m->counts), sum = 0, by[COW__COUNT] = { 0 };
	size_t cap = 0;
	int e;

	if (json_is_string(a)) {
		/* "5s2d3n": a count (left out when 1) before each state's letter. */
		static const char letters[COW__COUNT + 1] = {
			[COW_NEITHER] = 'n', [COW_SHARED] = 's', [COW_DIVERGED] = 'd',
			[COW_PARENT_ONLY] = 'p', [COW_CHILD_ONLY] = 'c',
		};
		const char *t = json_string_value(a), *l;
		size_t len = json_string_length(a), i = 0;

		while (i < len) {
			size_t at = i;
			uint64_t cnt = 0;
			bool digits = false;

			for (; i < len && t[i] >= '0' && t[i] <= '9'; i++, digits = true) {
				if (cnt > (UINT64_MAX - 9) / 10)
					return rd_fail(r, "character %zu: a count beyond 64 bits", at);
				cnt = cnt * 10 + (uint64_t)(t[i] - '0');
			}
			if (!digits)
				cnt = 1;
			if (i == len || !t[i] || !(l = strchr(letters, t[i])))
				return rd_fail(r, "character %zu: expected a state letter (s, d, p, c or n)", i);
			i++;
			if (cnt == 0 || cnt > total - sum)
				return cnt ? rd_fail(r, "character %zu: runs cover more than the mapping's %"
						     PRIu64 " pages", at, total)
					   : rd_fail(r, "character %zu: a run of 0 pages", at);
			sum += cnt;
			by[l - letters] += cnt;
			if (vm_runs_append(&m->runs, &m->nruns, &cap, (uint8_t)(l - letters), cnt) < 0)
				return oom(r);
		}
		goto check;
	}
	/* Schema version 1: [["shared", 3], ...]. */
	if ((e = rd_expect(r, a, JSON_ARRAY, "a string of runs (\"5s2d\") or an array of [STATE, COUNT]")))
		return e;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *it = json_array_get(a, i);
		const char *name = json_string_value(json_array_get(it, 0));
		size_t old = rd_push(r, "[%zu]", i);
		uint64_t cnt;
		int st;

		for (st = 0; name && st < COW__COUNT; st++)
			if (strcmp(name, cow_state_name((enum cow_state)st)) == 0)
				break;
		if (!json_is_array(it) || json_array_size(it) != 2 || !name || st == COW__COUNT)
			return rd_fail(r, "expected [STATE, COUNT] with STATE one of shared, diverged, "
				       "parent_only, child_only, neither");
		rd_push(r, "[1]");
		if ((e = rd_uint(r, json_array_get(it, 1), UINT64_MAX, &cnt)))
			return e;
		if (cnt == 0 || cnt > total - sum)
			return cnt ? rd_fail(r, "runs cover more than the mapping's %" PRIu64 " pages", total)
				   : rd_fail(r, "a run of 0 pages");
		rd_pop(r, old);
		sum += cnt;
		by[st] += cnt;
		if (vm_runs_append(&m->runs, &m->nruns, &cap, (uint8_t)st, cnt) < 0)
			return oom(r);
	}
check:
	if (sum != total)
		return rd_fail(r, "runs cover %" PRIu64 " pages, the mapping has %" PRIu64, sum, total);
	for (int st = 0; st < COW__COUNT; st++)
		if (by[st] != cow_count_of(&m->counts, st))
			return rd_fail(r, "runs have %" PRIu64 " %s pages, the counts say %" PRIu64, by[st],
				       cow_state_name((enum cow_state)st), cow_count_of(&m->counts, st));
	return 0;
}

/* CTX: the end of the previous mapping, updated. */
static int read_cow_mapping(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	struct vm_cow_mapping *m = elem;
	uint64_t *prev_end = ctx, pmask = (uint64_t)r->page_size - 1;
	size_t old;
	json_t *j;
	int e, k = 0;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a mapping object")) ||
	    (e = get_hex(r, o, "start", true, &m->start)) ||
	    (e = get_hex(r, o, "end", true, &m->end)))
		return e;
	if (m->start >= m->end || (m->start & pmask) || (m->end & pmask) || m->start < *prev_end)
		return rd_fail(r, "0x%" PRIx64 "-0x%" PRIx64 " is not a page-aligned range above the "
			       "previous one", m->start, m->end);
	*prev_end = m->end;
	if ((e = get_str(r, o, "path", true, false, 65536, &m->path)) ||
	    (e = get_name(r, o, "kind", true, vm_kind_from_name, "text, rodata, data, bss, heap, "
			  "stack, anon, file, shm, vdso, vvar, vsyscall, guard, reserved or other", &k)) ||
	    (e = read_cow_counts(r, o, &m->counts)))
		return e;
	m->kind = (enum vm_kind)k;
	if (vm_cow_counts_total(&m->counts) != (m->end - m->start) / (uint64_t)r->page_size)
		return rd_fail(r, "the counts add up to %" PRIu64 " pages, but the range spans %" PRIu64,
			       vm_cow_counts_total(&m->counts), (m->end - m->start) / (uint64_t)r->page_size);
	j = rd_member(r, o, "runs", false, &old, &e);
	if (j && (e = read_cow_runs(r, j, m)))
		return e;
	rd_pop(r, old);
	return 0;
}

/* CTX: the snapshot, whose processes the pair must name. */
static int read_cow_pair(struct rd *r, const json_t *o, void *elem, void *ctx)
{
	const struct vm_snapshot *s = ctx;
	struct vm_cow_pair *c = elem;
	struct vm_cow_counts sum = { 0 };
	uint64_t parent, child, prev_end = 0;
	const char *prec;
	size_t old;
	json_t *j;
	int e;

	if ((e = rd_expect(r, o, JSON_OBJECT, "a pair object")) ||
	    (e = get_uint(r, o, "parent", true, INT_MAX, &parent, NULL)) ||
	    (e = get_uint(r, o, "child", true, INT_MAX, &child, NULL)))
		return e;
	c->parent = (pid_t)parent;
	c->child = (pid_t)child;
	j = rd_member(r, o, "relation", false, &old, &e);
	if (j) {
		int k;

		for (k = COW_REL_CHILD; k <= COW_REL_UNRELATED; k++)
			if (json_is_string(j) && strcmp(json_string_value(j), vm_cow_relation_name(k)) == 0)
				break;
		if (k > COW_REL_UNRELATED)
			return rd_fail(r, "expected child, descendant, ancestor, kin or unrelated");
		c->relation = (enum vm_cow_relation)k;
	}
	rd_pop(r, old);
	if (c->relation == COW_REL_KIN) {
		uint64_t anc;

		if ((e = get_uint(r, o, "ancestor", true, INT_MAX, &anc, NULL)))
			return e;
		c->ancestor = (pid_t)anc;
	}
	for (int side = 0; side < 2; side++) {
		pid_t pid = side ? c->child : c->parent;
		size_t i;

		for (i = 0; i < s->nprocs && s->procs[i].pid != pid; i++)
			;
		if (i == s->nprocs)
			return rd_fail(r, "%s %d is not among the processes", side ? "child" : "parent",
				       (int)pid);
	}
	j = rd_member(r, o, "precision", true, &old, &e);
	if (e)
		return e;
	prec = json_string_value(j);
	if (!prec || (strcmp(prec, cow_precision_name(COW_PRECISION_PFN)) != 0 &&
		      strcmp(prec, cow_precision_name(COW_PRECISION_EXCLUSIVE_BIT)) != 0))
		return rd_fail(r, "expected \"pfn\" or \"exclusive-bit\"");
	c->pfn = strcmp(prec, cow_precision_name(COW_PRECISION_PFN)) == 0;
	rd_pop(r, old);
	j = rd_member(r, o, "mappings", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of mappings", sizeof(*c->maps), (void **)&c->maps,
			       &c->nmaps, read_cow_mapping, &prev_end)))
		return e;
	rd_pop(r, old);
	for (size_t i = 0; i < c->nmaps; i++) {
		sum.shared += c->maps[i].counts.shared;
		sum.diverged += c->maps[i].counts.diverged;
		sum.parent_only += c->maps[i].counts.parent_only;
		sum.child_only += c->maps[i].counts.child_only;
		sum.neither += c->maps[i].counts.neither;
	}
	j = rd_member(r, o, "totals", true, &old, &e);
	if (e || (e = rd_expect(r, j, JSON_OBJECT, "an object of counts")) ||
	    (e = read_cow_counts(r, j, &c->totals)))
		return e;
	if (memcmp(&sum, &c->totals, sizeof(sum)) != 0)
		return rd_fail(r, "not what the mappings add up to");
	rd_pop(r, old);
	return 0;
}

static int read_document(struct rd *r, const json_t *doc, struct vm_snapshot *s)
{
	json_t *j;
	size_t old;
	int e;

	if (!json_is_object(doc))
		return rd_fail(r, "not a vmatlas snapshot (expected a JSON object, found %s)",
			       type_name(doc));
	j = json_object_get(doc, "format");
	if (!json_is_string(j) || strcmp(json_string_value(j), VMATLAS_SNAPSHOT_FORMAT) != 0)
		return rd_fail(r, "not a vmatlas snapshot (\"format\" is not \"%s\")",
			       VMATLAS_SNAPSHOT_FORMAT);
	j = rd_member(r, doc, "version", true, &old, &e);
	if (j && !e) {
		if (!json_is_integer(j) || json_integer_value(j) < 1)
			e = rd_fail(r, "expected a positive integer");
		else if (json_integer_value(j) > VMATLAS_SNAPSHOT_VERSION)
			e = rd_fail(r, "%" JSON_INTEGER_FORMAT " is newer than this vmatlas "
				    "reads (%d): use a newer vmatlas", json_integer_value(j),
				    VMATLAS_SNAPSHOT_VERSION);
	}
	if (e)
		return e;
	rd_pop(r, old);

	j = rd_member(r, doc, "taken_at", true, &old, &e);
	if (j && !e && (!json_is_string(j) || parse_rfc3339(json_string_value(j), &s->taken_at) < 0))
		e = rd_fail(r, "expected an RFC 3339 time such as \"2026-11-21T00:12:12.345Z\"");
	if (e)
		return e;
	rd_pop(r, old);

	j = rd_member(r, doc, "host", true, &old, &e);
	if (j && !e)
		e = read_host(r, j, &s->host);
	if (e)
		return e;
	rd_pop(r, old);

	if ((e = get_bool(r, doc, "live", false, &s->live)))
		return e;
	s->frozen_ms = -1;
	j = rd_member(r, doc, "frozen_ms", false, &old, &e);
	if (j) {
		if (!json_is_number(j) || json_number_value(j) < 0 || json_number_value(j) > 1e12)
			e = rd_fail(r, "expected a number of milliseconds");
		else
			s->frozen_ms = json_number_value(j);
	}
	if (e)
		return e;
	rd_pop(r, old);

	j = rd_member(r, doc, "processes", true, &old, &e);
	if (e || (e = rd_array(r, j, "an array of processes", sizeof(*s->procs), (void **)&s->procs,
			       &s->nprocs, read_process, NULL)))
		return e;
	rd_pop(r, old);

	j = rd_member(r, doc, "family", false, &old, &e);
	if (j) {
		if (!(s->family = calloc(1, sizeof(*s->family))))
			return oom(r);
		if ((e = read_family(r, j, s->family)))
			return e;
	}
	rd_pop(r, old);

	j = rd_member(r, doc, "cow", false, &old, &e);
	if (j && (e = rd_array(r, j, "an array of copy-on-write pairs", sizeof(*s->cows),
			       (void **)&s->cows, &s->ncows, read_cow_pair, s)))
		return e;
	rd_pop(r, old);
	j = rd_member(r, doc, "trigger", false, &old, &e);
	if (j && (e = read_trigger(r, j, s)))
		return e;
	rd_pop(r, old);
	if ((e = get_str(r, doc, "generator", false, true, 256, &s->generator)))
		return e;
	return rd_extra(r, doc, document_members, &s->extra);
}

struct vm_snapshot *snapshot_from_json(const json_t *doc, const char *place,
				       struct snapread_error *err)
{
	struct rd r = { .place = place, .err = err, .page_size = 4096 };
	struct vm_snapshot *s = calloc(1, sizeof(*s));
	int e;

	if (!s) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", place);
		errno = ENOMEM;
		return NULL;
	}
	e = read_document(&r, doc, s);
	if (e < 0) {
		vm_snapshot_free(s);
		errno = -e;
		return NULL;
	}
	return s;
}

void vm_timeline_free(struct vm_timeline *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nsnaps; i++)
		vm_snapshot_free(t->snaps[i]);
	free(t->snaps);
	free(t->warning);
	free(t);
}

static size_t line_of(const char *buf, size_t off)
{
	size_t line = 1;

	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + off - p))); p++)
		line++;
	return line;
}

static int set_error(struct snapread_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_error(struct snapread_error *err, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* jansson's tree of a document is many times the size of its text (about
 * 20 bytes per byte of "[0,0,...]"): a file within SNAPREAD_MAX_BYTES, or a
 * gzip bomb that inflates to it, would take tens of GiB. What jansson
 * allocates while a value is parsed is counted, and refused past
 * SNAPREAD_MAX_TREE, so the parse fails as out of memory. */
static bool tree_counting, tree_refused;
static size_t tree_bytes;

static void *tree_malloc(size_t n)
{
	void *p;

	if (tree_counting && (n > SNAPREAD_MAX_TREE || tree_bytes > SNAPREAD_MAX_TREE - n)) {
		tree_refused = true;
		return NULL;
	}
	p = malloc(n);
	if (p && tree_counting)
		tree_bytes += malloc_usable_size(p);
	return p;
}

static void tree_free(void *p)
{
	if (p && tree_counting) {
		size_t n = malloc_usable_size(p);

		/* Only what this parse allocated is freed during it. */
		tree_bytes -= n < tree_bytes ? n : tree_bytes;
	}
	free(p);
}

static json_t *tree_parse(const char *buf, size_t len, size_t flags, json_error_t *je)
{
	json_t *doc;

	json_set_alloc_funcs(tree_malloc, tree_free);
	tree_bytes = 0;
	tree_refused = false;
	tree_counting = true;
	doc = json_loadb(buf, len, flags, je);
	tree_counting = false;
	return doc;
}

/* Every JSON value of BUF in order: one for a document, one per line for a
 * timeline. Each value is converted and its JSON tree freed before the
 * next is parsed, so memory stays near the size of the model. */
static int parse_values(const char *buf, size_t len, const char *name, bool gz_truncated,
			struct vm_timeline *t, struct snapread_error *err)
{
	size_t off = 0, cap = 0, line = 1;
	char place[320];

	for (;;) {
		json_error_t je;
		json_t *doc;
		struct vm_snapshot *s;
		size_t start;

		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r' ||
				     buf[off] == '\n')) {
			if (buf[off] == '\n')
				line++;
			off++;
		}
		if (off >= len)
			break;
		start = off;
		doc = tree_parse(buf + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &je);
		if (!doc) {
			bool last = !memchr(buf + off, '\n', len - off);

			if (tree_refused)
				return set_error(err, -EFBIG, "%s: line %zu: a snapshot that needs more than "
						 "1 GiB of memory to parse: refused", name, line);

			if (t->nsnaps > 0 && last &&
			    json_error_code(&je) == json_error_premature_end_of_input) {
				/* A capture killed while writing: every earlier
				 * line is whole and is kept. */
				char w[400];
				snprintf(w, sizeof(w), "%s: line %zu: incomplete last snapshot ignored "
					 "(the capture was interrupted)", name, line);
				t->warning = strdup(w);
				return 0;
			}
			if (gz_truncated && json_error_code(&je) == json_error_premature_end_of_input)
				return set_error(err, -EINVAL, "%s: the gzip data is truncated: "
						 "no complete snapshot", name);
			if (json_error_code(&je) == json_error_premature_end_of_input)
				return set_error(err, -EINVAL, "%s: line %zu: truncated: the file ends "
						 "inside a snapshot", name, line_of(buf, len));
			if (t->jsonl && je.line > 1)
				/* One document per line, and this one runs on:
				 * its own line was cut short. */
				return set_error(err, -EINVAL, "%s: line %zu: incomplete snapshot "
						 "(the line ends inside it)", name, line);
			if (json_error_code(&je) == json_error_out_of_memory)
				return set_error(err, -ENOMEM, "%s: out of memory", name);
			{
				/* jansson counts lines and columns from where
				 * this value started. */
				size_t l = line + (je.line > 0 ? (size_t)je.line - 1 : 0);
				size_t col = (size_t)(je.column > 0 ? je.column : 0);
				if (je.line <= 1) {
					const char *ls = buf + off;
					while (ls > buf && ls[-1] != '\n')
						ls--;
					col += (size_t)(buf + off - ls);
				}
				return set_error(err, -EINVAL, "%s: line %zu, column %zu: %s: %s", name, l,
						 col, "invalid JSON",
						 je.text);
			}
		}
		/* je.position: bytes used by this value. */
		off += (size_t)je.position;
		if (t->nsnaps > 0 || memchr(buf + start, '\n', off - start) == NULL) {
			/* One document per line: a timeline. */
			t->jsonl = true;
			snprintf(place, sizeof(place), "%s: line %zu", name, line);
		} else
			snprintf(place, sizeof(place), "%s", name);
		s = snapshot_from_json(doc, place, err);
		json_decref(doc);
		if (!s)
			return -errno;
		if (t->nsnaps == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct vm_snapshot **n = realloc(t->snaps, ncap * sizeof(*n));
			if (!n) {
				vm_snapshot_free(s);
				return set_error(err, -ENOMEM, "%s: out of memory", name);
			}
			t->snaps = n;
			cap = ncap;
		}
		t->snaps[t->nsnaps++] = s;
		line += line_of(buf + start, off - start) - 1;
		/* One document per line: anything else on its line is wrong. */
		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r'))
			off++;
		if (off < len && buf[off] != '\n')
			return set_error(err, -EINVAL, "%s: line %zu: text after the snapshot", name, line);
	}
	if (t->nsnaps == 0)
		return set_error(err, -EINVAL, "%s: %s", name,
				 gz_truncated ? "the gzip data is truncated: no complete snapshot"
					      : "empty file: no snapshot in it");
	if (gz_truncated && !t->warning) {
		char w[400];
		snprintf(w, sizeof(w), "%s: the gzip data is truncated; the %zu complete snapshot%s "
			 "before the cut are used", name, t->nsnaps, t->nsnaps == 1 ? "" : "s");
		t->warning = strdup(w);
	}
	return 0;
}

struct vm_timeline *snapshot_read_buffer(const void *buf, size_t len, const char *name,
					 struct snapread_error *err)
{
	struct vm_timeline *t = calloc(1, sizeof(*t));
	char *plain = NULL, *ename = escape_untrusted(name ? name : "(buffer)");
	const char *text = buf;
	bool gz_truncated = false;
	int e;

	err->msg[0] = 0;
	if (!t || !ename) {
		e = set_error(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (len > SNAPREAD_MAX_BYTES) {
		e = set_error(err, -EFBIG, "%s: too large (%zu bytes; at most 1 GiB)", ename, len);
		goto out;
	}
	if (gz_is_gzip(buf, len)) {
		const char *zmsg;
		size_t n;

		t->compressed = true;
		e = gz_inflate(buf, len, SNAPREAD_MAX_BYTES, &plain, &n, &gz_truncated, &zmsg);
		if (e == -EFBIG) {
			set_error(err, e, "%s: decompresses to more than 1 GiB: refused", ename);
			goto out;
		}
		if (e == -EBADMSG) {
			set_error(err, e, "%s: not valid gzip data (%s)", ename, zmsg);
			e = -EINVAL;
			goto out;
		}
		if (e < 0) {
			set_error(err, e, "%s: out of memory", ename);
			goto out;
		}
		text = plain;
		len = n;
	}
	e = parse_values(text, len, ename, gz_truncated, t, err);
out:
	free(plain);
	free(ename);
	if (e < 0) {
		vm_timeline_free(t);
		errno = -e;
		return NULL;
	}
	return t;
}

bool snapread_is_stdin(const char *path)
{
	return strcmp(path, "-") == 0 || strcmp(path, "/dev/stdin") == 0 ||
	       strcmp(path, "/dev/fd/0") == 0 || strcmp(path, "/proc/self/fd/0") == 0;
}

/* Standard input, whatever it is (a pipe, a file): read to its end, at most
 * SNAPREAD_MAX_BYTES. The user chose to wait on it. */
static struct vm_timeline *read_stdin(struct snapread_error *err)
{
	const char *name = "standard input";
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap), *nb;
	struct vm_timeline *t = NULL;

	if (!buf) {
		set_error(err, 0, "%s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		ssize_t k;

		if (n == cap) {
			if (cap > SNAPREAD_MAX_BYTES) {
				set_error(err, 0, "%s: more than 1 GiB: refused", name);
				errno = EFBIG;
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				set_error(err, 0, "%s: out of memory", name);
				errno = ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		k = read(STDIN_FILENO, buf + n, cap - n);
		if (k < 0 && errno == EINTR && !vm_should_quit())
			continue;
		if (k < 0) {
			int e = errno;
			set_error(err, 0, "%s: cannot read: %s", name, strerror(e));
			errno = e;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	t = snapshot_read_buffer(buf, n, name, err);
out:
	free(buf);
	return t;
}

struct vm_timeline *snapshot_read_file(const char *path, struct snapread_error *err)
{
	char *ename, *buf = NULL;
	struct vm_timeline *t = NULL;
	struct stat st;
	size_t n = 0;
	int fd, e = 0;

	if (snapread_is_stdin(path))
		return read_stdin(err);
	ename = escape_untrusted(path);
	if (!ename) {
		set_error(err, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* Nothing but a regular file is opened, even through a symlink: a
	 * device is not touched, a FIFO's writer does not wake. */
	fd = open_untrusted(path, OPEN_LINKS_ANY, &st);
	if (fd < 0 && fd != -EINVAL && fd != -EISDIR) {
		e = fd;
		set_error(err, e, "%s: cannot open: %s", ename, strerror(-fd));
		goto out;
	}
	if (fd < 0) {
		e = -EINVAL;
		set_error(err, e, "%s: not a regular file (%s): refused", ename,
			  S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
			  S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
		goto out;
	}
	if ((uint64_t)st.st_size > SNAPREAD_MAX_BYTES) {
		e = -EFBIG;
		set_error(err, e, "%s: too large (%jd bytes; at most 1 GiB)", ename, (intmax_t)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		e = -ENOMEM;
		set_error(err, e, "%s: out of memory", ename);
		goto out;
	}
	/* The file may change while read: never read past the size seen. */
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			e = -errno;
			set_error(err, e, "%s: cannot read: %s", ename, strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	t = snapshot_read_buffer(buf, n, path, err);
	if (!t)
		e = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(ename);
	if (e < 0)
		errno = -e;
	return t;
}
