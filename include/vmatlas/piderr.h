/* One clear sentence for why a process could not be read. */
#ifndef VMATLAS_PIDERR_H
#define VMATLAS_PIDERR_H

#include <stddef.h>
#include <sys/types.h>

/* Describe ERR (a positive errno from collecting PID) into BUF: no such
 * process, zombie, exited meanwhile, another user's, not dumpable, ... */
void pid_error_describe(pid_t pid, int err, char *buf, size_t len);

#endif
