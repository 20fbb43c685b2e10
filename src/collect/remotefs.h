/* File systems whose reads can block without end: FUSE (a stopped or
 * hung daemon), NFS and CIFS (a dead server), and their like. Their files
 * are read only when asked. Private to collect/. */
#ifndef VMATLAS_REMOTEFS_H
#define VMATLAS_REMOTEFS_H

#include <stdbool.h>
#include <sys/types.h>

/* Is device MAJOR:MINOR (as /proc/PID/maps gives it) such a file system?
 * Decided from /proc/PID/mountinfo (else vmatlas's own), which names each
 * mount's type without touching the file system: statfs() on a hung FUSE
 * mount would itself hang. Unknown devices count as local. */
bool remotefs_dev(pid_t pid, unsigned major, unsigned minor);

/* Read them all the same (the user asked): remotefs_dev() says false. */
void remotefs_allow(bool on);

/* How many times remotefs_dev() said yes (files left unread). */
size_t remotefs_skipped(void);

/* The type of that file system ("fuse.fuse2fs", "nfs4"), or NULL. */
const char *remotefs_type(unsigned major, unsigned minor);

#endif
