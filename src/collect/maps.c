/* Parser of /proc/PID/maps text. The kernel prints one line per VMA
 * (fs/proc/task_mmu.c, show_map_vma):
 *
 *   start-end perms offset major:minor inode<pad> path
 *
 * start, end, offset, major and minor in hex, inode in decimal. After the
 * inode it writes one space, pads with spaces to a fixed column (seq_pad) and
 * writes the path, which runs to the end of the line and may contain spaces;
 * anonymous mappings end right after the first space. The path never starts
 * with a space (it is absolute, "[...]" or a pseudo-file name such as
 * "anon_inode:..."), so all spaces before it are padding. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/procfs.h"

#define DELETED_SUFFIX " (deleted)"

/* A cursor over one line: [p, end). */
struct cursor {
	const char *p, *end;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At least one digit, no sign, no "0x"; -EINVAL past 64 bits. */
static int scan_hex(struct cursor *c, uint64_t *v)
{
	uint64_t n = 0;
	const char *start = c->p;
	int d;

	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (n > (UINT64_MAX >> 4))
			return -EINVAL;
		n = (n << 4) | (uint64_t)d;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;
	*v = n;
	return 0;
}

static int scan_dec(struct cursor *c, uint64_t *v)
{
	uint64_t n = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;
	*v = n;
	return 0;
}

static int scan_char(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

static int scan_perms(struct cursor *c, char perms[5])
{
	static const char allowed[4][3] = { "r-", "w-", "x-", "ps" };

	if (c->end - c->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char ch = c->p[i];
		if (ch != allowed[i][0] && ch != allowed[i][1])
			return -EINVAL;
		perms[i] = ch;
	}
	perms[4] = '\0';
	c->p += 4;
	return 0;
}

/* Parse one line (without its '\n') into M; the path is allocated. */
static int parse_line(const char *line, size_t len, struct vm_mapping *m)
{
	struct cursor c = { line, line + len };
	uint64_t major, minor;
	size_t plen;

	memset(m, 0, sizeof(*m));
	m->kind = VK_OTHER;
	if (scan_hex(&c, &m->start) < 0 || scan_char(&c, '-') < 0 ||
	    scan_hex(&c, &m->end) < 0 || scan_char(&c, ' ') < 0 ||
	    scan_perms(&c, m->perms) < 0 || scan_char(&c, ' ') < 0 ||
	    scan_hex(&c, &m->offset) < 0 || scan_char(&c, ' ') < 0 ||
	    scan_hex(&c, &major) < 0 || scan_char(&c, ':') < 0 ||
	    scan_hex(&c, &minor) < 0 || scan_char(&c, ' ') < 0 ||
	    scan_dec(&c, &m->inode) < 0)
		return -EINVAL;
	if (m->start >= m->end || major > UINT_MAX || minor > UINT_MAX)
		return -EINVAL;
	m->dev_major = (unsigned)major;
	m->dev_minor = (unsigned)minor;

	/* The inode is followed by a space (possibly the last byte) or by
	 * nothing at all on kernels that did not print one. */
	if (c.p < c.end && scan_char(&c, ' ') < 0)
		return -EINVAL;
	while (c.p < c.end && *c.p == ' ')
		c.p++;

	plen = (size_t)(c.end - c.p);
	/* The kernel escapes newlines in names; a NUL would cut the string. */
	if (memchr(c.p, '\0', plen))
		return -EINVAL;
	if (plen > strlen(DELETED_SUFFIX) &&
	    memcmp(c.end - strlen(DELETED_SUFFIX), DELETED_SUFFIX,
		   strlen(DELETED_SUFFIX)) == 0) {
		m->deleted = true;
		plen -= strlen(DELETED_SUFFIX);
	}
	m->path = malloc(plen + 1);
	if (!m->path)
		return -ENOMEM;
	memcpy(m->path, c.p, plen);
	m->path[plen] = '\0';
	return 0;
}

static void mappings_free(struct vm_mapping *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_mapping_fini(&maps[i]);
	free(maps);
}

int maps_parse(const char *buf, size_t len, struct vm_mapping **out,
	       size_t *nout, size_t *bad_line)
{
	struct vm_mapping *maps = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	const char *p = buf, *end = buf + len;
	int ret = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		lineno++;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct vm_mapping *nm;

			if (ncap > SIZE_MAX / sizeof(*nm)) {
				ret = -ENOMEM;
				goto out;
			}
			nm = realloc(maps, ncap * sizeof(*nm));
			if (!nm) {
				ret = -ENOMEM;
				goto out;
			}
			maps = nm;
			cap = ncap;
		}
		ret = parse_line(p, (size_t)(eol - p), &maps[n]);
		if (ret == 0 && n > 0 && maps[n].start < maps[n - 1].end) {
			vm_mapping_fini(&maps[n]);
			ret = -EINVAL;
		}
		if (ret < 0) {
			if (ret == -EINVAL && bad_line)
				*bad_line = lineno;
			goto out;
		}
		n++;
		p = nl ? nl + 1 : end;
	}
	*out = maps;
	*nout = n;
	maps = NULL;
	n = 0;
out:
	mappings_free(maps, n);
	return ret;
}
