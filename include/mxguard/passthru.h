/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/passthru.h - keep saying so while a bad reload passes
 * everything through.
 */
/** \file
 * When `unbound-control reload` meets a config that cannot be loaded, the
 * module runs in pass-through mode (module/mxguard.c): it observes and
 * blocks nothing. That must not go unnoticed: a small thread logs an error
 * every minute and, when the config names a Redis (read as far as it can be
 * read), writes the instance heartbeat with mode "pass-through" every 5 s,
 * so `mxguard-report instances` and the metrics show it.
 */
#ifndef MXGUARD_PASSTHRU_H
#define MXGUARD_PASSTHRU_H

struct mxg_passthru;

/** Seconds between two pass-through error lines. */
#define MXG_PASSTHRU_LOG_S 60

/**
 * Start the thread.
 * @param file: the config file that failed (copied; read again for the
 *	redis-* and instance settings).
 * @return NULL when the thread cannot start (the first error line has been
 *	logged by the caller anyway).
 */
struct mxg_passthru* mxg_passthru_start(const char* file);

/** Stop and join the thread (within about 100 ms plus a Redis timeout),
 * free everything. NULL is fine. */
void mxg_passthru_stop(struct mxg_passthru* p);

#endif /* MXGUARD_PASSTHRU_H */
