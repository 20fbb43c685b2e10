/* JSON snapshot documents (schema: man/vmatlas-snapshot.5). Addresses are
 * hex strings: 64-bit values do not fit a JSON number. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmatlas/cow.h"
#include "vmatlas/json.h"
#include "vmatlas/util.h"

/* "0x" and V in lower-case hex without leading zeros; by hand, since a
 * snapshot has thousands of them and snprintf is most of their cost. */
static json_t *hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char b[19];
	size_t n = sizeof(b);

	do {
		b[--n] = digits[v & 15];
		v >>= 4;
	} while (v);
	b[--n] = 'x';
	b[--n] = '0';
	return json_stringn_nocheck(b + n, sizeof(b) - n);
}

/* json_object_set_new that tolerates a NULL value from a failed allocation
 * (the whole document is checked once at the end). */
static void put(json_t *o, const char *k, json_t *v)
{
	if (v)
		json_object_set_new_nocheck(o, k, v); /* K: one of our ASCII names */
}

/* Length of the well-formed UTF-8 sequence at S (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF; what jansson accepts), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* S as a JSON string. Names from the target may hold any bytes and JSON
 * strings are Unicode: every byte that is not part of well-formed UTF-8
 * becomes U+FFFD, and *LOSSY says so (the caller then records the exact
 * bytes beside it, see put_str). NULL only when out of memory. */
static json_t *json_text(const char *s, bool *lossy)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), o = 0, l;
	json_t *j;
	char *b;

	*lossy = false;
	b = malloc(3 * n + 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i += l) {
		l = utf8_len(u + i, n - i);
		if (l) {
			memcpy(b + o, s + i, l);
			o += l;
		} else {
			memcpy(b + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			l = 1;
			*lossy = true;
		}
	}
	j = json_stringn(b, o);
	free(b);
	return j;
}

/* Lowercase hex of the bytes of S. */
static json_t *json_hex_bytes(const char *s)
{
	size_t n = strlen(s);
	char *b = malloc(2 * n + 1);
	json_t *j;

	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(b + 2 * i, 3, "%02x", (unsigned char)s[i]);
	j = json_stringn(b, 2 * n);
	free(b);
	return j;
}

/* Member KEY = S (null when S is NULL). When S is not valid UTF-8, KEY holds
 * it with U+FFFD for the invalid bytes and KEY_hex its exact bytes in hex:
 * a reader that finds KEY_hex uses it (man/vmatlas-snapshot.5). */
static void put_str(json_t *o, const char *key, const char *s)
{
	bool lossy;
	char hkey[64];

	if (!s) {
		put(o, key, json_null());
		return;
	}
	put(o, key, json_text(s, &lossy));
	if (lossy) {
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		put(o, hkey, json_hex_bytes(s));
	}
}

json_t *json_hex64(uint64_t v)
{
	return hex(v);
}

void json_set_text(json_t *o, const char *key, const char *s)
{
	put_str(o, key, s);
}

/* Member KEY = array of the N strings V; KEY_hex, when one of them is not
 * valid UTF-8, an array as long with the hex bytes of those and null for
 * the others. */
static void put_str_array(json_t *o, const char *key, char *const *v, size_t n)
{
	json_t *a = json_array(), *h = NULL;
	char hkey[64];
	bool lossy;

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_text(v[i], &lossy));
		if (lossy && !h) {
			h = json_array();
			for (size_t k = 0; k < i; k++)
				json_array_append_new(h, json_null());
		}
		if (h)
			json_array_append_new(h, lossy ? json_hex_bytes(v[i]) : json_null());
	}
	put(o, key, a);
	if (h) {
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		put(o, hkey, h);
	}
}

/* The members of a read file this vmatlas does not know (EXTRA, compact
 * JSON of an object), back into O after the ones it wrote. */
static void put_extra(json_t *o, const char *extra)
{
	json_t *x = extra ? json_loads(extra, JSON_DECODE_ANY, NULL) : NULL;
	const char *k;
	json_t *v;

	if (json_is_object(x))
		json_object_foreach(x, k, v)
			if (!json_object_get(o, k))
				json_object_set(o, k, v);
	json_decref(x);
}

static json_t *pages_to_json(const struct vm_page_counts *c)
{
	json_t *o = json_object();

	put(o, "total", json_integer((json_int_t)c->total));
	put(o, "resident", json_integer((json_int_t)c->resident));
	put(o, "swapped", json_integer((json_int_t)c->swapped));
	put(o, "not_present", json_integer((json_int_t)c->not_present));
	/* What could not be known is left out, never printed as 0. */
	if (c->known & PC_EXCLUSIVE)
		put(o, "exclusive", json_integer((json_int_t)c->exclusive));
	if (c->known & PC_FILE)
		put(o, "file_or_shared", json_integer((json_int_t)c->file_or_shared));
	if (c->known & PC_SOFTDIRTY)
		put(o, "soft_dirty", json_integer((json_int_t)c->soft_dirty));
	if (c->known & PC_THP)
		put(o, "thp", json_integer((json_int_t)c->thp));
	if (c->known & PC_ZERO)
		put(o, "zero", json_integer((json_int_t)c->zero));
	return o;
}

/* Runs as schema version 2 writes them: one string, each run its count
 * in decimal (left out when 1) and its state's letter, "r7n" for one
 * resident page and seven not present: a page that alternates costs a
 * byte, not a JSON array. */
struct runs_text {
	char *b;
	size_t n, cap;
	bool oom;
};

static void runs_text_add(struct runs_text *t, uint64_t count, char letter)
{
	char tmp[24];
	int k = count > 1 ? snprintf(tmp, sizeof(tmp), "%" PRIu64, count) : 0;

	tmp[k++] = letter;
	if (t->n + (size_t)k > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 256;
		char *nb;

		while (ncap < t->n + (size_t)k)
			ncap *= 2;
		nb = t->oom ? NULL : realloc(t->b, ncap);
		if (!nb) {
			t->oom = true;
			return;
		}
		t->b = nb;
		t->cap = ncap;
	}
	memcpy(t->b + t->n, tmp, (size_t)k);
	t->n += (size_t)k;
}

/* The JSON string of T, which is freed; NULL when out of memory. */
static json_t *runs_text_json(struct runs_text *t)
{
	json_t *j = t->oom ? NULL : json_stringn(t->b ? t->b : "", t->n);

	free(t->b);
	return j;
}

static json_t *runs_to_json(const struct vm_mapping *m)
{
	struct runs_text t = { 0 };
	enum vm_page_state cur = PS__COUNT;
	uint64_t n = 0;

	/* Runs are kept per flag byte; the document encodes the state only,
	 * so neighbours with the same state are merged here. */
	for (size_t i = 0; i <= m->nruns; i++) {
		enum vm_page_state s = i < m->nruns ? vm_page_state_of(m->runs[i].flags) : PS__COUNT;

		if (s == cur && i < m->nruns) {
			n += m->runs[i].count;
			continue;
		}
		if (n)
			runs_text_add(&t, n, vm_page_state_letter(cur));
		cur = s;
		n = i < m->nruns ? m->runs[i].count : 0;
	}
	return runs_text_json(&t);
}

json_t *mapping_to_json(const struct vm_mapping *m, unsigned flags)
{
	json_t *o = json_object();
	char dev[32];

	snprintf(dev, sizeof(dev), "%02x:%02x", m->dev_major, m->dev_minor);
	put(o, "start", hex(m->start));
	put(o, "end", hex(m->end));
	put(o, "perms", json_string(m->perms));
	put(o, "offset", hex(m->offset));
	put(o, "dev", json_string(dev));
	put(o, "inode", json_integer((json_int_t)m->inode));
	put_str(o, "path", m->path ? m->path : "");
	if (m->deleted)
		put(o, "deleted", json_true());
	put(o, "kind", json_string(vm_kind_name(m->kind)));
	if (m->unread)
		put(o, "unread", json_string(vm_unread_name(m->unread)));
	put(o, "pages", pages_to_json(&m->pages));
	if (m->nsections) {
		json_t *a = json_array();
		for (size_t i = 0; i < m->nsections; i++) {
			json_t *so = json_object();

			put_str(so, "name", m->sections[i].name);
			put(so, "start", hex(m->sections[i].start));
			put(so, "end", hex(m->sections[i].end));
			json_array_append_new(a, so);
		}
		put(o, "sections", a);
	}
	if ((flags & OUT_PAGES) && m->runs)
		put(o, "runs", runs_to_json(m));
	put_extra(o, m->extra);
	return o;
}

static json_t *kind_totals_to_json(const struct vm_kind_totals *t)
{
	return json_pack("{s:I,s:I,s:I}", "virtual_kb", (json_int_t)t->virtual_kb,
			 "resident_kb", (json_int_t)t->resident_kb,
			 "swapped_kb", (json_int_t)t->swapped_kb);
}

static json_t *mm_to_json(const struct vm_mm *mm)
{
	json_t *o;

	if (!mm->valid)
		return json_null();
	o = json_object();
	put(o, "start_code", hex(mm->start_code));
	put(o, "end_code", hex(mm->end_code));
	put(o, "start_data", hex(mm->start_data));
	put(o, "end_data", hex(mm->end_data));
	put(o, "start_brk", hex(mm->start_brk));
	put(o, "brk", hex(mm->brk));
	put(o, "start_stack", hex(mm->start_stack));
	put(o, "arg_start", hex(mm->arg_start));
	put(o, "arg_end", hex(mm->arg_end));
	put(o, "env_start", hex(mm->env_start));
	put(o, "env_end", hex(mm->env_end));
	return o;
}

/* The mapping a thread's stack pointer lies in: the main stack or a thread
 * stack (stacks.h). */
static json_t *stack_to_json(const struct vm_process *p, uint64_t sp)
{
	ssize_t m;
	const char *place = vm_process_sp_place(p, sp, &m);

	if (!place)
		return json_null();
	return json_pack("{s:s,s:o,s:o}", "type", place,
			 "start", hex(p->maps[m].start), "end", hex(p->maps[m].end));
}

json_t *threads_to_json(const struct vm_process *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->nthreads; i++) {
		const struct vm_thread *t = &p->threads[i];
		json_t *frames = json_array();
		char st[2] = { t->state ? t->state : '?', 0 };

		for (size_t j = 0; j < t->nframes; j++) {
			const struct vm_frame *f = &t->frames[j];
			json_t *fo = json_object();
			put(fo, "pc", hex(f->pc));
			put_str(fo, "symbol", f->symbol);
			if (f->symbol)
				put(fo, "offset", hex(f->offset));
			put_str(fo, "object", f->object);
			if (f->guessed)
				put(fo, "guessed", json_true());
			if (f->source_file) {
				json_t *so = json_object();

				put_str(so, "file", f->source_file);
				put(so, "line", json_integer(f->source_line));
				put(fo, "source", so);
			}
			json_array_append_new(frames, fo);
		}
		json_t *to = json_object();

		put(to, "tid", json_integer(t->tid));
		put_str(to, "name", t->name);
		put(to, "state", json_string(st));
		put(to, "sp", hex(t->sp));
		put(to, "stack", stack_to_json(p, t->sp));
		put(to, "frames", frames);
		if (vm_unwind_end_name(t->end))
			put(to, "unwind_end", json_string(vm_unwind_end_name(t->end)));
		json_array_append_new(a, to);
	}
	return a;
}

json_t *process_to_json(const struct vm_process *p, unsigned flags)
{
	json_t *o = json_object(), *maps = json_array();
	json_t *tot, *bykind = json_object();
	char st[2] = { p->state ? p->state : '?', 0 };

	put(o, "pid", json_integer(p->pid));
	put(o, "ppid", json_integer(p->ppid));
	put(o, "state", json_string(st));
	put_str(o, "comm", p->comm);
	put_str(o, "exe", p->exe);
	put_str_array(o, "cmdline", p->cmdline, p->ncmdline);
	put(o, "mm", mm_to_json(&p->mm));
	for (size_t i = 0; i < p->nmaps; i++)
		json_array_append_new(maps, mapping_to_json(&p->maps[i], flags));
	put(o, "mappings", maps);
	for (int k = 0; k < VK__COUNT; k++)
		if (p->totals.by_kind[k].virtual_kb)
			put(bykind, vm_kind_name(k), kind_totals_to_json(&p->totals.by_kind[k]));
	tot = json_pack("{s:I,s:I,s:I,s:o}",
			"virtual_kb", (json_int_t)p->totals.virtual_kb,
			"resident_kb", (json_int_t)p->totals.resident_kb,
			"swapped_kb", (json_int_t)p->totals.swapped_kb,
			"by_kind", bykind);
	put(o, "totals", tot);
	if (p->threads)
		put(o, "threads", threads_to_json(p));
	put_extra(o, p->extra);
	return o;
}

/* ---- copy-on-write pairs --------------------------------------------- */

static void put_counts(json_t *o, const struct vm_cow_counts *c)
{
	put(o, "shared", json_integer((json_int_t)c->shared));
	put(o, "diverged", json_integer((json_int_t)c->diverged));
	put(o, "parent_only", json_integer((json_int_t)c->parent_only));
	put(o, "child_only", json_integer((json_int_t)c->child_only));
	put(o, "neither", json_integer((json_int_t)c->neither));
}

static json_t *cow_runs_to_json(const struct vm_cow_mapping *m)
{
	/* shared, diverged, parent_only, child_only, neither */
	static const char letter[COW__COUNT] = {
		[COW_NEITHER] = 'n', [COW_SHARED] = 's', [COW_DIVERGED] = 'd',
		[COW_PARENT_ONLY] = 'p', [COW_CHILD_ONLY] = 'c',
	};
	struct runs_text t = { 0 };

	for (size_t i = 0; i < m->nruns; i++)
		runs_text_add(&t, m->runs[i].count,
			      m->runs[i].flags < COW__COUNT ? letter[m->runs[i].flags] : 'n');
	return runs_text_json(&t);
}

static json_t *cow_mapping_to_json(const struct vm_cow_mapping *m, unsigned flags)
{
	json_t *o = json_object();

	put(o, "start", hex(m->start));
	put(o, "end", hex(m->end));
	put_str(o, "path", m->path);
	put(o, "kind", json_string(vm_kind_name(m->kind)));
	put_counts(o, &m->counts);
	if ((flags & OUT_PAGES) && m->runs)
		put(o, "runs", cow_runs_to_json(m));
	return o;
}

json_t *cow_pairs_to_json(const struct vm_snapshot *s, unsigned flags)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->ncows; i++) {
		const struct vm_cow_pair *c = &s->cows[i];
		json_t *o = json_object(), *maps = json_array(), *tot = json_object();

		put(o, "parent", json_integer(c->parent));
		put(o, "child", json_integer(c->child));
		put(o, "relation", json_string(vm_cow_relation_name(c->relation)));
		if (c->relation == COW_REL_KIN)
			put(o, "ancestor", json_integer(c->ancestor));
		put(o, "precision", json_string(vm_cow_pair_precision(c)));
		for (size_t j = 0; maps && j < c->nmaps; j++)
			json_array_append_new(maps, cow_mapping_to_json(&c->maps[j], flags));
		put(o, "mappings", maps);
		put_counts(tot, &c->totals);
		put(o, "totals", tot);
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- families ------------------------------------------------------------ */

static json_t *family_proc_to_json(const struct vm_family_proc *p)
{
	json_t *o = json_object();

	put(o, "pid", json_integer(p->pid));
	put(o, "ppid", json_integer(p->ppid));
	put(o, "depth", json_integer(p->depth));
	put_str(o, "comm", p->comm);
	put_str(o, "title", p->title);
	put(o, "rss_kb", json_integer((json_int_t)p->rss_kb));
	put(o, "pss_kb", json_integer((json_int_t)p->pss_kb));
	put(o, "uss_kb", json_integer((json_int_t)p->uss_kb));
	put(o, "swap_kb", json_integer((json_int_t)p->swap_kb));
	put(o, "swap_pss_kb", json_integer((json_int_t)p->swap_pss_kb));
	if (p->has_parent) {
		put(o, "shared_with_parent_kb", json_integer((json_int_t)p->shared_kb));
		put(o, "diverged_from_parent_kb", json_integer((json_int_t)p->diverged_kb));
	}
	return o;
}

static json_t *family_mapping_to_json(const struct vm_family_mapping *m)
{
	json_t *o = json_object(), *a = json_array();

	put(o, "start", hex(m->start));
	put(o, "end", hex(m->end));
	put_str(o, "path", m->path);
	put(o, "kind", json_string(vm_kind_name(m->kind)));
	for (size_t i = 0; a && i < m->nprocs; i++)
		json_array_append_new(a, json_pack("{s:i,s:I,s:I}", "pid", (int)m->procs[i].pid,
						   "shared_kb", (json_int_t)m->procs[i].shared_kb,
						   "diverged_kb", (json_int_t)m->procs[i].diverged_kb));
	put(o, "processes", a);
	return o;
}

json_t *family_to_json(const struct vm_family *f)
{
	json_t *o = json_object(), *sh = json_array(), *procs = json_array(), *maps = json_array();

	put(o, "root", json_integer(f->root));
	put(o, "precision", json_string(f->pfn ? "pfn" : "estimate"));
	put(o, "footprint_kb", json_integer((json_int_t)f->footprint_kb));
	put(o, "rss_sum_kb", json_integer((json_int_t)f->rss_sum_kb));
	for (size_t k = 0; sh && k < f->nsharing; k++)
		json_array_append_new(sh, json_pack("[II]", (json_int_t)(k + 1),
						    (json_int_t)f->sharing_kb[k]));
	put(o, "sharing", sh);
	for (size_t i = 0; procs && i < f->nprocs; i++)
		json_array_append_new(procs, family_proc_to_json(&f->procs[i]));
	put(o, "processes", procs);
	for (size_t i = 0; maps && i < f->nmaps; i++)
		json_array_append_new(maps, family_mapping_to_json(&f->maps[i]));
	put(o, "mappings", maps);
	return o;
}

const char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03ldZ", ts->tv_nsec / 1000000);
	return buf;
}

json_t *snapshot_to_json(const struct vm_snapshot *s, unsigned flags)
{
	json_t *o = json_object(), *procs = json_array(), *host;
	char when[64];

	fmt_rfc3339(when, sizeof(when), &s->taken_at);
	put(o, "format", json_string(VMATLAS_SNAPSHOT_FORMAT));
	put(o, "version", json_integer(VMATLAS_SNAPSHOT_VERSION));
	put(o, "taken_at", json_string(when));
	put_str(o, "generator", s->generator ? s->generator : PACKAGE_STRING);
	host = json_object();
	put_str(host, "kernel", s->host.kernel);
	put_str(host, "machine", s->host.machine);
	put(host, "page_size", json_integer(s->host.page_size));
	put(host, "pfn_visible", json_boolean(s->host.pfn_visible));
	if (s->host.swap_total_known)
		put(host, "swap_total_kb", json_integer((json_int_t)s->host.swap_total_kb));
	put(o, "host", host);
	put(o, "live", json_boolean(s->live));
	if (s->frozen_ms >= 0)
		put(o, "frozen_ms", json_real(s->frozen_ms));
	for (size_t i = 0; i < s->nprocs; i++)
		json_array_append_new(procs, process_to_json(&s->procs[i], flags));
	put(o, "processes", procs);
	if (s->ncows)
		put(o, "cow", cow_pairs_to_json(s, flags));
	if (s->family)
		put(o, "family", family_to_json(s->family));
	if (s->trigger) {
		json_t *t = json_object();

		put_str(t, "event", s->trigger);
		if (s->trigger_pid)
			put(t, "pid", json_integer(s->trigger_pid));
		put(o, "trigger", t);
	}
	put_extra(o, s->extra);
	return o;
}

struct json_buf {
	FILE *f;
	size_t n;
	char b[64 * 1024];
};

static int json_buf_flush(struct json_buf *jb)
{
	if (jb->n && fwrite(jb->b, 1, jb->n, jb->f) != jb->n)
		return -1;
	jb->n = 0;
	return 0;
}

static int json_buf_put(const char *s, size_t len, void *arg)
{
	struct json_buf *jb = arg;

	if (len > sizeof(jb->b) - jb->n && json_buf_flush(jb) < 0)
		return -1;
	if (len > sizeof(jb->b))
		return fwrite(s, 1, len, jb->f) == len ? 0 : -1;
	memcpy(jb->b + jb->n, s, len);
	jb->n += len;
	return 0;
}

int json_write(FILE *f, const json_t *doc, bool compact)
{
	struct json_buf *jb;
	int r;

	if (!doc)
		return -ENOMEM;
	jb = malloc(sizeof(*jb));
	if (!jb)
		return -ENOMEM;
	jb->f = f;
	jb->n = 0;
	errno = 0;
	r = json_dump_callback(doc, json_buf_put, jb, JSON_PRESERVE_ORDER |
			       (compact ? JSON_COMPACT : JSON_INDENT(1)));
	if (r == 0)
		r = json_buf_put("\n", 1, jb);
	if (r == 0)
		r = json_buf_flush(jb);
	free(jb);
	if (r < 0 || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}
