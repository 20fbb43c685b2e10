/* The snapshot reader on buffers written inline: what the fuzzer feeds it
 * (snapshot_read_buffer), gzip, timelines and their incomplete last line,
 * and the exact one-line messages. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vmatlas/gzio.h"
#include "vmatlas/snapread.h"

#define DOC(MAPS)                                                                         \
	"{\"format\":\"vmatlas-snapshot\",\"version\":1,\"taken_at\":\"2026-11-21T00:12:12.345Z\"," \
	"\"host\":{\"kernel\":\"6.18\",\"page_size\":4096,\"pfn_visible\":false},"          \
	"\"processes\":[{\"pid\":7,\"comm\":\"t\",\"mappings\":[" MAPS "]}]}"
#define MAP(START, END, RES)                                                              \
	"{\"start\":\"" START "\",\"end\":\"" END "\",\"perms\":\"rw-p\",\"offset\":\"0x0\","  \
	"\"dev\":\"00:00\",\"inode\":0,\"path\":\"\",\"kind\":\"anon\",\"pages\":{\"total\":2," \
	"\"resident\":" RES ",\"swapped\":0,\"not_present\":0}}"

static const char good[] = DOC(MAP("0x1000", "0x3000", "2"));

static struct vm_timeline *rd(const char *buf, size_t len, struct snapread_error *err)
{
	return snapshot_read_buffer(buf, len, "t.json", err);
}

static void expect_error(const char *buf, const char *msg)
{
	struct snapread_error err;
	struct vm_timeline *t = rd(buf, strlen(buf), &err);

	CHECK(t == NULL);
	CHECK(errno == EINVAL);
	CHECK_STR(err.msg, msg);
	vm_timeline_free(t);
}

int main(void)
{
	struct snapread_error err;
	struct vm_timeline *t;
	unsigned char *gz;
	size_t gzlen;
	char *buf;

	t = rd(good, strlen(good), &err);
	CHECK(t != NULL);
	if (t) {
		const struct vm_process *p = &t->snaps[0]->procs[0];
		CHECK_EQ_U64(t->nsnaps, 1);
		CHECK_EQ_U64(p->pid, 7);
		CHECK_EQ_U64(p->nmaps, 1);
		CHECK_EQ_U64(p->maps[0].start, 0x1000);
		CHECK_EQ_U64(p->maps[0].pages.resident, 2);
		CHECK_EQ_U64(p->totals.resident_kb, 8);
		CHECK_EQ_U64(t->snaps[0]->taken_at.tv_nsec, 345000000);
		CHECK(!t->snaps[0]->host.swap_total_known);
		CHECK(!t->compressed && t->warning == NULL);
	}
	vm_timeline_free(t);

	/* gzip, recognised by content. */
	CHECK(gz_deflate(good, strlen(good), &gz, &gzlen) == 0);
	t = snapshot_read_buffer(gz, gzlen, "t", &err);
	CHECK(t && t->compressed && t->nsnaps == 1);
	vm_timeline_free(t);
	t = snapshot_read_buffer(gz, gzlen / 2, "t", &err);
	CHECK(t == NULL);
	CHECK_STR(err.msg, "t: the gzip data is truncated: no complete snapshot");
	free(gz);

	/* A timeline: three lines, the last cut short. */
	buf = malloc(4 * sizeof(good));
	snprintf(buf, 4 * sizeof(good), "%s\n%s\n%.*s", good, good, 40, good);
	t = rd(buf, strlen(buf), &err);
	CHECK(t && t->nsnaps == 2 && t->jsonl);
	CHECK_STR(t ? t->warning : NULL,
		  "t.json: line 3: incomplete last snapshot ignored (the capture was interrupted)");
	vm_timeline_free(t);
	/* ... but not in the middle. */
	snprintf(buf, 4 * sizeof(good), "%s\n%.*s\n%s\n", good, 40, good, good);
	t = rd(buf, strlen(buf), &err);
	CHECK(t == NULL);
	CHECK_STR(err.msg, "t.json: line 2: incomplete snapshot (the line ends inside it)");
	free(buf);

	expect_error("", "t.json: empty file: no snapshot in it");
	expect_error(DOC(MAP("0x1000", "0x3000", "3")),
		     "t.json: line 1: processes[0].mappings[0].pages.resident: 3 is out of range (at most 2)");
	expect_error(DOC(MAP("0x1000", "0x3000", "2") "," MAP("0x2000", "0x4000", "2")),
		     "t.json: line 1: processes[0].mappings[1]: starts at 0x2000, below the end of the "
		     "previous mapping (0x3000): mappings must be sorted and not overlap");
	expect_error("{\"format\":\"vmatlas-snapshot\",\"version\":3}",
		     "t.json: line 1: version: 3 is newer than this vmatlas reads (2): use a newer vmatlas");
	expect_error("{\"format\":\"vmatlas-snapshot\",\n \"version\":1,\n \"taken_at\":\"x\"}",
		     "t.json: taken_at: expected an RFC 3339 time such as \"2026-11-21T00:12:12.345Z\"");
	CHECK_DONE();
}
