/* vmatlas stacks [--format=text|json] PID: a backtrace of every thread.
 * The process is stopped only while unwinding and left as it was found. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vmatlas/classify.h"
#include "vmatlas/json.h"
#include "vmatlas/render.h"
#include "vmatlas/piderr.h"
#include "vmatlas/procfs.h"
#include "vmatlas/stacks.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

static void stacks_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmatlas stacks [--format=text|json] PID\n"
		"Print a backtrace of every thread of a process. The process is\n"
		"stopped (ptrace) only while unwinding and left as it was found.\n\n"
		"  -f, --format=FMT   text (default) or json\n"
		"  -h, --help         this help\n");
}

static int stacks_write_json(FILE *f, const struct vm_process *p)
{
	json_t *o = json_object();
	int r;

	json_object_set_new(o, "pid", json_integer(p->pid));
	json_object_set_new(o, "comm", json_string(p->comm ? p->comm : ""));
	json_object_set_new(o, "threads", threads_to_json(p));
	r = json_write(f, o, false);
	json_decref(o);
	return r;
}

int cmd_stacks(int argc, char **argv)
{
	enum snapshot_fmt format = FMT_TEXT;
	struct vm_process p = { 0 };
	struct elf_cache *cache = NULL;
	struct tracer *t = NULL;
	struct stacks_ctx *u = NULL;
	char msg[512];
	pid_t pid;
	int c, r, ret = 1;

	c = cmd_format_options("stacks", argc, argv, &format, stacks_usage);
	if (c >= 0)
		return c;
	if (argc - optind != 1) {
		vm_error("stacks: need exactly one PID (see 'vmatlas stacks --help')");
		return EXIT_USAGE;
	}
	if ((r = cmd_parse_pid(argv[optind], &pid)) != 0)
		return r;
	r = procfs_collect(pid, &p);
	if (r < 0) {
		pid_error_describe(pid, -r, msg, sizeof(msg));
		vm_error("%s", msg);
		return 1;
	}
	cache = elf_cache_new();
	t = tracer_new(0);
	u = stacks_ctx_new();
	if (!cache || !t || !u) {
		vm_error("out of memory");
		goto out;
	}
	classify_process(&p, cache);
	r = stacks_attach_collect(u, t, cache, &p);
	/* Let go before printing: the process runs again as found. */
	tracer_detach_all(t);
	if (r == -EINTR || vm_should_quit())
		goto out;
	if (r < 0) {
		tracer_error_describe(pid, r, msg, sizeof(msg));
		vm_error("stacks: %s", msg);
		goto out;
	}
	if (format == FMT_JSON)
		r = stacks_write_json(stdout, &p);
	else {
		char *comm = escape_untrusted(p.comm ? p.comm : "?");

		printf("pid %d (%s): %zu thread%s\n\n", (int)pid, comm ? comm : "?",
		       p.nthreads, p.nthreads == 1 ? "" : "s");
		free(comm);
		r = stacks_write_text(stdout, &p);
	}
	if (r < 0 || fflush(stdout) != 0) {
		vm_error("cannot write standard output: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	tracer_free(t);
	stacks_ctx_free(u);
	elf_cache_free(cache);
	vm_process_fini(&p);
	return ret;
}
