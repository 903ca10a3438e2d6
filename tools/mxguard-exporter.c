/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tools/mxguard-exporter.c - serve the resolvers' metrics to Prometheus.
 */
/** \file
 * A small HTTP server (libmicrohttpd, one internal thread, loopback by
 * default) answering GET /metrics with the same Prometheus text as
 * `mxguard-report metrics` (tools/prom.c): the heartbeats every resolver
 * writes to Redis, so one exporter serves a whole fleet. It reads Redis at
 * each scrape, reconnecting with backoff when Redis is down (the scrape then
 * says mxguard_exporter_redis_up 0). Connection options are those of
 * mxguard-report (redis-cli's). See docs/mxguard-exporter.8.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "mxguard/clock.h"
#include "mxguard/conf.h"
#include "mxguard/mxguard.h"
#include "mxguard/redis.h"
#include "prom.h"
#include "redis_cli.h"

/** Default listening address. */
#define DEFAULT_LISTEN "127.0.0.1:9466"

/** The Redis connection (used by the one MHD thread only). */
static struct mxg_redis* rconn;
/** Key prefix. */
static const char* prefix = "mxg:";

/** The text of one scrape (malloc'd). */
static char*
scrape(void)
{
	uint64_t t0 = mxg_mono_ms();
	char err[512], *text = NULL, *out;
	int up = 0;
	size_t n;
	err[0] = 0;
	if(!mxg_redis_connected(rconn) && mxg_redis_may_retry(rconn, t0))
		(void)mxg_redis_connect(rconn, t0, err, sizeof(err));
	if(mxg_redis_connected(rconn)) {
		int r = mxg_prom_render(mxg_redis_context(rconn), prefix, &text,
			err, sizeof(err));
		if(r == 0)
			up = 1;
		else
			mxg_redis_disconnect(rconn);
	}
	if(!up && err[0])
		fprintf(stderr, "mxguard-exporter: %s\n", err);
	n = (text ? strlen(text) : 0) + 512;
	if(!(out = malloc(n))) {
		free(text);
		return NULL;
	}
	snprintf(out, n, "%s# HELP mxguard_exporter_redis_up 1 if Redis "
		"answered this scrape\n# TYPE mxguard_exporter_redis_up gauge\n"
		"mxguard_exporter_redis_up %d\n# HELP "
		"mxguard_exporter_scrape_duration_seconds time to read Redis\n"
		"# TYPE mxguard_exporter_scrape_duration_seconds gauge\n"
		"mxguard_exporter_scrape_duration_seconds %.3f\n",
		text ? text : "", up, (double)(mxg_mono_ms() - t0) / 1000.0);
	free(text);
	return out;
}

/** Send a response. */
static enum MHD_Result
reply(struct MHD_Connection* conn, unsigned status, const char* type,
	char* body, int must_free)
{
	struct MHD_Response* r = MHD_create_response_from_buffer(strlen(body),
		body, must_free ? MHD_RESPMEM_MUST_FREE :
		MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	if(!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/** The request handler. */
static enum MHD_Result
handle(void* cls, struct MHD_Connection* conn, const char* url,
	const char* method, const char* version, const char* upload_data,
	size_t* upload_data_size, void** con_cls)
{
	static char index_html[] = "<html><head><title>mxguard exporter"
		"</title></head><body><h1>mxguard exporter</h1>"
		"<p><a href=\"/metrics\">metrics</a></p></body></html>\n";
	static char notfound[] = "not found\n";
	static char badmethod[] = "only GET\n";
	char* text;
	(void)cls; (void)version; (void)upload_data; (void)upload_data_size;
	(void)con_cls;
	if(strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, 405, "text/plain", badmethod, 0);
	if(strcmp(url, "/") == 0)
		return reply(conn, 200, "text/html", index_html, 0);
	if(strcmp(url, "/metrics") != 0)
		return reply(conn, 404, "text/plain", notfound, 0);
	if(!(text = scrape()))
		return MHD_NO;
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
		text, 1);
}

/** Print the usage. */
static void
usage(FILE* f)
{
	fprintf(f,
"usage: mxguard-exporter [options]\n"
"  Serve the metrics of every mxguard resolver writing to a Redis, in the\n"
"  Prometheus text format, at http://LISTEN/metrics.\n"
"options:\n"
"  -l, --listen A:P    address and port (default " DEFAULT_LISTEN ";\n"
"                      [::1]:9466 for IPv6); loopback unless you say so\n"
"  -c, --config FILE   read redis-* settings from an mxguard.conf\n"
"  -h, --host HOST     Redis host (default 127.0.0.1), as redis-cli\n"
"  -p, --port PORT     Redis port (default 6379)\n"
"  -s, --socket PATH   Redis Unix socket\n"
"      --server S      host:port, [v6]:port or unix:/path\n"
"  -a, --pass PW       password (better: $REDISCLI_AUTH)\n"
"      --user USER     ACL user\n"
"  -n, --db N          database number\n"
"      --prefix P      key prefix (default mxg:)\n"
"  -V, --version       print the version\n"
"      --help          this text\n");
}

/** Fatal error. */
static void
die(const char* msg, const char* arg)
{
	fprintf(stderr, "mxguard-exporter: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	exit(1);
}

int
main(int argc, char** argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		REDIS_CLI_LONG,
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 1001 },
		{ NULL, 0, NULL, 0 }
	};
	const char* listen = DEFAULT_LISTEN;
	struct redis_cli cli;
	struct mxg_conf* cfg = mxg_conf_new();
	struct mxg_redis_opts ro;
	struct sockaddr_storage ss;
	struct MHD_Daemon* d;
	char err[4096], addr[INET6_ADDRSTRLEN + 2], *end;
	const char* colon;
	long lport;
	int ch, r, v6 = 0, sig;
	sigset_t set;
	if(!cfg)
		die("out of memory", NULL);
	memset(&cli, 0, sizeof(cli));
	while((ch = getopt_long(argc, argv, "l:" REDIS_CLI_SHORT "V", lo,
		NULL)) != -1) {
		if((r = redis_cli_arg(&cli, ch, optarg, err, sizeof(err))) < 0)
			die(err, NULL);
		if(r)
			continue;
		switch(ch) {
		case 'l': listen = optarg; break;
		case 'V':
			printf("mxguard-exporter %s\n", MXG_VERSION);
			mxg_conf_free(cfg);
			return 0;
		case 1001:
			usage(stdout);
			mxg_conf_free(cfg);
			return 0;
		default:
			usage(stderr);
			mxg_conf_free(cfg);
			return 2;
		}
	}
	if(optind < argc) {
		usage(stderr);
		mxg_conf_free(cfg);
		return 2;
	}
	if(!redis_cli_opts(&cli, cfg, &ro, err, sizeof(err))) {
		fprintf(stderr, "mxguard-exporter: config errors:\n%s", err);
		mxg_conf_free(cfg);
		return 1;
	}
	prefix = ro.prefix ? ro.prefix : "mxg:";
	if(!(rconn = mxg_redis_new(&ro, err, sizeof(err))))
		die(err, NULL);

	/* --listen ADDR:PORT or [V6]:PORT */
	memset(&ss, 0, sizeof(ss));
	if(listen[0] == '[') {
		const char* rb = strchr(listen, ']');
		if(!rb || rb[1] != ':' || (size_t)(rb - listen - 1) >=
			sizeof(addr))
			die("--listen: use ADDR:PORT or [V6ADDR]:PORT", listen);
		memcpy(addr, listen + 1, (size_t)(rb - listen - 1));
		addr[rb - listen - 1] = 0;
		colon = rb + 1;
		v6 = 1;
	} else {
		if(!(colon = strrchr(listen, ':')) || (size_t)(colon - listen)
			>= sizeof(addr))
			die("--listen: use ADDR:PORT or [V6ADDR]:PORT", listen);
		memcpy(addr, listen, (size_t)(colon - listen));
		addr[colon - listen] = 0;
	}
	lport = strtol(colon + 1, &end, 10);
	if(*end || lport < 1 || lport > 65535)
		die("--listen: not a port", listen);
	if(v6) {
		struct sockaddr_in6* a6 = (struct sockaddr_in6*)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)lport);
		if(inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
			die("--listen: not an IPv6 address", addr);
	} else {
		struct sockaddr_in* a4 = (struct sockaddr_in*)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)lport);
		if(inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
			die("--listen: not an IPv4 address", addr);
	}

	/* the MHD thread inherits the blocked signals; main waits for them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		(v6 ? MHD_USE_IPv6 : 0), (uint16_t)lport, NULL, NULL, handle,
		NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr*)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if(!d)
		die("cannot listen on", listen);
	fprintf(stderr, "mxguard-exporter %s: serving http://%s/metrics "
		"(Redis %s, prefix %s)\n", MXG_VERSION, listen, ro.server,
		prefix);
	do {
		if(sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while(sig == SIGHUP);
	MHD_stop_daemon(d);
	mxg_redis_free(rconn);
	redis_cli_free(&cli);
	mxg_conf_free(cfg);
	return 0;
}
