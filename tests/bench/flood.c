/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/flood.c - MX queries from many loopback client addresses.
 */
/** \file
 * A tiny UDP sender for the memory benchmark (tests/bench/run.sh): query i
 * asks "MX <prefix><i>.<suffix>" from source address 127.A.B.C, where
 * A.B.C = FIRST + i counted from 127.16.0.0, so N queries come from N
 * distinct clients and ask N distinct names. One socket, bound to
 * 0.0.0.0:port, sets each packet's source with IP_PKTINFO (the whole of
 * 127/8 is local on Linux), and receives the replies to every source.
 *
 * It keeps at most WINDOW queries outstanding, counts a query lost after
 * TIMEOUT ms, and stops by itself. Only loopback destinations are accepted.
 *
 * Usage: flood SERVER PORT N [WINDOW [TIMEOUT_MS [PREFIX [SUFFIX [FIRST]]]]]
 * Prints one line: sent=.. answered=.. lost=.. noerror=.. servfail=..
 * refused=.. other=.. seconds=.. qps=..
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

int
main(int argc, char** argv)
{
	struct sockaddr_in srv, any;
	uint32_t n, window = 64, timeout = 2000, first = 0;
	const char* prefix = "f";
	const char* suffix = "test";
	static struct inflight fl;
	uint64_t sent = 0, t0;
	uint32_t next = 0;
	int fd, one = 1;
	if(!server_args(argc, argv, 3, "flood SERVER PORT N [WINDOW [TIMEOUT_MS "
		"[PREFIX [SUFFIX [FIRST]]]]]", &srv))
		return 2;
	n = (uint32_t)strtoul(argv[3], NULL, 10);
	if(argc > 4) window = (uint32_t)strtoul(argv[4], NULL, 10);
	if(argc > 5) timeout = (uint32_t)strtoul(argv[5], NULL, 10);
	if(argc > 6) prefix = argv[6];
	if(argc > 7) suffix = argv[7];
	if(argc > 8) first = (uint32_t)strtoul(argv[8], NULL, 10);
	if(window < 1 || window > 30000 || n > (1u << 23)) {
		fprintf(stderr, "flood: WINDOW 1..30000, N up to 8M\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if(fd < 0) { perror("socket"); return 1; }
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	{
		int buf = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	if(bind(fd, (struct sockaddr*)&any, sizeof(any)) < 0) {
		perror("bind"); return 1;
	}
	t0 = fl.tlast = now_ms();
	while(next < n || fl.outstanding > 0) {
		while(next < n && fl.outstanding < window) {
			uint8_t pkt[300];
			char name[300];
			size_t len;
			uint32_t c = first + next, id = next & 0xffff;
			struct in_addr from;
			if(inflight_busy(&fl, (uint16_t)id))	/* wait */
				break;
			snprintf(name, sizeof(name), "%s%u.%s", prefix, next,
				suffix);
			if(!(len = build_query(pkt, name, 15))) {
				fprintf(stderr, "flood: bad name %s\n", name);
				return 2;
			}
			pkt[0] = (uint8_t)(id >> 8); pkt[1] = id & 0xff;
			from.s_addr = htonl((127u << 24) |
				((16u << 16) + (c & 0xffffff)));
			if(send_from(fd, pkt, len, &srv, &from) < 0) {
				if(errno == EAGAIN || errno == ENOBUFS)
					break;
				perror("sendmsg");
				return 1;
			}
			inflight_sent(&fl, (uint16_t)id);
			sent++;
			next++;
		}
		inflight_poll(&fl, fd, timeout);
	}
	{
		double secs = (double)(now_ms() - t0) / 1000.0;
		printf("sent=%llu answered=%llu lost=%llu noerror=%llu "
			"servfail=%llu refused=%llu other=%llu seconds=%.1f "
			"qps=%.0f\n", (unsigned long long)sent,
			(unsigned long long)fl.answered,
			(unsigned long long)fl.lost, (unsigned long long)fl.rc[0],
			(unsigned long long)fl.rc[2], (unsigned long long)fl.rc[5],
			(unsigned long long)(fl.answered - fl.rc[0] - fl.rc[2] -
			fl.rc[5]), secs, secs > 0 ?
			(double)fl.answered / secs : 0.0);
	}
	close(fd);
	return 0;
}
