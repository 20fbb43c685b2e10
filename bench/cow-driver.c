/* Benchmark driver for the copy-on-write comparison primitive (until a
 * `vmatlas cow` command exists): compares every mapping PARENT and CHILD
 * both have at the same range and prints the totals.
 *
 * usage: cow-driver PARENT CHILD */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/pagemap.h"
#include "vmatlas/procfs.h"

static int read_maps(pid_t pid, struct vm_mapping **maps, size_t *n)
{
	char path[64], *buf = NULL;
	size_t len, bad;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	r = procfs_read_file(path, 64 << 20, &buf, &len);
	if (r == 0)
		r = maps_parse(buf, len, maps, n, &bad);
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	struct vm_mapping *pm = NULL, *cm = NULL;
	size_t np = 0, nc = 0, j = 0;
	struct pagemap_ctx *p = NULL, *c = NULL;
	struct cow_counts sum = { 0 }, k;
	int r, ret = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: cow-driver PARENT CHILD\n");
		return 2;
	}
	if ((r = read_maps(atoi(argv[1]), &pm, &np)) < 0 ||
	    (r = read_maps(atoi(argv[2]), &cm, &nc)) < 0) {
		fprintf(stderr, "cow-driver: maps: %s\n", strerror(-r));
		goto out;
	}
	p = pagemap_open(atoi(argv[1]), PM_BACKEND_AUTO);
	c = pagemap_open(atoi(argv[2]), PM_BACKEND_AUTO);
	if (!p || !c) {
		fprintf(stderr, "cow-driver: pagemap: %s\n", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		while (j < nc && cm[j].start < pm[i].start)
			j++;
		if (j == nc || cm[j].start != pm[i].start || cm[j].end != pm[i].end ||
		    pm[i].start >= 1ULL << 63)
			continue;
		r = pagemap_cow_compare(p, c, pm[i].start, pm[i].end, &k, NULL, NULL);
		if (r < 0) {
			fprintf(stderr, "cow-driver: compare: %s\n", strerror(-r));
			goto out;
		}
		sum.shared += k.shared;
		sum.diverged += k.diverged;
		sum.parent_only += k.parent_only;
		sum.child_only += k.child_only;
		sum.neither += k.neither;
		sum.precision = k.precision;
	}
	printf("precision=%s shared=%" PRIu64 " diverged=%" PRIu64
	       " parent_only=%" PRIu64 " child_only=%" PRIu64 " neither=%" PRIu64 "\n",
	       cow_precision_name(sum.precision), sum.shared, sum.diverged,
	       sum.parent_only, sum.child_only, sum.neither);
	ret = 0;
out:
	pagemap_close(p);
	pagemap_close(c);
	for (size_t i = 0; i < np; i++)
		vm_mapping_fini(&pm[i]);
	for (size_t i = 0; i < nc; i++)
		vm_mapping_fini(&cm[i]);
	free(pm);
	free(cm);
	return ret;
}
