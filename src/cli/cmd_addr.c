/* vmatlas addr [--format=text|json] PID ADDR...: what is at an address of a
 * process: its mapping, ELF section and symbol, the page-table indices the
 * MMU walks, and the page's state from pagemap (and, as root, the physical
 * page: PFN, physical address, kpageflags, kpagecount). Collect first, then
 * render (STYLE 1). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "vmatlas/classify.h"
#include "vmatlas/json.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/piderr.h"
#include "vmatlas/procfs.h"
#include "vmatlas/dwinfo.h"
#include "vmatlas/shmswap.h"
#include "vmatlas/symbols.h"
#include "vmatlas/util.h"

#define PT_MAX_LEVELS 5

/* The split of an address into page-table indices, top level first. */
struct pt_split {
	int levels;
	const char *names[PT_MAX_LEVELS];
	unsigned idx[PT_MAX_LEVELS];
	uint64_t offset;
};

struct addr_report {
	const char *arg;      /* as given (borrowed) */
	struct addr_spec spec; /* ARG parsed: the symbol part (owned) or an address */
	uint64_t addr;
	bool failed;          /* reported on stderr, not printed */
	enum sym_order order; /* how NAME was looked up */
	ssize_t map;          /* index in the process's maps, or -1 */
	struct sym_where where;
	char *src_file;       /* owned: the line table's file, or NULL */
	unsigned src_line;
	bool have_pt;
	struct pt_split pt;
	bool have_entry;      /* pagemap read */
	uint64_t entry;
	bool pfn_visible;
	bool have_kflags, have_kcount;
	uint64_t kflags, kcount;
	/* A hole in shared memory: 1 over a swapped page of its object, -1
	 * when the object could not be read, else 0. */
	int shm_swapped;
};

static void addr_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas addr [--format=text|json] PID ADDR...\n"
		"Describe addresses of a process: mapping, ELF section, symbol,\n"
		"page-table indices and page state.\n\n"
		"ADDR is an address in hex, with or without 0x (as /proc/PID/maps\n"
		"prints it), SYMBOL, or SYMBOL+OFFSET (OFFSET 0xHEX or decimal). An\n"
		"argument that does not start with a digit is a symbol name, spaces\n"
		"and all ('ns::f(unsigned long)', 'Ring<double, 16>::push(double)');\n"
		"a name of hex digits only ('beef') is that address when no symbol\n"
		"has the name.\n\n"
		"  -f, --format=FMT   text (default) or json\n"
		"  -h, --help         this help\n");
}

/* Whether the kernel runs with 5-level page tables: it clears the la57 CPU
 * flag when it does not use them (arch/x86/kernel/cpu/common.c, "no5lvl"),
 * so the flag in /proc/cpuinfo means CR4.LA57 is on and every process's
 * tables have a P4D level, whatever addresses it maps. */
static bool cpu_uses_la57(void)
{
	char *buf = NULL, *flags;
	size_t len;
	bool yes = false;

	if (procfs_read_file("/proc/cpuinfo", 16 << 20, &buf, &len) < 0)
		return false;
	flags = strstr(buf, "\nflags");
	if (flags) {
		char *eol = strchr(flags + 1, '\n');

		if (eol)
			*eol = '\0';
		yes = strstr(flags, " la57") != NULL;
	}
	free(buf);
	return yes;
}

/* The MMU's split of ADDR: x86-64 4-level (48-bit) or 5-level (57-bit)
 * paging, aarch64 with 48-bit addresses and 4K, 16K or 64K pages (each
 * table holds PAGE_SIZE / 8 entries). False where the split is unknown. */
static bool pt_split_addr(uint64_t addr, long page_size, bool la57,
			  struct pt_split *s)
{
	static const char *const names[PT_MAX_LEVELS + 1][PT_MAX_LEVELS] = {
		[2] = { "pgd", "pte" },
		[3] = { "pgd", "pmd", "pte" },
		[4] = { "pgd", "pud", "pmd", "pte" },
		[5] = { "pgd", "p4d", "pud", "pmd", "pte" },
	};
	unsigned shift = 0, bpl, va_bits;

	while ((1L << shift) < page_size)
		shift++;
	bpl = shift - 3;
#if defined(__x86_64__)
	if (page_size != 4096)
		return false;
	va_bits = la57 ? 57 : 48;
#elif defined(__aarch64__)
	(void)la57;
	va_bits = 48;
#else
	(void)la57;
	(void)va_bits;
	(void)bpl;
	(void)addr;
	(void)names;
	(void)s;
	return false;
#endif
#if defined(__x86_64__) || defined(__aarch64__)
	s->levels = (int)((va_bits - shift + bpl - 1) / bpl);
	if (s->levels < 2 || s->levels > PT_MAX_LEVELS)
		return false;
	s->offset = addr & ((1ULL << shift) - 1);
	for (int l = s->levels - 1, sh = (int)shift; l >= 0; l--, sh += (int)bpl) {
		unsigned bits = l == 0 ? va_bits - (unsigned)sh : bpl;

		s->names[l] = names[s->levels][l];
		s->idx[l] = (unsigned)((addr >> sh) & ((1ULL << bits) - 1));
	}
	return true;
#endif
}

static void addr_collect(struct addr_report *r, const struct vm_process *p,
			 struct elf_cache *c, struct dwinfo *dw,
			 struct pagemap_ctx *pm, long page_size, bool la57)
{
	r->map = vm_process_find(p, r->addr);
	r->have_pt = pt_split_addr(r->addr, page_size, la57, &r->pt);
	if (r->map < 0)
		return;
	/* The page first: reading the object's symbols reads its file,
	 * which brings a swapped page of a tmpfs file back in. */
	if (pm && pagemap_read_entry(pm, r->addr, &r->entry) == 0) {
		r->have_entry = true;
		/* pagemap shows swapped shared memory as a hole (shmswap.h). */
		if (!PM_ENTRY_PRESENT(r->entry) && !PM_ENTRY_SWAPPED(r->entry)) {
			int s = shmswap_page(p->pid, &p->maps[r->map], r->addr);

			r->shm_swapped = s == 1 ? 1 : s < 0 ? -1 : 0;
		}
	}
	(void)symbols_describe(c, p, r->addr, &r->where);
	if (dw)
		(void)dwinfo_source_at(dw, c, p, r->addr, &r->src_file, &r->src_line);
	if (!r->have_entry)
		return;
	r->pfn_visible = pagemap_pfn_visible(pm) && PM_ENTRY_PRESENT(r->entry);
	if (r->pfn_visible) {
		uint64_t pfn = PM_ENTRY_PFN(r->entry);

		r->have_kflags = kpage_read(pfn, &r->kflags, NULL) == 0;
		r->have_kcount = kpage_read(pfn, NULL, &r->kcount) == 0;
	}
}

/* ---- rendering -------------------------------------------------------- */

static json_t *hexj(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

/* jansson takes only valid UTF-8; names from the target may be anything. */
static json_t *strj(const char *s)
{
	json_t *j;
	char *e;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	e = escape_untrusted(s);
	j = e ? json_string(e) : NULL;
	free(e);
	return j ? j : json_null();
}

static json_t *addr_to_json(const struct addr_report *r,
			    const struct vm_process *p, long page_size)
{
	json_t *o = json_object(), *pt, *pg;

	json_object_set_new(o, "address", hexj(r->addr));
	if (r->map < 0) {
		json_object_set_new(o, "mapping", json_null());
	} else {
		const struct vm_mapping *m = &p->maps[r->map];

		json_object_set_new(o, "mapping", json_pack("{s:o,s:o,s:s,s:s,s:o}",
			"start", hexj(m->start), "end", hexj(m->end),
			"perms", m->perms, "kind", vm_kind_name(m->kind),
			"path", strj(m->path)));
	}
	json_object_set_new(o, "section", strj(r->where.section));
	if (r->where.symbol)
		json_object_set_new(o, "symbol", json_pack("{s:o,s:o,s:o,s:o,s:b}",
			"name", strj(r->where.symbol),
			"offset", hexj(r->where.offset),
			"size", hexj(r->where.size),
			"object", strj(r->where.object),
			"nearest", r->where.nearest));
	else
		json_object_set_new(o, "symbol", json_null());
	if (r->src_file)
		json_object_set_new(o, "source", json_pack("{s:o,s:I}",
			"file", strj(r->src_file), "line", (json_int_t)r->src_line));
	else
		json_object_set_new(o, "source", json_null());
	if (r->spec.name)
		json_object_set_new(o, "lookup", json_string(
			r->order == SYM_ORDER_LINK_MAP ? "link_map" : "mappings"));
	if (r->have_pt) {
		pt = json_object();
		for (int l = 0; l < r->pt.levels; l++)
			json_object_set_new(pt, r->pt.names[l], json_integer(r->pt.idx[l]));
		json_object_set_new(pt, "offset", json_integer((json_int_t)r->pt.offset));
		json_object_set_new(o, "page_table", pt);
	} else {
		json_object_set_new(o, "page_table", json_null());
	}
	if (!r->have_entry) {
		json_object_set_new(o, "page", json_null());
		return o;
	}
	pg = json_object();
	json_object_set_new(pg, "present", json_boolean(PM_ENTRY_PRESENT(r->entry)));
	json_object_set_new(pg, "swapped", json_boolean(PM_ENTRY_SWAPPED(r->entry) ||
							 r->shm_swapped == 1));
	if (r->shm_swapped)
		json_object_set_new(pg, "shared_memory_swap",
				    r->shm_swapped == 1 ? json_true() : json_null());
	if (PM_ENTRY_SWAPPED(r->entry) && !PM_ENTRY_PRESENT(r->entry)) {
		json_object_set_new(pg, "swap_type", json_integer((json_int_t)PM_ENTRY_SWAP_TYPE(r->entry)));
		json_object_set_new(pg, "swap_offset", hexj(PM_ENTRY_SWAP_OFFSET(r->entry)));
	}
	json_object_set_new(pg, "file_or_shared", json_boolean(PM_ENTRY_FILE(r->entry)));
	json_object_set_new(pg, "exclusive", json_boolean(PM_ENTRY_EXCLUSIVE(r->entry)));
	/* Without CONFIG_MEM_SOFT_DIRTY bit 55 is always clear: left out. */
	if (pagemap_soft_dirty_supported())
		json_object_set_new(pg, "soft_dirty", json_boolean(PM_ENTRY_SOFTDIRTY(r->entry)));
	/* Without root the PFN reads as 0: left out, not printed as a fact. */
	if (r->pfn_visible) {
		uint64_t pfn = PM_ENTRY_PFN(r->entry);

		json_object_set_new(pg, "pfn", hexj(pfn));
		json_object_set_new(pg, "physical",
				    hexj(pfn * (uint64_t)page_size +
					 (r->addr & (uint64_t)(page_size - 1))));
	}
	if (r->have_kflags) {
		const char *names[65];
		json_t *a = json_array();
		size_t n = kpage_flag_names(r->kflags, names, 65);

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(names[i]));
		json_object_set_new(pg, "flags", a);
	}
	if (r->have_kcount)
		json_object_set_new(pg, "mapcount", json_integer((json_int_t)r->kcount));
	json_object_set_new(o, "page", pg);
	return o;
}

static void addr_write_text(FILE *f, const struct addr_report *r,
			    const struct vm_process *p, long page_size)
{
	char *s;

	fprintf(f, "0x%" PRIx64, r->addr);
	if (r->spec.name) {
		s = escape_untrusted(r->arg);
		fprintf(f, " (%s)", s ? s : "?");
		free(s);
	}
	fputc('\n', f);
	if (r->map < 0) {
		fprintf(f, "  mapping:    none (not mapped in process %d)\n", (int)p->pid);
	} else {
		const struct vm_mapping *m = &p->maps[r->map];

		s = escape_mapping_path(m->path, m->deleted);
		fprintf(f, "  mapping:    %" PRIx64 "-%" PRIx64 " %s %s %s\n", m->start,
			m->end, m->perms, vm_kind_name(m->kind), s && *s ? s : "[anon]");
		free(s);
		s = escape_untrusted(r->where.section ? r->where.section : "-");
		fprintf(f, "  section:    %s\n", s ? s : "?");
		free(s);
		if (r->where.symbol) {
			char *obj = escape_untrusted(r->where.object);

			s = escape_untrusted(r->where.symbol);
			fprintf(f, "  symbol:     %s+0x%" PRIx64 " in %s%s\n", s ? s : "?",
				r->where.offset, obj ? obj : "?",
				r->where.nearest ? " (nearest below: the symbol has no size)" : "");
			free(obj);
			free(s);
		} else {
			fprintf(f, "  symbol:     none (no symbol covers this address)\n");
		}
		if (r->src_file) {
			s = escape_untrusted(r->src_file);
			fprintf(f, "  source:     %s:%u\n", s ? s : "?", r->src_line);
			free(s);
		}
		if (r->spec.name && r->order == SYM_ORDER_MAPPINGS)
			fprintf(f, "  lookup:     in the order of the mappings (no link map could be read)\n");
	}
	if (r->have_pt) {
		fprintf(f, "  page table:");
		for (int l = 0; l < r->pt.levels; l++)
			fprintf(f, " %s %u", r->pt.names[l], r->pt.idx[l]);
		fprintf(f, " offset 0x%" PRIx64 "\n", r->pt.offset);
	}
	if (!r->have_entry)
		return;
	fprintf(f, "  page:       ");
	if (PM_ENTRY_PRESENT(r->entry))
		fprintf(f, "present");
	else if (PM_ENTRY_SWAPPED(r->entry))
		fprintf(f, "swapped (type %u, offset 0x%" PRIx64 ")",
			(unsigned)PM_ENTRY_SWAP_TYPE(r->entry),
			(uint64_t)PM_ENTRY_SWAP_OFFSET(r->entry));
	else if (r->shm_swapped == 1)
		fprintf(f, "swapped (shared memory: its object holds the swap slot)");
	else if (r->shm_swapped < 0)
		fprintf(f, "not present (shared memory: whether it is swapped needs CAP_SYS_ADMIN)");
	else
		fprintf(f, "not present");
	if (PM_ENTRY_FILE(r->entry))
		fprintf(f, ", file or shared");
	if (PM_ENTRY_EXCLUSIVE(r->entry))
		fprintf(f, ", exclusive");
	if (PM_ENTRY_SOFTDIRTY(r->entry))
		fprintf(f, ", soft-dirty");
	fputc('\n', f);
	if (r->pfn_visible) {
		uint64_t pfn = PM_ENTRY_PFN(r->entry);

		fprintf(f, "  physical:   0x%" PRIx64 " (pfn 0x%" PRIx64 ")",
			pfn * (uint64_t)page_size + (r->addr & (uint64_t)(page_size - 1)), pfn);
		if (r->have_kcount)
			fprintf(f, " mapcount %" PRIu64, r->kcount);
		fputc('\n', f);
	} else if (PM_ENTRY_PRESENT(r->entry)) {
		fprintf(f, "  physical:   hidden (PFNs need CAP_SYS_ADMIN: run as root)\n");
	}
	if (r->have_kflags) {
		const char *names[65];
		size_t n = kpage_flag_names(r->kflags, names, 65);

		fprintf(f, "  flags:     ");
		for (size_t i = 0; i < n; i++)
			fprintf(f, " %s", names[i]);
		fputc('\n', f);
	}
}

/* Say once per object when some of its symbols were not read: an address
 * with no symbol may then have one. */
static void dropped_warn(const struct addr_report *rep, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		char *e;

		if (!rep[i].where.syms_dropped || !rep[i].where.object)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = rep[j].where.object &&
			       strcmp(rep[j].where.object, rep[i].where.object) == 0;
		if (seen)
			continue;
		e = escape_untrusted(rep[i].where.object);
		vm_error("warning: %zu symbols of %s were not read (more than VMATLAS_MAX_SYMBOLS, default 8388608)",
			 rep[i].where.syms_dropped, e ? e : "?");
		free(e);
	}
}

int cmd_addr(int argc, char **argv)
{
	enum snapshot_fmt format = FMT_TEXT;
	struct vm_process p = { 0 };
	struct elf_cache *cache = NULL;
	struct pagemap_ctx *pm = NULL;
	struct dwinfo *dw = NULL;
	struct addr_report *rep = NULL;
	long page_size = sysconf(_SC_PAGESIZE);
	size_t n = 0, failed = 0;
	pid_t pid;
	bool la57;
	int c, r, ret = 1;

	c = cmd_format_options("addr", argc, argv, &format, addr_usage);
	if (c >= 0)
		return c;
	if (argc - optind < 2) {
		vm_error("addr: need a PID and at least one address (see 'vmatlas addr --help')");
		return EXIT_USAGE;
	}
	if ((r = cmd_parse_pid(argv[optind], &pid)) != 0)
		return r;
	n = (size_t)(argc - optind - 1);
	rep = calloc(n, sizeof(*rep));
	cache = elf_cache_new();
	if (!rep || !cache) {
		vm_error("out of memory");
		goto out;
	}
	/* Syntax first: a usage error is reported before any work. */
	for (size_t i = 0; i < n; i++) {
		rep[i].arg = argv[optind + 1 + (int)i];
		r = addr_spec_parse(rep[i].arg, &rep[i].spec);
		rep[i].addr = rep[i].spec.addr;
		if (r < 0) {
			char *e = escape_untrusted(rep[i].arg);

			if (r == -EINVAL)
				vm_error("addr: '%s' is not an address (HEX, 0xHEX, SYMBOL or SYMBOL+OFFSET)", e ? e : "?");
			else
				vm_error("out of memory");
			free(e);
			ret = r == -EINVAL ? EXIT_USAGE : 1;
			goto out;
		}
	}

	r = procfs_collect(pid, &p);
	if (r < 0) {
		char msg[512];

		pid_error_describe(pid, -r, msg, sizeof(msg));
		vm_error("%s", msg);
		goto out;
	}
	classify_process(&p, cache);
	/* A name that cannot be resolved is reported; the others are still
	 * printed, and the exit status says that one failed. */
	for (size_t i = 0; i < n; i++) {
		char *e, *eo = NULL;
		const char *obj;
		size_t dropped;
		uint64_t base;

		if (!rep[i].spec.name)
			continue;
		r = symbols_resolve(cache, &p, rep[i].spec.name, &base, &rep[i].order);
		if (r == -ENOMEM) {
			vm_error("out of memory");
			goto out;
		}
		if (r == -EINTR)
			goto out;
		if (r == 0 && base + rep[i].spec.off >= base) {
			rep[i].addr = base + rep[i].spec.off;
			continue;
		}
		/* "beef": no symbol of that name, so the address 0xbeef. */
		if (r == -ENOENT && rep[i].spec.hex_name) {
			addr_spec_free(&rep[i].spec);
			continue;
		}
		e = escape_untrusted(rep[i].arg);
		if (r == 0)
			vm_error("addr: '%s' is past the end of the address space (the symbol is at 0x%" PRIx64 ")",
				 e ? e : "?", base);
		else if (r == -ETIMEDOUT)
			vm_error("addr: looking up '%s' in process %d took more than 10 s: given up", e ? e : "?", (int)pid);
		else if ((obj = symbols_incomplete(cache, &p, &dropped)) != NULL)
			vm_error("addr: no symbol '%s' in process %d among the symbols read (%zu symbols of %s were not: more than VMATLAS_MAX_SYMBOLS)",
				 e ? e : "?", (int)pid, dropped, (eo = escape_untrusted(obj)) ? eo : "?");
		else
			vm_error("addr: no symbol '%s' in process %d", e ? e : "?", (int)pid);
		free(eo);
		free(e);
		rep[i].failed = true;
		failed++;
	}
	/* pread: one entry per address, whatever the default backend. */
	pm = pagemap_open(pid, PM_BACKEND_PREAD);
	la57 = cpu_uses_la57();
	dw = dwinfo_new();
	for (size_t i = 0; i < n; i++)
		if (!rep[i].failed)
			addr_collect(&rep[i], &p, cache, dw, pm, page_size, la57);
	dropped_warn(rep, n);
	if (failed == n)
		goto out;

	if (format == FMT_JSON) {
		json_t *doc = n == 1 ? addr_to_json(&rep[0], &p, page_size) : json_array();

		for (size_t i = 0; n > 1 && i < n; i++)
			if (!rep[i].failed)
				json_array_append_new(doc, addr_to_json(&rep[i], &p, page_size));
		r = json_write(stdout, doc, false);
		json_decref(doc);
	} else {
		for (size_t i = 0; i < n; i++)
			if (!rep[i].failed)
				addr_write_text(stdout, &rep[i], &p, page_size);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vm_error("cannot write standard output: %s", strerror(errno));
		goto out;
	}
	ret = failed ? 1 : 0;
out:
	for (size_t i = 0; rep && i < n; i++) {
		sym_where_fini(&rep[i].where);
		addr_spec_free(&rep[i].spec);
		free(rep[i].src_file);
	}
	free(rep);
	dwinfo_free(dw);
	pagemap_close(pm);
	elf_cache_free(cache);
	vm_process_fini(&p);
	return ret;
}
