/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/fuzz/fuzz_redis_reply.c - libFuzzer target: Redis reply handling.
 */
/** \file
 * mxguard trusts nothing Redis says: a server that is misconfigured, out of
 * memory, a replica, or not Redis at all must not crash the sink thread.
 * module/redis.c checks replies in static functions (reply_ok, describe,
 * probe_version, read_replies and the MGET loop of mxg_redis_read_minutes)
 * that only see replies read from a connection, so this target serves the
 * fuzz input as the whole reply stream of a fake Redis server:
 *
 * - a server thread listens on a Unix socket in a scratch directory; for
 *   each input it accepts one connection, writes the reply bytes, shuts its
 *   side down (EOF instead of a timeout when the replies run out) and reads
 *   whatever the client sends;
 * - the client is a real struct mxg_redis: mxg_redis_connect (AUTH, SELECT,
 *   INFO as the options ask), then one of mxg_redis_write,
 *   mxg_redis_heartbeat, mxg_redis_read_minutes, or mxg_redis_add +
 *   mxg_redis_send twice and then mxg_redis_read twice (two pipelines in
 *   flight), on records also taken from the input.
 *
 * Before that the reply bytes go through hiredis' reader on their own
 * (redisReaderFeed in pieces, redisReaderGetReply), and every reply tree is
 * walked to check what redis.c relies on: strings NUL-terminated at len,
 * array elements never NULL. The Redis password must never show up in an
 * error text or a log line.
 *
 * Input: byte 0 options (bit 0 password, bit 1 ACL user, bit 2 SELECT,
 * bits 3-4 the operation, bits 5-7 a count), byte 1 the feed piece size,
 * then per record (count of them): client, base, country, as_org, category
 * as a length byte and bytes, then flag, action and rule bytes; the rest is
 * the reply stream. See tests/fuzz/corpus/fuzz_redis_reply/.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include "mxguard/mxguard.h"
#include "mxguard/redis.h"
#include "input.h"

/** Abort with a reason when a promise is broken. */
#define CHECK(x) do { if(!(x)) { \
	fprintf(stderr, "fuzz_redis_reply: check failed: %s (line %d)\n", \
		#x, __LINE__); abort(); } } while(0)

/** The password of the fake server; must never be logged. */
#define PASSWORD "fuzz-Secret-Passw0rd-4711"

/** The last message logged (tools/log_stderr.c). */
extern char mxg_log_last[1024];

/** Scratch directory and socket path. */
static char sockdir[64], sockpath[128];
/** Listening socket of the fake server. */
static int lfd = -1;
/** Pipe that tells the server thread to finish an input. */
static int wake[2];

/** What the server thread serves for one input. */
struct serve {
	/** reply bytes */
	const uint8_t* data;
	/** their number */
	size_t len;
};

/** Serve one connection: write the replies, then read until told to stop. */
static void*
server(void* arg)
{
	const struct serve* s = arg;
	size_t off = 0;
	int c = -1, wr_done = 0, rd_done = 0;
	char buf[65536];
	for(;;) {
		struct pollfd pf[2];
		pf[0].fd = wake[0];
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		pf[1].revents = 0;
		if(c < 0) {
			pf[1].fd = lfd;
			pf[1].events = POLLIN;
		} else {
			pf[1].fd = rd_done && wr_done ? -1 : c;
			pf[1].events = (short)((rd_done ? 0 : POLLIN) |
				(wr_done ? 0 : POLLOUT));
		}
		if(poll(pf, 2, -1) < 0) {
			if(errno == EINTR)
				continue;
			break;
		}
		if(pf[0].revents)
			break;
		if(c < 0) {
			if(!(pf[1].revents & POLLIN))
				continue;
			c = accept(lfd, NULL, NULL);
			if(c < 0)
				continue;
			(void)fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
			if(s->len == 0) {
				(void)shutdown(c, SHUT_WR);
				wr_done = 1;
			}
			continue;
		}
		if(!wr_done && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(c, s->data + off, s->len - off,
				MSG_NOSIGNAL);
			if(w > 0)
				off += (size_t)w;
			else if(w < 0 && errno != EAGAIN && errno != EINTR)
				wr_done = 1;
			if(off == s->len) {
				(void)shutdown(c, SHUT_WR);
				wr_done = 1;
			}
		}
		if(!rd_done && (pf[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			ssize_t r = recv(c, buf, sizeof(buf), 0);
			if(r == 0 || (r < 0 && errno != EAGAIN &&
				errno != EINTR)) {
				rd_done = 1;
				wr_done = 1;
			}
		}
	}
	if(c >= 0)
		close(c);
	return NULL;
}

/** Remove the socket and its directory at exit. */
static void
cleanup(void)
{
	if(lfd >= 0)
		close(lfd);
	(void)unlink(sockpath);
	(void)rmdir(sockdir);
}

/** libFuzzer setup: the listening socket. */
int
LLVMFuzzerInitialize(int* argc, char*** argv)
{
	struct sockaddr_un sa;
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	snprintf(sockdir, sizeof(sockdir), "/tmp/mxg-fuzz-redis.XXXXXX");
	if(!mkdtemp(sockdir))
		abort();
	snprintf(sockpath, sizeof(sockpath), "%s/redis.sock", sockdir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if(lfd < 0 || bind(lfd, (struct sockaddr*)&sa, sizeof(sa)) != 0 ||
		listen(lfd, 16) != 0 || pipe(wake) != 0)
		abort();
	atexit(cleanup);
	return 0;
}

/** Walk a reply tree: what redis.c relies on must hold. */
static void
walk(const redisReply* r, int depth)
{
	size_t i;
	CHECK(r && depth < 16);
	switch(r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		CHECK(r->str != NULL);
		CHECK(r->str[r->len] == 0);
		/* reads every byte: ASan checks the length */
		for(i = 0; i < r->len; i++)
			(void)*(volatile const char*)(r->str + i);
		break;
	case REDIS_REPLY_ARRAY:
		CHECK(r->elements == 0 || r->element != NULL);
		for(i = 0; i < r->elements; i++)
			walk(r->element[i], depth + 1);
		break;
	case REDIS_REPLY_INTEGER:
	case REDIS_REPLY_NIL:
		break;
	default:
		CHECK(!"unknown reply type");
	}
}

/** Run the reply bytes through hiredis' reader, fed in pieces. */
static void
reader(const uint8_t* d, size_t n, size_t piece)
{
	redisReader* rd = redisReaderCreate();
	size_t off = 0;
	int dead = 0;
	if(!rd)
		return;
	while(off < n && !dead) {
		size_t k = n - off < piece ? n - off : piece;
		void* v = NULL;
		if(redisReaderFeed(rd, (const char*)d + off, k) != REDIS_OK)
			break;
		off += k;
		for(;;) {
			if(redisReaderGetReply(rd, &v) != REDIS_OK) {
				CHECK(rd->err != 0);
				CHECK(memchr(rd->errstr, 0,
					sizeof(rd->errstr)) != NULL);
				dead = 1;
				break;
			}
			if(!v)
				break;
			walk(v, 0);
			freeReplyObject(v);
		}
	}
	redisReaderFree(rd);
}

/** A NUL-terminated string of at most max-1 bytes (length byte * scale). */
static void
cstr(struct src* s, char* dst, size_t max, size_t scale)
{
	size_t l = (byte(s) * scale) % max, i;
	for(i = 0; i < l; i++) {
		uint8_t c = byte(s);
		dst[i] = (char)(c ? c : 'a' + (char)(i % 26));
	}
	dst[l] = 0;
}

/** Records of one input, and the alert fields they point to. */
struct recs {
	/** the records */
	struct mxg_redis_rec r[8];
	/** alert field/value pairs */
	const char* argv[8][4];
	/** their lengths */
	size_t len[8][4];
};

/** Build n records from the input. */
static void
make_recs(struct src* s, struct recs* x, size_t n)
{
	size_t i;
	memset(x, 0, sizeof(*x));
	for(i = 0; i < n; i++) {
		struct mxg_redis_rec* r = &x->r[i];
		uint8_t f;
		r->time_ms = 1795000000000ULL + (uint64_t)i * 61000;
		cstr(s, r->client, sizeof(r->client), 1);
		cstr(s, r->base, sizeof(r->base), 5);
		cstr(s, r->country, sizeof(r->country), 1);
		cstr(s, r->as_org, sizeof(r->as_org), 1);
		cstr(s, r->category, sizeof(r->category), 1);
		f = byte(s);
		r->relay = f & 1;
		r->would_refuse = (f >> 1) & 1;
		r->asn = (f & 4) ? 64496u + f : 0;
		r->action = byte(s) % 4;
		r->rule = byte(s) % (MXG_RULE_COUNT + 2);
		if(f & 8) {
			x->argv[i][0] = "rule";
			x->argv[i][1] = r->base;
			x->argv[i][2] = "client";
			x->argv[i][3] = r->client;
			x->len[i][0] = 4;
			x->len[i][1] = strlen(r->base);
			x->len[i][2] = 6;
			x->len[i][3] = strlen(r->client);
			r->alert_n = 2;
			r->alert_argv = x->argv[i];
			r->alert_len = x->len[i];
		}
	}
}

/** The password must not be in a message. */
static void
no_password(const char* msg)
{
	CHECK(strstr(msg, PASSWORD) == NULL);
}

/** Talk to the fake server, which answers with the reply bytes. */
static void
session(uint8_t opt, struct recs* x, size_t nrec, const uint8_t* rep,
	size_t replen)
{
	struct serve sv = { rep, replen };
	struct mxg_redis_opts o;
	struct mxg_redis* r;
	pthread_t th;
	char server_s[160], err[512];
	char drain[16];
	uint64_t now = 1000000;
	unsigned op = (opt >> 3) & 3;

	memset(&o, 0, sizeof(o));
	snprintf(server_s, sizeof(server_s), "unix:%s", sockpath);
	o.server = server_s;
	o.password = (opt & 1) ? PASSWORD : NULL;
	o.user = (opt & 3) == 3 ? "mxguard" : NULL;
	o.db = (opt & 4) ? 3 : 0;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 2000;
	o.prefix = (opt & 0x20) ? "" : "mxg:";
	mxg_log_last[0] = 0;
	r = mxg_redis_new(&o, err, sizeof(err));
	CHECK(r);
	if(pthread_create(&th, NULL, server, &sv) != 0)
		abort();
	err[0] = 0;
	if(mxg_redis_connect(r, now, err, sizeof(err))) {
		CHECK(mxg_redis_connected(r));
		CHECK(mxg_redis_context(r) != NULL);
		switch(op) {
		case 0:
			(void)mxg_redis_write(r, x->r, nrec, now);
			break;
		case 1: {
			struct mxg_redis_heartbeat hb;
			memset(&hb, 0, sizeof(hb));
			hb.instance = nrec ? x->r[0].base : "fuzz";
			hb.mode = "refuse dry-run";
			hb.started = 1795000000;
			hb.now = 1795000100;
			hb.queue_size = 16384;
			(void)mxg_redis_heartbeat(r, &hb, now);
			break;
		}
		case 2: {
			const char* clients[8];
			uint64_t out[8 * 60];
			unsigned nmin = 1 + (opt >> 5) * 9;
			size_t i;
			for(i = 0; i < nrec; i++)
				clients[i] = x->r[i].client;
			(void)mxg_redis_read_minutes(r, clients, nrec,
				29916666, nmin, out, now);
			break;
		}
		default: {
			/* two pipelines in flight, the second one merged
			 * from two adds */
			size_t n1 = 0, n2 = 0, h = nrec / 2;
			if(mxg_redis_add(r, x->r, h, now) &&
				mxg_redis_send(r, now, &n1) &&
				mxg_redis_add(r, x->r + h, nrec - h, now) &&
				mxg_redis_add(r, x->r, h, now) &&
				mxg_redis_send(r, now, &n2)) {
				CHECK(mxg_redis_pending(r) == 0);
				if(mxg_redis_read(r, n1, now))
					(void)mxg_redis_read(r, n2, now);
			}
			break;
		}
		}
		/* whatever is left: a heartbeat reads more replies */
		if(mxg_redis_connected(r)) {
			struct mxg_redis_heartbeat hb;
			memset(&hb, 0, sizeof(hb));
			(void)mxg_redis_heartbeat(r, &hb, now + 1);
		}
	} else {
		CHECK(!mxg_redis_connected(r));
		CHECK(err[0] != 0 && memchr(err, 0, sizeof(err)) != NULL);
		CHECK(!mxg_redis_may_retry(r, now) ||
			mxg_redis_backoff_ms(1) == 0);
	}
	/* a server may echo anything back, the password too: only a reply
	 * stream without it proves that mxguard did not log it */
	if(!memmem(rep, replen, PASSWORD, strlen(PASSWORD))) {
		no_password(err);
		no_password(mxg_log_last);
	}
	(void)mxg_redis_errors(r);
	mxg_redis_free(r);
	/* the client is gone: stop the server thread */
	if(write(wake[1], "x", 1) != 1)
		abort();
	pthread_join(th, NULL);
	if(read(wake[0], drain, 1) != 1)
		abort();
}

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	struct src s = { data, size };
	static struct recs x;
	uint8_t opt = byte(&s);
	size_t piece = 1 + byte(&s) % 64, nrec = (opt >> 5) & 7;
	make_recs(&s, &x, nrec);
	reader(s.p, s.n, piece);
	session(opt, &x, nrec, s.p, s.n);
	return 0;
}
