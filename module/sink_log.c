/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/sink_log.c - the sink's JSON log file.
 */
/** \file
 * The log-file the sink thread writes the JSON lines to: opened with
 * O_NOFOLLOW, reopened when it was rotated (moved or deleted), written in
 * blocks; when it cannot be written the lines go to Unbound's log, with one
 * error a minute.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "mxguard/sink.h"
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/hash.h"
#include "mxguard/jsonlog.h"
#include "mxguard/loglimit.h"
#include "mxguard/log.h"
#include "mxguard/redis.h"
#include "sink_int.h"

/* ------------------------------------------------------------------ */
/* JSON log lines.                                                     */

/** Open (or reopen) the log file. O_NOFOLLOW: a symbolic link put in
 * place of the log file is not followed (docs/security.md). */
void
sink_log_open(struct mxg_sink* s)
{
	if(s->logfd >= 0)
		close(s->logfd);
	s->logfd = open(s->cfg->log_file, O_WRONLY | O_APPEND | O_CREAT |
		O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
	if(s->logfd < 0 && mxg_mono_ms() >= s->log_err_next) {
		/* once a minute, not at every retry */
		mxg_log_err("log-file %s: cannot open: %s; the verdicts go to "
			"Unbound's log until it can be written (retried every "
			"%d s)", s->cfg->log_file, strerror(errno),
			LOGCHECK_MS / 1000);
		s->log_err_next = mxg_mono_ms() + LOG_ERR_MS;
	}
}

/** Reopen the log file if it was moved away (rotated) or deleted. */
void
sink_log_check(struct mxg_sink* s)
{
	struct stat a, b;
	if(!s->cfg->log_file)
		return;
	if(s->logfd < 0 || stat(s->cfg->log_file, &a) != 0 ||
		fstat(s->logfd, &b) != 0 || a.st_ino != b.st_ino ||
		a.st_dev != b.st_dev)
		sink_log_open(s);
}

/** Write collected log lines. */
void
sink_log_flush(struct mxg_sink* s, char* buf, size_t* len)
{
	size_t off = 0;
	if(*len == 0)
		return;
	if(s->logfd < 0)
		sink_log_open(s);
	while(s->logfd >= 0 && off < *len) {
		ssize_t w = write(s->logfd, buf + off, *len - off);
		if(w < 0) {
			if(errno == EINTR)
				continue;
			if(mxg_mono_ms() >= s->log_err_next) {
				mxg_log_err("log-file %s: write: %s; the "
					"verdicts go to Unbound's log until it "
					"can be written", s->cfg->log_file,
					strerror(errno));
				s->log_err_next = mxg_mono_ms() + LOG_ERR_MS;
			}
			/* reopened at the next flush */
			close(s->logfd);
			s->logfd = -1;
			break;
		}
		off += (size_t)w;
	}
	/* what the file did not take goes to Unbound's log, line by line */
	while(off < *len) {
		char* nl = memchr(buf + off, '\n', *len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : *len - off;
		/* a line cut by a short write is finished here */
		if(n)
			mxg_log_info("%.*s", (int)n, buf + off);
		off += n + (nl ? 1 : 0);
	}
	*len = 0;
}

