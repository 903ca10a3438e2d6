/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_redis_conn.c - the Redis connection without a server.
 */
/** \file
 * The Redis connection's parts that need no redis-server: the forms of the
 * server address, the reconnect backoff, the key layout, the password
 * redaction (bounded in a child: a loop that never ends fails), and
 * mxguard's own reader of pipeline replies against a scripted fake Redis
 * on a Unix socket (replies split byte by byte, errors, bytes left for the
 * next command, an array reply or NOAUTH dropping the connection). Split
 * from test_sink.c; shares tests/unit/sinklib.h with it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>
#include "mxguard/clock.h"
#include "mxguard/redis.h"
#include "sinklib.h"

/** Address forms, backoff and key layout: no server needed. */
static void
test_pure(void)
{
	struct mxg_redis_opts o;
	struct mxg_redis* r;
	char err[256], key[64];
	is_int(mxg_redis_backoff_ms(1), 100, "backoff starts at 100 ms");
	is_int(mxg_redis_backoff_ms(2), 200, "backoff doubles");
	is_int(mxg_redis_backoff_ms(30), 10000, "backoff capped at 10 s");
	memset(&o, 0, sizeof(o));
	o.server = "[::1]:6380";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r != NULL, "[v6]:port parses");
	mxg_redis_free(r);
	o.server = "localhost:99999";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r == NULL && strstr(err, "bad port"), "bad port refused: %s", err);
	mxg_redis_free(r);
	o.server = "unix:";
	r = mxg_redis_new(&o, err, sizeof(err));
	ok(r == NULL, "unix: without a path refused");
	is_int(mxg_redis_key(key, sizeof(key), "p:", "d:a", 3, ":h", 2), 9,
		"key length");
	is_str(key, "p:{d:a}:h", "key layout prefix{tag}suffix");
}

/** Run mxg_redis_redact in a child stopped after 5 s (a loop that never
 * ends is a failure, not a hung test). @return the result, or NULL. */
static const char*
redact_bounded(const char* text, const char* secret)
{
	static char out[256];
	int fd[2], st;
	pid_t pid;
	ssize_t n;
	if(pipe(fd) != 0)
		return NULL;
	if((pid = fork()) == 0) {
		char buf[256];
		close(fd[0]);
		alarm(5);
		snprintf(buf, sizeof(buf), "%s", text);
		mxg_redis_redact(buf, secret);
		if(write(fd[1], buf, strlen(buf) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], out, sizeof(out) - 1);
	close(fd[0]);
	if(pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		WEXITSTATUS(st) != 0 || n <= 0)
		return NULL;
	out[n] = 0;
	return out;
}

/** The password redaction ends for every password and hides every copy. */
static void
test_redact(void)
{
	is_str(redact_bounded("ERR bad *** here", "***"), "ERR bad *** here",
		"redact '***' terminates");
	is_str(redact_bounded("ERR a**b *", "*"), "ERR a**b *",
		"redact '*' terminates");
	is_str(redact_bounded("ERR ** and ****", "**"), "ERR ** and ****",
		"redact '**' terminates");
	is_str(redact_bounded("x hunter2 y hunter2hunter2", "hunter2"),
		"x *** y ******", "redact hides every copy");
	is_str(redact_bounded("ab ab", "ab"), "** **",
		"redact: a short password is blanked out");
	is_str(redact_bounded("nothing", ""), "nothing",
		"redact: empty password leaves the text");
}

/** The scripted server: per connection, the reply bytes it sends after
 * answering INFO, and how many bytes at a time. */
static const char* script_replies[6];
static int script_chunk[6];
static char script_path[300];

/** A fake Redis: answers the INFO of mxg_redis_connect, then writes the
 * connection's script in chunks of script_chunk bytes (1: a byte every
 * millisecond, so every line and bulk string arrives split), then waits
 * for the client to close. */
static void*
script_server(void* arg)
{
	int ls = *(int*)arg, i;
	for(i = 0; i < 6 && script_replies[i]; i++) {
		static const char info[] = "$19\r\nredis_version:7.0.0\r\n";
		const char* p = script_replies[i];
		size_t left = strlen(p);
		char buf[4096];
		int c = accept(ls, NULL, NULL);
		if(c < 0)
			break;
		if(read(c, buf, sizeof(buf)) <= 0 ||
			write(c, info, sizeof(info) - 1) < 0) {
			close(c);
			break;
		}
		while(left) {
			size_t k = left < (size_t)script_chunk[i] ? left
				: (size_t)script_chunk[i];
			if(write(c, p, k) < 0)
				break;
			p += k;
			left -= k;
			if(script_chunk[i] == 1)
				msleep(1);
		}
		while(read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	return NULL;
}

/** A handle connected to the scripted server (deadline mode with a wake
 * pipe when wakefd >= 0). */
static struct mxg_redis*
script_handle(int wakefd)
{
	return redis_handle(script_path, "t:", 0, 2000, wakefd);
}

/** A line of /proc/self/status ("VmSize:", "VmPeak:"), bytes. */
static rlim_t
vm_status(const char* field)
{
	return (rlim_t)status_kib(field) * 1024;
}

/** What mxg_redis_get_reply makes of the next script's reply, in a child
 * (hiredis 0.14 aborts on some failed allocations: that kills only the
 * child) that may map at most 1 GiB more. @return 0: refused by the
 * element cap (a reader error, and less than 64 MiB mapped), 1: read as a reply, 6: failed
 * otherwise (a timeout waiting for the elements), 7: refused after
 * mapping the array, other: the child died or could not connect. */
static int
reply_in_child(void)
{
	int st;
	pid_t pid = fork();
	if(pid == 0) {
		struct rlimit rl;
		struct mxg_redis* r;
		void* v = NULL;
		rlim_t peak;
		alarm(10);
		if(!(r = script_handle(-1)))
			_exit(3);
		rl.rlim_cur = rl.rlim_max = vm_status("VmSize:") +
			((rlim_t)1 << 30);
		peak = vm_status("VmPeak:");
		if(setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(4);
		if(mxg_redis_get_reply(r, &v))
			_exit(1);
		/* 0.14: our capped array creation's NULL reads as out of
		 * memory; hiredis >= 1.0's maxelements as a protocol error */
		if(!mxg_redis_context(r) ||
			(mxg_redis_context(r)->err != REDIS_ERR_OOM &&
			mxg_redis_context(r)->err != REDIS_ERR_PROTOCOL))
			_exit(6);
		_exit(vm_status("VmPeak:") - peak > ((rlim_t)64 << 20) ? 7 : 0);
	}
	if(pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/** The replies of a pipeline are read from the socket by mxguard's own
 * parser (module/redis_reply.c): integers, status lines, bulk strings
 * (also empty, null, or holding CRLF) and errors, split anywhere; an error
 * is counted and the rest read on; bytes after the last reply stay for the
 * next command; an array reply or NOAUTH drops the connection. */
static void
test_reply_reader(void)
{
	struct sockaddr_un sa;
	pthread_t th;
	struct mxg_redis* r;
	void* v = NULL;
	int ls = socket(AF_UNIX, SOCK_STREAM, 0), wake[2];
	uint64_t e0;
	snprintf(script_path, sizeof(script_path), "%s/script.sock", tmpdir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", script_path);
	if(ls < 0 || bind(ls, (struct sockaddr*)&sa, sizeof(sa)) != 0 ||
		listen(ls, 4) != 0 || pipe(wake) != 0) {
		ok(0, "reply reader: set up");
		return;
	}
	script_replies[0] = ":1\r\n$2\r\n30\r\n-WRONGTYPE Operation against a "
		"key holding the wrong kind of value\r\n$-1\r\n+OK\r\n$0\r\n"
		"\r\n$6\r\nab\r\ncd\r\n:42\r\n";
	script_chunk[0] = 1;
	script_replies[1] = ":1\r\n*2\r\n:1\r\n:2\r\n";
	script_chunk[1] = 4096;
	script_replies[2] = ":7\r\n-NOAUTH Authentication required.\r\n:1\r\n";
	script_chunk[2] = 4096;
	/* other replies go through hiredis' reader: an array of more than
	 * MXG_REDIS_MAX_ELEMENTS is refused before it is allocated (hiredis
	 * 0.14 callocs 400 MB for the first and waits for its elements, and
	 * tries 16 GiB for the second) */
	script_replies[3] = "*50000000\r\n:1\r\n";
	script_chunk[3] = 4096;
	script_replies[4] = "*2147483647\r\n:1\r\n";
	script_chunk[4] = 4096;
	script_replies[5] = NULL;
	pthread_create(&th, NULL, script_server, &ls);

	r = script_handle(wake[0]);
	ok(r != NULL, "reply reader: connected to the scripted server");
	if(r) {
		e0 = mxg_redis_errors(r);
		ok(mxg_redis_read(r, 7, mxg_mono_ms()),
			"reply reader: 7 replies split byte by byte are read");
		is_int(mxg_redis_errors(r) - e0, 1,
			"reply reader: the error reply is counted");
		ok(mxg_redis_connected(r),
			"reply reader: an error reply keeps the connection");
		ok(mxg_redis_get_reply(r, &v) && v &&
			((redisReply*)v)->type == REDIS_REPLY_INTEGER &&
			((redisReply*)v)->integer == 42,
			"reply reader: the byte after the last reply is the next "
			"command's");
		if(v)
			freeReplyObject(v);
		mxg_redis_free(r);
	}
	r = script_handle(-1);
	if(r) {
		e0 = mxg_redis_errors(r);
		ok(!mxg_redis_read(r, 3, mxg_mono_ms()) &&
			!mxg_redis_connected(r),
			"reply reader: an array reply drops the connection");
		ok(mxg_redis_errors(r) > e0,
			"reply reader: the protocol error is counted");
		mxg_redis_free(r);
	} else
		ok(0, "reply reader: second connection");
	r = script_handle(wake[0]);
	if(r) {
		ok(!mxg_redis_read(r, 3, mxg_mono_ms()) &&
			!mxg_redis_connected(r),
			"reply reader: NOAUTH drops the connection");
		mxg_redis_free(r);
	} else
		ok(0, "reply reader: third connection");
	is_int(reply_in_child(), 0, "reply size: an array reply announcing "
		"50000000 elements is refused, not allocated");
	is_int(reply_in_child(), 0, "reply size: an array reply announcing "
		"2147483647 elements is refused, not allocated");
	pthread_join(th, NULL);
	close(ls);
	close(wake[0]);
	close(wake[1]);
	unlink(script_path);
}

int
main(void)
{
	tmp_setup("redis-conn");
	test_pure();
	test_redact();
	test_reply_reader();
	rmdir_tmp();
	return done_testing();
}
