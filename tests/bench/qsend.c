/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/qsend.c - queries from a file, a fixed number outstanding.
 */
/** \file
 * The client of the instruction counts (tests/bench/run.sh): sends the
 * queries of FILE ("name type" per line, types A, AAAA, MX, TXT, NS) PASSES
 * times to a loopback server from source address SRC, with at most WINDOW
 * outstanding. WINDOW 1 (the default) sends the next query only when the
 * answer of the previous one is in, so the server handles every query on
 * its own wake-up: the count per query does not depend on how many packets
 * happened to queue up (dnsperf -q 1 paces itself to about 50 qps, and
 * with more outstanding the count varies by a few percent).
 * A query unanswered after TIMEOUT ms is counted lost.
 *
 * Even so, under valgrind the server may still be finishing the previous
 * query when the next one arrives, and then handles it without a trip
 * through epoll: a few hundred instructions less, at random. With
 * QSEND_IDLE=/proc/PID/task/PID/wchan (the server's main thread; a
 * colon-separated list for several worker threads) and
 * WINDOW 1, qsend waits before each query until that thread sleeps in
 * epoll_wait (wchan do_epoll_wait, at most 200 ms), so every query costs
 * exactly one wake-up and the count repeats to within a few instructions.
 *
 * A line may name its own source as a third field ("name type 127.0.0.9"):
 * then the socket is bound to 0.0.0.0 and each packet's source is set with
 * IP_PKTINFO (all of 127/8 is local on Linux), so one file mixes clients
 * (relays and others); lines without it use SRC.
 *
 * Usage: qsend SERVER PORT FILE PASSES [SRC [WINDOW [TIMEOUT_MS]]]
 * Prints: sent=.. answered=.. lost=.. noerror=.. servfail=.. refused=..
 *         nxdomain=.. seconds=..
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "inflight.h"

struct q { uint8_t pkt[300]; size_t len; struct in_addr src; };

/* Wait until every wchan file of the colon-separated list says its thread
 * sleeps in epoll_wait (at most 200 ms in all). */
static void
wait_idle(const char* wchan_files)
{
	uint64_t t0 = now_ms();
	char buf[64], path[256];
	const char* p = wchan_files;
	while(*p && now_ms() - t0 < 200) {
		size_t pl = strcspn(p, ":"), n;
		FILE* f;
		if(pl >= sizeof(path))
			return;
		memcpy(path, p, pl);
		path[pl] = 0;
		f = fopen(path, "r");
		if(!f)
			return;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		if(strstr(buf, "epoll_wait"))
			p += pl + (p[pl] == ':');	/* this one idles: next */
	}
}

static int
qtype(const char* t)
{
	if(!strcasecmp(t, "A")) return 1;
	if(!strcasecmp(t, "NS")) return 2;
	if(!strcasecmp(t, "MX")) return 15;
	if(!strcasecmp(t, "TXT")) return 16;
	if(!strcasecmp(t, "AAAA")) return 28;
	return atoi(t);
}

int
main(int argc, char** argv)
{
	struct sockaddr_in srv, src;
	struct q* qs = NULL;
	size_t nq = 0, cap = 0;
	char line[512];
	FILE* f;
	unsigned long passes, total, next = 0;
	unsigned window = 1, timeout = 5000;
	static struct inflight fl;
	uint64_t t0;
	int fd, persrc = 0;
	const char* idle;
	if(!server_args(argc, argv, 4, "qsend SERVER PORT FILE PASSES "
		"[SRC [WINDOW [TIMEOUT_MS]]]", &srv))
		return 2;
	passes = strtoul(argv[4], NULL, 10);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if(inet_pton(AF_INET, argc > 5 ? argv[5] : "127.0.0.1", &src.sin_addr) != 1) {
		fprintf(stderr, "qsend: bad SRC\n");
		return 2;
	}
	if(argc > 6) window = (unsigned)strtoul(argv[6], NULL, 10);
	if(argc > 7) timeout = (unsigned)strtoul(argv[7], NULL, 10);
	if(window < 1 || window > 30000) {
		fprintf(stderr, "qsend: WINDOW 1..30000\n");
		return 2;
	}
	if(!(f = fopen(argv[3], "r"))) { perror(argv[3]); return 1; }
	while(fgets(line, sizeof(line), f)) {
		char name[300], type[16], qsrc[64];
		int nf = sscanf(line, "%299s %15s %63s", name, type, qsrc);
		if(nf < 2)
			continue;
		if(nq == cap) {
			cap = cap ? cap * 2 : 1024;
			qs = realloc(qs, cap * sizeof(*qs));
			if(!qs) { perror("realloc"); return 1; }
		}
		qs[nq].len = build_query(qs[nq].pkt, name, qtype(type));
		qs[nq].src = src.sin_addr;
		if(nf == 3) {
			if(inet_pton(AF_INET, qsrc, &qs[nq].src) != 1) {
				fprintf(stderr, "qsend: bad source %s\n", qsrc);
				return 2;
			}
			persrc = 1;
		}
		if(qs[nq].len)
			nq++;
	}
	fclose(f);
	if(nq == 0) { fprintf(stderr, "qsend: no queries in %s\n", argv[3]); return 1; }
	total = nq * passes;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if(persrc) {
		int one = 1;
		setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
		src.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	if(fd < 0 || bind(fd, (struct sockaddr*)&src, sizeof(src)) < 0) {
		perror("socket/bind"); return 1;
	}
	idle = getenv("QSEND_IDLE");
	if(idle && (!*idle || window != 1))
		idle = NULL;
	t0 = fl.tlast = now_ms();
	while(next < total || fl.outstanding > 0) {
		while(next < total && fl.outstanding < window) {
			struct q* q = &qs[next % nq];
			uint16_t id = (uint16_t)(next & 0xffff);
			if(inflight_busy(&fl, id))
				break;
			if(idle)
				wait_idle(idle);
			q->pkt[0] = id >> 8; q->pkt[1] = id & 0xff;
			if(send_from(fd, q->pkt, q->len, &srv,
				persrc ? &q->src : NULL) < 0) {
				if(errno == EAGAIN || errno == ENOBUFS)
					break;
				perror("sendto");
				return 1;
			}
			inflight_sent(&fl, id);
			next++;
		}
		inflight_poll(&fl, fd, timeout);
	}
	printf("sent=%lu answered=%llu lost=%llu noerror=%llu servfail=%llu "
		"refused=%llu nxdomain=%llu seconds=%.1f\n", next,
		(unsigned long long)fl.answered, (unsigned long long)fl.lost,
		(unsigned long long)fl.rc[0], (unsigned long long)fl.rc[2],
		(unsigned long long)fl.rc[5], (unsigned long long)fl.rc[3],
		(double)(now_ms() - t0) / 1000.0);
	free(qs);
	close(fd);
	return 0;
}
