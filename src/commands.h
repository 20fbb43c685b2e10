/* The commands of the vmatlas binary, one file each (src/cmd_*.c). Each
 * returns the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef VMATLAS_COMMANDS_H
#define VMATLAS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { EXIT_USAGE = 2 };

int cmd_snapshot(int argc, char **argv);

struct vm_snapshot;
struct outfile;
enum snapshot_fmt { FMT_TEXT, FMT_JSON, FMT_SVG };
/* FMT_* for a --format argument; -EINVAL after saying why. */
int snapshot_parse_format(const char *arg, enum snapshot_fmt *format);
/* Render S to OUT and commit it (or abort it on error); an exit status. */
int snapshot_render(const struct vm_snapshot *s, enum snapshot_fmt format,
		    unsigned flags, struct outfile *out);
/* Print why outfile_open(PATH) failed with R. */
void outfile_report_open_error(const char *path, int r);
int cmd_demo(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_view(int argc, char **argv);

struct vm_timeline;
/* Load a snapshot file for a front end, printing its error or warning. */
struct vm_timeline *view_load(const char *path);
/* Write BUF (LEN bytes, malloc'd, freed here) to OUT, gzip-compressed for
 * a *.gz name, and commit OUT; R < 0 aborts it instead (rendering failed).
 * An exit status; the error is printed. */
int output_commit_buffer(struct outfile *out, char *buf, size_t len, int r);
/* RENDER(f, ARG) into memory, then output_commit_buffer. */
int output_render(struct outfile *out, int (*render)(FILE *f, const void *arg),
		  const void *arg);

/* getopt_long for a command, with errors said in one line:
 * "vmatlas: CMD: unrecognized option '--x' (see 'vmatlas CMD --help')".
 * Returns as getopt_long does, but '?' only after printing that line. */
struct option;
int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Path of the bundled demo program: beside the running binary in a build
 * tree, else in PKGLIBEXECDIR. NULL + errno when missing. */
char *demo_program_path(void);

int cmd_watch(int argc, char **argv);
struct tui_opts;
struct tui_source;
/* Options shared by watch and demo (-d, --no-color, --ascii): 1 when C was
 * one of them, 0 if not, -1 after reporting a bad value. */
int watch_parse_opt(int c, const char *arg, struct tui_opts *o);
/* Run the live screen on SRC, then close SRC; an exit status. */
int watch_run_source(struct tui_source *src, const struct tui_opts *o);

#endif
