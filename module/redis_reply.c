/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/redis_reply.c - the Redis writer's replies: a pipeline's, read back.
 */
/** \file
 * The replies of a pipeline (a batch, a heartbeat) are read straight from
 * the socket and only counted, their error texts logged; hiredis' reader
 * is used when it holds bytes already, and for the replies whose values
 * matter (the fleet read-back). What a failed or refused reply does to the
 * connection is decided here. See module/redis_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <hiredis/hiredis.h>
#include "mxguard/redis.h"
#include "redis_int.h"

/**
 * The next reply of a pipeline; a missing one (I/O error, timeout) fails the
 * connection. @param what: names the commands in the log line.
 * @return the reply (free it with freeReplyObject()), or NULL.
 */
redisReply*
redis_next_reply(struct mxg_redis* r, const char* what, uint64_t now_ms)
{
	void* v = NULL;
	if(!redis_get_reply(r, &v)) {
		char why[300];
		if(v)
			freeReplyObject(v);
		redis_describe(why, sizeof(why), what, r, NULL);
		redis_conn_failed(r, now_ms, why);
		return NULL;
	}
	return (redisReply*)v;
}

int
redis_reply_error(struct mxg_redis* r, const char* cmd, const redisReply* rep)
{
	char why[300];
	if(rep->type != REDIS_REPLY_ERROR)
		return 0;
	redis_describe(why, sizeof(why), cmd, r, rep);
	r->errors++;
	redis_log_failure(r, why);
	return 1;
}

/** An error reply to a pipeline command: counted and logged; one that
 * says this connection cannot write fails it. @return 1 to go on, 0 if the
 * connection failed. */
static int
pipeline_error(struct mxg_redis* r, const redisReply* rep, uint64_t now_ms)
{
	if(!redis_reply_error(r, "command", rep))
		return 1;
	/* an EXPIRE may be among the failed commands */
	if(r->memo)
		memset(r->memo, 0, MEMO_SLOTS * sizeof(*r->memo));
	/* lost authentication, read-only replica, or loading: a new
	 * connection may help */
	if(rep->str && (strncmp(rep->str, "NOAUTH", 6) == 0 ||
		strncmp(rep->str, "READONLY", 8) == 0)) {
		redis_conn_failed(r, now_ms, "server refuses writes on this "
			"connection, reconnecting");
		return 0;
	}
	return 1;
}

/** Read n replies with hiredis' reader (when it holds bytes already). */
static int
read_replies_hiredis(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	size_t i;
	for(i = 0; i < n; i++) {
		redisReply* rep = redis_next_reply(r, "pipeline", now_ms);
		int ok;
		if(!rep)
			return 0;
		ok = pipeline_error(r, rep, now_ms);
		freeReplyObject(rep);
		if(!ok)
			return 0;
	}
	return 1;
}

/** Bytes of the pipeline reply buffer: the longest reply line (an error
 * text, a bulk length) that is accepted; bulk strings of any length pass
 * through it. */
#define RBUF_SIZE 16384

/** The connection failed while reading a pipeline's replies. @return 0. */
static int
read_failed(struct mxg_redis* r, uint64_t now_ms, const char* why)
{
	char msg[300];
	if(why) {
		/* in the context's error, as hiredis' own failures are */
		r->c->err = REDIS_ERR_PROTOCOL;
		snprintf(r->c->errstr, sizeof(r->c->errstr), "%s", why);
	}
	redis_describe(msg, sizeof(msg), "pipeline", r, NULL);
	redis_conn_failed(r, now_ms, msg);
	return 0;
}

/**
 * Read n replies of a pipeline straight from the socket, without building
 * reply objects: the commands of a batch and of the heartbeat answer with
 * integers, bulk strings (ZINCRBY, XADD), status lines or errors, so only
 * the error texts matter and the rest is skipped. hiredis' generic reader
 * costs ~300 instructions per reply (an object per reply, malloc and free),
 * this ~40. Any other reply type is a protocol error (nothing we send
 * answers with one), as is a line longer than RBUF_SIZE. Bytes past the
 * n-th reply are handed to hiredis' reader for the next command.
 * @return 1 if all arrived, 0 if the connection failed.
 */
static int
read_replies_raw(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	char* b = r->rbuf;
	size_t have = 0, pos = 0;
	/* bytes of a bulk string (with its CRLF) still to skip */
	uint64_t skip = 0;
	while(n) {
		while(n) {
			char *l, *e, *end = b + have;
			if(skip) {
				size_t k = have - pos < skip ? have - pos
					: (size_t)skip;
				pos += k;
				skip -= k;
				if(skip)
					break;
				n--;
				continue;
			}
			l = b + pos;
			for(e = l; e < end && *e != '\n'; e++)
				;
			if(e == end)
				break;
			if(e - l < 2 || e[-1] != '\r')
				return read_failed(r, now_ms, "protocol error "
					"(line without CR)");
			pos = (size_t)(e + 1 - b);
			switch(*l) {
			case ':':
			case '+':
				n--;
				break;
			case '-': {
				redisReply rep;
				char t[256];
				size_t tl = (size_t)(e - 1 - (l + 1));
				if(tl > sizeof(t) - 1)
					tl = sizeof(t) - 1;
				memcpy(t, l + 1, tl);
				t[tl] = 0;
				memset(&rep, 0, sizeof(rep));
				rep.type = REDIS_REPLY_ERROR;
				rep.str = t;
				rep.len = tl;
				if(!pipeline_error(r, &rep, now_ms))
					return 0;
				n--;
				break;
			}
			case '$': {
				const char* d = l + 1;
				uint64_t v = 0;
				if(e - 1 - d == 2 && d[0] == '-' && d[1] == '1') {
					n--;	/* null */
					break;
				}
				if(d == e - 1 || e - 1 - d > 10)
					return read_failed(r, now_ms, "protocol "
						"error (bad bulk length)");
				for(; d < e - 1; d++) {
					if(*d < '0' || *d > '9')
						return read_failed(r, now_ms,
							"protocol error (bad bulk "
							"length)");
					v = v * 10 + (uint64_t)(*d - '0');
				}
				skip = v + 2;
				break;
			}
			default:
				return read_failed(r, now_ms, "protocol error "
					"(unexpected reply type)");
			}
		}
		if(!n)
			break;
		/* keep the start of an incomplete line, read more */
		if(pos == have)
			pos = have = 0;
		else if(pos) {
			memmove(b, b + pos, have - pos);
			have -= pos;
			pos = 0;
		}
		if(have == RBUF_SIZE)
			return read_failed(r, now_ms, "protocol error (reply "
				"line too long)");
		for(;;) {
			ssize_t k = recv(r->c->fd, b + have, RBUF_SIZE - have, 0);
			if(k > 0) {
				have += (size_t)k;
				break;
			}
			if(k == 0)
				return read_failed(r, now_ms, "connection closed "
					"by the server");
			if(errno == EINTR)
				continue;
			if((errno == EAGAIN || errno == EWOULDBLOCK) &&
				r->deadline_mode) {
				if(!redis_wait_in(r))
					return read_failed(r, now_ms, NULL);
				continue;
			}
			/* blocking mode: EAGAIN is redis-timeout passing */
			return read_failed(r, now_ms, strerror(errno));
		}
	}
	if(pos < have && redisReaderFeed(r->c->reader, b + pos, have - pos)
		!= REDIS_OK)
		return read_failed(r, now_ms, "out of memory");
	return 1;
}

/**
 * Read n replies of a pipeline. Error replies are counted (and logged,
 * rate-limited); a missing reply fails the connection.
 * @return 1 if all arrived, 0 if the connection failed.
 */
int
redis_read_replies(struct mxg_redis* r, size_t n, uint64_t now_ms)
{
	redisReader* rd = r->c->reader;
	redis_deadline_start(r);
	if(!n)
		return 1;
	if(!redis_flush_out(r))
		return read_failed(r, now_ms, NULL);
	if(!r->rbuf)
		r->rbuf = malloc(RBUF_SIZE);
	/* hiredis' reader may hold the start of these replies already */
	if(!r->rbuf || rd->pos < rd->len || rd->ridx >= 0)
		return read_replies_hiredis(r, n, now_ms);
	return read_replies_raw(r, n, now_ms);
}
