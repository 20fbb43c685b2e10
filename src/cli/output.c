/* Documents the commands write: rendered whole in memory, then committed
 * to an atomic output file (gzip-compressed for a *.gz name); and the
 * loading of saved files for view and diff. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/gzio.h"
#include "vmatlas/json.h"
#include "vmatlas/outfile.h"
#include "vmatlas/render.h"
#include "vmatlas/snapread.h"
#include "vmatlas/util.h"

/* True when PATH names a gzip file: "-o FILE.gz" writes compressed. */
bool output_wants_gzip(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

static int render_to(FILE *f, const struct vm_snapshot *s, enum snapshot_fmt format,
		     unsigned flags)
{
	int r;

	if (format == FMT_JSON) {
		json_t *doc = snapshot_to_json(s, flags);

		r = json_write(f, doc, false);
		json_decref(doc);
		return r;
	}
	if (format == FMT_SVG)
		return snapshot_write_svg(f, s, flags);
	r = snapshot_write_text(f, s, flags);
	/* A family's document (vmatlas family) ends with its table. */
	if (r == 0 && s->family) {
		fputc('\n', f);
		r = family_write_text(f, s->family);
	}
	return r;
}

int output_commit_buffer(struct outfile *out, char *buf, size_t len, int r)
{
	if (r == 0 && out->path && output_wants_gzip(out->path))
		r = gz_write_member(out->f, buf, len);
	else if (r == 0 && fwrite(buf, 1, len, out->f) != len)
		r = -(errno ? errno : EIO); /* a full disk says ENOSPC */
	free(buf);
	/* Interrupted while writing: keep the old file, leave no new one. */
	if (r == 0 && vm_should_quit() && !out->is_stdout)
		r = -EINTR;
	if (r == 0)
		r = outfile_commit(out);
	else
		outfile_abort(out);
	if (r < 0 && vm_should_quit())
		return 128 + vm_quit_signal;
	if (r < 0) {
		vm_error("cannot write %s: %s", out->is_stdout ? "standard output" : "the output file",
			 strerror(-r));
		return 1;
	}
	return 0;
}

int output_render(struct outfile *out, int (*render)(FILE *f, const void *arg),
		  const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int r;

	/* Rendered in memory first: compressed or not, the file gets only
	 * a complete document. */
	if (!mem) {
		outfile_abort(out);
		vm_error("out of memory");
		return 1;
	}
	r = render(mem, arg);
	if (fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	return output_commit_buffer(out, buf, len, r);
}

struct render_args {
	const struct vm_snapshot *s;
	enum snapshot_fmt format;
	unsigned flags;
};

static int render_snapshot(FILE *f, const void *arg)
{
	const struct render_args *a = arg;

	return render_to(f, a->s, a->format, a->flags);
}

int snapshot_render(const struct vm_snapshot *s, enum snapshot_fmt format,
		    unsigned flags, struct outfile *out)
{
	struct render_args a = { s, format, flags };

	return output_render(out, render_snapshot, &a);
}

/* Load FILE and report its warning; NULL after printing the error. */
struct vm_timeline *view_load(const char *path)
{
	struct snapread_error err;
	struct vm_timeline *t = snapshot_read_file(path, &err);

	if (!t) {
		vm_error("%s", err.msg);
		return NULL;
	}
	if (t->warning)
		vm_error("warning: %s", t->warning);
	return t;
}
