/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/bench/inflight.h - the queries in flight of a bench client.
 */
/** \file
 * qsend.c and flood.c send DNS queries over one UDP socket with their own
 * sending loops; this header holds what they share: the clock, the
 * loopback server address, the wire form of a query, sending a packet from
 * a chosen loopback source, the table of outstanding query ids, and
 * reading replies and expiring lost queries. Header-only, because each
 * client is built alone with `gcc -O2 x.c`.
 */
#ifndef MXG_BENCH_INFLIGHT_H
#define MXG_BENCH_INFLIGHT_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/** The command line's first two words, the server: an IPv4 loopback
 * address and a port. @return 0, with a message, when there are fewer
 * than need words (after the program's name) or the address is another;
 * usage is "PROG SERVER PORT ...". */
static int
server_args(int argc, char** argv, int need, const char* usage,
	struct sockaddr_in* srv)
{
	if(argc < need + 1) {
		fprintf(stderr, "usage: %s\n", usage);
		return 0;
	}
	memset(srv, 0, sizeof(*srv));
	srv->sin_family = AF_INET;
	srv->sin_port = htons((uint16_t)atoi(argv[2]));
	if(inet_pton(AF_INET, argv[1], &srv->sin_addr) != 1 ||
		(ntohl(srv->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "%.*s: SERVER must be an IPv4 loopback "
			"address\n", (int)strcspn(usage, " "), usage);
		return 0;
	}
	return 1;
}

/** The wire form of a query (id 0, RD) for name (dotted, no final dot)
 * and type, class IN, into p (300 bytes). @return its length, 0 if the
 * name is malformed or too long. */
static size_t
build_query(uint8_t* p, const char* name, int type)
{
	size_t n = 12;
	const char* s = name;
	memset(p, 0, 12);
	p[2] = 0x01;	/* RD */
	p[5] = 1;	/* QDCOUNT */
	while(*s) {
		const char* dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if(l == 0 || l > 63 || n + l + 6 > 300)
			return 0;
		p[n++] = (uint8_t)l;
		memcpy(p + n, s, l);
		n += l;
		s += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	p[n++] = (uint8_t)(type >> 8); p[n++] = (uint8_t)type;
	p[n++] = 0; p[n++] = 1;		/* IN */
	return n;
}

/** Send a packet to srv; from the loopback source src (IP_PKTINFO, on a
 * socket bound to 0.0.0.0 with IP_FREEBIND), or with src NULL from the
 * address the socket is bound to. */
static ssize_t
send_from(int fd, const uint8_t* pkt, size_t len,
	const struct sockaddr_in* srv, const struct in_addr* src)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr* cm;
	struct in_pktinfo* pi;
	if(!src)
		return sendto(fd, pkt, len, 0, (const struct sockaddr*)srv,
			sizeof(*srv));
	iov.iov_base = (void*)pkt;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_name = (void*)srv;
	mh.msg_namelen = sizeof(*srv);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	pi = (struct in_pktinfo*)CMSG_DATA(cm);
	pi->ipi_spec_dst = *src;
	return sendmsg(fd, &mh, 0);
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
