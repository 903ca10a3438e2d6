/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/inflight.h - the queries in flight of a bench client.
 */
/** \file
 * qsend.c and flood.c send DNS queries over one UDP socket with their own
 * sending loops; this header holds what they share: the clock, the table
 * of outstanding query ids, and reading replies and expiring lost queries.
 * Header-only, because each client is built alone with `gcc -O2 x.c`.
 */
#ifndef MXG_BENCH_INFLIGHT_H
#define MXG_BENCH_INFLIGHT_H
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/** The queries in flight and what became of those that left. */
struct inflight {
	/** send time (ms, | 1) per query id, 0: not outstanding */
	uint64_t sent_at[65536];
	/** queries outstanding, answered, lost */
	uint64_t outstanding, answered, lost;
	/** answers per rcode */
	uint64_t rc[16];
	/** last expiry sweep (ms) */
	uint64_t tlast;
};

/** Monotonic milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** Is query id still outstanding (its id not reusable yet)? */
static int
inflight_busy(const struct inflight* fl, uint16_t id)
{
	return fl->sent_at[id] != 0;
}

/** Query id was sent now. */
static void
inflight_sent(struct inflight* fl, uint16_t id)
{
	fl->sent_at[id] = now_ms() | 1;
	fl->outstanding++;
}

/**
 * Wait up to 20 ms for replies on fd and count them; every 100 ms count
 * the queries older than timeout_ms as lost (a late reply is ignored).
 */
static void
inflight_poll(struct inflight* fl, int fd, uint64_t timeout_ms)
{
	struct pollfd pfd;
	uint64_t t;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if(poll(&pfd, 1, 20) > 0) {
		static uint8_t r[65536];
		ssize_t k;
		while((k = recv(fd, r, sizeof(r), MSG_DONTWAIT)) >= 12) {
			uint16_t id = (uint16_t)(r[0] << 8 | r[1]);
			if(!fl->sent_at[id])
				continue;	/* late reply */
			fl->sent_at[id] = 0;
			fl->outstanding--;
			fl->answered++;
			fl->rc[r[3] & 15]++;
		}
	}
	t = now_ms();
	if(t - fl->tlast >= 100) {
		uint32_t id;
		fl->tlast = t;
		for(id = 0; id < 65536; id++)
			if(fl->sent_at[id] && t - fl->sent_at[id] > timeout_ms) {
				fl->sent_at[id] = 0;
				fl->outstanding--;
				fl->lost++;
			}
	}
}

#endif /* MXG_BENCH_INFLIGHT_H */
