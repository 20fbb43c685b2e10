/* The commands of the vmatlas binary, one file each (src/cli/cmd_*.c). Each
 * returns the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef VMATLAS_COMMANDS_H
#define VMATLAS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

enum { EXIT_USAGE = 2 };

int cmd_snapshot(int argc, char **argv);

struct vm_snapshot;
struct outfile;
enum snapshot_fmt { FMT_TEXT, FMT_JSON, FMT_SVG };
/* FMT_* for a --format argument; -EINVAL after saying why. */
int snapshot_parse_format(const char *arg, enum snapshot_fmt *format);
/* The same for a command that prints only text or json (CMD names it). */
int cmd_parse_text_json(const char *cmd, const char *arg, enum snapshot_fmt *format);
/* Render S to OUT and commit it (or abort it on error); an exit status. */
int snapshot_render(const struct vm_snapshot *s, enum snapshot_fmt format,
		    unsigned flags, struct outfile *out);
/* Say why output PATH could not be created (ERR, a -errno). */
void cmd_output_error(const char *path, int err);
/* outfile_open() that says why it failed. 0 or -errno. */
int cmd_output_open(struct outfile *out, const char *path, bool force);
/* The output options of commands that write snapshot documents:
 * -f/--format, -p/--pages, -o/--output, and --force (getopt code 'F'). */
struct cmd_out {
	enum snapshot_fmt format;
	unsigned flags;   /* OUT_* */
	const char *path; /* "-": standard output */
	bool force;
	bool format_given; /* -f was used */
};
#define CMD_OUT_INIT { FMT_TEXT, 0, "-", false, false }
/* 1 when C was one of them, 0 when not, -1 after saying why ARG is wrong. */
int cmd_out_option(struct cmd_out *o, int c, const char *arg);
/* Without -f, the format an output file's name asks for: FILE.json,
 * FILE.jsonl (and .gz of them) JSON, FILE.svg SVG when SVG_OK. */
void cmd_out_format_from_name(struct cmd_out *o, bool svg_ok);
/* --interval SECONDS (OPT 'i': > 0, fractions allowed) into *INTERVAL, or
 * --count N (> 0) into *COUNT; -EINVAL after saying why (CMD names the
 * command). */
int cmd_parse_interval(const char *cmd, int opt, const char *arg, double *interval,
		       unsigned long *count);
/* N PID arguments into PIDS; says which one is not a PID (-EINVAL). */
int cmd_parse_pids(char *const *args, size_t n, pid_t *pids);
/* 0 when /proc is of vmatlas's PID namespace, else says so: -EXDEV. The
 * PID parsers above and below check it. */
int cmd_check_namespace(void);
/* Notes on stderr for the mapped files left unread so far (on FUSE, NFS
 * or CIFS mounts; or that did not answer in time), once each. */
void cmd_note_unread(void);
int cmd_demo(int argc, char **argv);
int cmd_cow(int argc, char **argv);
int cmd_family(int argc, char **argv);
int cmd_addr(int argc, char **argv);
int cmd_stacks(int argc, char **argv);
int cmd_faults(int argc, char **argv);
int cmd_diff(int argc, char **argv);
/* What moved in a family between snapshots A and B (diff_family.c): a
 * table, or one JSON object {"family": ...} of [A, B] pairs. */
struct vm_family;
void diff_family_write_text(FILE *f, const struct vm_family *a, const struct vm_family *b);
json_t *diff_family_json(const struct vm_family *a, const struct vm_family *b);
int cmd_view(int argc, char **argv);

struct vm_timeline;
/* Load a snapshot file for a front end, printing its error or warning. */
struct vm_timeline *view_load(const char *path);
/* True when PATH names a gzip file: "-o FILE.gz" writes compressed. */
bool output_wants_gzip(const char *path);
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

/* Options of a command that has only --format and --help: parses them
 * into *FORMAT. Returns -1 to go on (operands from optind), else the exit
 * status (0 after printing USAGE for --help, EXIT_USAGE after an error). */
int cmd_format_options(const char *cmd, int argc, char **argv,
		       enum snapshot_fmt *format, void (*usage)(FILE *));
/* Parse a PID operand; 0, or the exit status after saying why
 * (EXIT_USAGE, or 1 when /proc is another PID namespace's). */
int cmd_parse_pid(const char *arg, pid_t *pid);

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
/* A terminal for a program launched under the screen (pty_open), sized as
 * the Output view; 0 or -errno. */
int screen_pty_open(int *master, int *slave);

#endif
