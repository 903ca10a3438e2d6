/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_geo.c - GeoIP lookups in MaxMind and flat databases.
 */
/** \file
 * Looks addresses up in MaxMind's test databases (tests/data/geoip, found
 * through MXG_TESTDATA) and checks the values their JSON sources give. The
 * flat ip-location-db layout (top-level country_code) and the
 * registered_country fallback have no MaxMind test file, so this test writes
 * tiny MaxMind DB files itself (write_mmdb below, following the MaxMind DB
 * format spec 2.0) into a temporary directory. Every file in bad-data/ must
 * give an error at open or empty results, never a crash.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "mxguard/geo.h"
#include "tap.h"
#include "testlib.h"

/** Last message logged (tools/log_stderr.c). */
extern char mxg_log_last[1024];

/** Directory of the test data. */
static const char* testdata;

/** Path of a file under the test data, in a static buffer. */
static const char*
data_path(const char* rel)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", testdata, rel);
	return buf;
}

/** Look up an address given as text. @return lookup's return value. */
static int
lookup(const struct mxg_geo* g, const char* ip, struct mxg_geo_result* r)
{
	uint8_t a[16];
	if(inet_pton(AF_INET, ip, a) == 1)
		return mxg_geo_lookup(g, AF_INET, a, r);
	if(inet_pton(AF_INET6, ip, a) == 1)
		return mxg_geo_lookup(g, AF_INET6, a, r);
	memset(r, 0, sizeof(*r));
	return -1;
}

/** Country of an address (static buffer; "" when none). */
static const char*
country(const struct mxg_geo* g, const char* ip)
{
	static struct mxg_geo_result r;
	(void)lookup(g, ip, &r);
	return r.country;
}

/* ---- a tiny MaxMind DB writer (MaxMind DB File Format Spec 2.0) ---- */

/** A growing byte buffer. */
struct bbuf {
	/** bytes */
	uint8_t d[4096];
	/** used */
	size_t n;
};

/** Append bytes. */
static void
bput(struct bbuf* b, const void* p, size_t n)
{
	if(b->n + n > sizeof(b->d))
		abort();
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

/** Append a control byte for a type (1..15) and a size < 285. */
static void
enc_ctrl(struct bbuf* b, int type, size_t size)
{
	uint8_t c[3];
	size_t n = 0;
	if(size >= 285)
		abort();
	c[n++] = (uint8_t)((type <= 7 ? type : 0) << 5 |
		(size < 29 ? size : 29));
	if(type > 7)
		c[n++] = (uint8_t)(type - 7);
	if(size >= 29)
		c[n++] = (uint8_t)(size - 29);
	bput(b, c, n);
}

/** Append a UTF-8 string. */
static void
enc_str(struct bbuf* b, const char* s)
{
	enc_ctrl(b, 2, strlen(s));
	bput(b, s, strlen(s));
}

/** Append an unsigned integer of a type (5 uint16, 6 uint32, 9 uint64). */
static void
enc_uint(struct bbuf* b, int type, uint64_t v)
{
	uint8_t be[8];
	int n = 0, i;
	for(i = 7; i >= 0; i--)
		if(n || (v >> (i*8)) & 0xff)
			be[n++] = (uint8_t)(v >> (i*8));
	enc_ctrl(b, type, (size_t)n);
	bput(b, be, (size_t)n);
}

/** Append a map header with n pairs. */
static void
enc_map(struct bbuf* b, size_t n)
{
	enc_ctrl(b, 7, n);
}

/** One network of a test database. */
struct wnet {
	/** IPv4 network, text */
	const char* net;
	/** prefix length */
	int plen;
	/** offset of its record in the data section */
	size_t off;
};

/**
 * Write an IPv4 (ip_version 4) database with record size 24.
 * @return 1 if written.
 */
static int
write_mmdb(const char* path, const char* dbtype, struct wnet* nets,
	size_t nnets, const struct bbuf* data)
{
	/* nodes: [i][0] left, [i][1] right; -1 empty, >= 0 node, else
	 * -(2 + data offset) */
	static long nodes[512][2];
	int nnodes = 1, i;
	size_t k;
	struct bbuf meta;
	FILE* f;
	nodes[0][0] = nodes[0][1] = -1;
	for(k = 0; k < nnets; k++) {
		uint8_t a[4];
		int node = 0, bit;
		if(inet_pton(AF_INET, nets[k].net, a) != 1)
			return 0;
		for(i = 0; i < nets[k].plen; i++) {
			bit = (a[i/8] >> (7 - i%8)) & 1;
			if(i == nets[k].plen - 1) {
				nodes[node][bit] = -(long)(2 + nets[k].off);
				break;
			}
			if(nodes[node][bit] < 0) {
				nodes[nnodes][0] = nodes[nnodes][1] = -1;
				nodes[node][bit] = nnodes++;
			}
			node = (int)nodes[node][bit];
		}
	}
	if(!(f = fopen(path, "wb")))
		return 0;
	for(i = 0; i < nnodes; i++) {
		int s;
		for(s = 0; s < 2; s++) {
			long v = nodes[i][s];
			unsigned long rec = v == -1 ? (unsigned long)nnodes :
				v >= 0 ? (unsigned long)v :
				(unsigned long)nnodes + 16 + (unsigned long)(-v - 2);
			uint8_t b[3] = { (uint8_t)(rec >> 16),
				(uint8_t)(rec >> 8), (uint8_t)rec };
			fwrite(b, 1, 3, f);
		}
	}
	for(i = 0; i < 16; i++)
		fputc(0, f);
	fwrite(data->d, 1, data->n, f);
	memset(&meta, 0, sizeof(meta));
	bput(&meta, "\xab\xcd\xefMaxMind.com", 14);
	enc_map(&meta, 9);
	enc_str(&meta, "node_count"); enc_uint(&meta, 6, (uint64_t)nnodes);
	enc_str(&meta, "record_size"); enc_uint(&meta, 5, 24);
	enc_str(&meta, "ip_version"); enc_uint(&meta, 5, 4);
	enc_str(&meta, "database_type"); enc_str(&meta, dbtype);
	enc_str(&meta, "languages"); enc_ctrl(&meta, 11, 1);
	enc_str(&meta, "en");
	enc_str(&meta, "binary_format_major_version"); enc_uint(&meta, 5, 2);
	enc_str(&meta, "binary_format_minor_version"); enc_uint(&meta, 5, 0);
	enc_str(&meta, "build_epoch"); enc_uint(&meta, 9, 1700000000);
	enc_str(&meta, "description"); enc_map(&meta, 1);
	enc_str(&meta, "en"); enc_str(&meta, "mxguard unit test");
	fwrite(meta.d, 1, meta.n, f);
	return fclose(f) == 0;
}

/** Write the flat-layout country database of ip-location-db and the flat
 * asn database into dir. */
static int
write_flat_dbs(const char* dir, char* cpath, char* apath, size_t len)
{
	struct bbuf d;
	struct wnet cn[4], an[2];
	memset(&d, 0, sizeof(d));
	/* ip-location-db geo-whois-asn-country: { "country_code": "DE" } */
	cn[0].net = "192.0.2.0"; cn[0].plen = 24; cn[0].off = d.n;
	enc_map(&d, 1); enc_str(&d, "country_code"); enc_str(&d, "DE");
	/* lowercase code, uppercased by the reader */
	cn[1].net = "198.51.100.0"; cn[1].plen = 24; cn[1].off = d.n;
	enc_map(&d, 1); enc_str(&d, "country_code"); enc_str(&d, "nl");
	/* MaxMind layout with only registered_country: the fallback */
	cn[2].net = "203.0.113.0"; cn[2].plen = 25; cn[2].off = d.n;
	enc_map(&d, 1); enc_str(&d, "registered_country"); enc_map(&d, 1);
	enc_str(&d, "iso_code"); enc_str(&d, "FR");
	/* junk: a code that is not two letters, and a number */
	cn[3].net = "203.0.113.128"; cn[3].plen = 25; cn[3].off = d.n;
	enc_map(&d, 2); enc_str(&d, "country_code"); enc_str(&d, "EUR");
	enc_str(&d, "autonomous_system_number"); enc_str(&d, "64500");
	snprintf(cpath, len, "%s/flat-country.mmdb", dir);
	if(!write_mmdb(cpath, "geo-whois-asn-country", cn, 4, &d))
		return 0;
	memset(&d, 0, sizeof(d));
	/* ip-location-db asn: autonomous_system_number (uint32) + org */
	an[0].net = "192.0.2.0"; an[0].plen = 23; an[0].off = d.n;
	enc_map(&d, 2); enc_str(&d, "autonomous_system_number");
	enc_uint(&d, 6, 64496);
	enc_str(&d, "autonomous_system_organization");
	enc_str(&d, "Example Networks");
	an[1].net = "198.51.100.0"; an[1].plen = 24; an[1].off = d.n;
	enc_map(&d, 1); enc_str(&d, "autonomous_system_number");
	enc_uint(&d, 6, 4200000000u);
	snprintf(apath, len, "%s/flat-asn.mmdb", dir);
	return write_mmdb(apath, "asn", an, 2, &d);
}

/** Arguments of a lookup thread. */
struct thr_arg {
	/** shared handle */
	const struct mxg_geo* g;
	/** wrong answers seen */
	int bad;
};

/** Look up known addresses many times from one thread. */
static void*
thr_main(void* p)
{
	struct thr_arg* a = p;
	int i;
	for(i = 0; i < 2000; i++) {
		struct mxg_geo_result r;
		if(lookup(a->g, "2001:218::1", &r) != 1 ||
			strcmp(r.country, "JP") != 0)
			a->bad++;
		if(lookup(a->g, "1.128.0.1", &r) != 1 || r.asn != 1221)
			a->bad++;
	}
	return NULL;
}

/** The MaxMind test databases. */
static void
test_maxmind(void)
{
	char err[1024];
	struct mxg_geo* g;
	struct mxg_geo_result r;
	struct thr_arg ta[4];
	pthread_t th[4];
	int i, bad;
	char cpath[2048], apath[2048];

	snprintf(cpath, sizeof(cpath), "%s",
		data_path("geoip/GeoIP2-Country-Test.mmdb"));
	snprintf(apath, sizeof(apath), "%s",
		data_path("geoip/GeoLite2-ASN-Test.mmdb"));
	g = mxg_geo_open(cpath, apath, err, sizeof(err));
	ok(g != NULL, "open the MaxMind Country and ASN test databases");
	if(!g)
		return;
	is_str(err, "", "no error for good databases");
	is_int(mxg_geo_have(g), 3, "both databases are in use");

	is_str(country(g, "2001:218::1"), "JP", "2001:218::/32 is JP");
	is_str(country(g, "2001:250::1"), "CN", "2001:250::/31 is CN");
	is_str(country(g, "2001:251:ffff::1"), "CN",
		"2001:251:ffff::1 is in 2001:250::/31 too");
	is_str(country(g, "2a02:d0c0::1"), "RU", "2a02:d0c0::/29 is RU");
	is_str(country(g, "81.2.69.160"), "GB",
		"81.2.69.160 is GB (country wins over registered_country US)");
	is_str(country(g, "216.160.83.56"), "US", "216.160.83.56 is US");
	is_str(country(g, "89.160.20.112"), "SE", "89.160.20.112 is SE");
	is_str(country(g, "67.43.156.1"), "BT", "67.43.156.0/24 is BT");
	is_str(country(g, "::ffff:81.2.69.160"), "GB",
		"an IPv4-mapped IPv6 address is looked up as IPv4");
	is_str(country(g, "2a02:d500::1"), "",
		"2a02:d500::/29 has neither country nor registered_country");
	{
		/* the memo of the country rule answers as the databases do,
		 * the first time (a miss) and the second (from the memo) */
		static const char* const ips[] = { "2001:218::1",
			"81.2.69.160", "216.160.83.56", "2a02:d0c0::1",
			"2a02:d500::1", "192.0.2.1", "81.2.69.160" };
		size_t i;
		int pass, same = 1;
		for(pass = 0; pass < 2; pass++)
			for(i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
				uint8_t a[16];
				char cc[3];
				int fam = inet_pton(AF_INET, ips[i], a) == 1 ?
					AF_INET : AF_INET6;
				if(fam == AF_INET6)
					(void)inet_pton(AF_INET6, ips[i], a);
				mxg_geo_country(g, fam, a, cc);
				if(strcmp(cc, country(g, ips[i])) != 0) {
					diag("%s: memo %s, database %s", ips[i],
						cc, country(g, ips[i]));
					same = 0;
				}
			}
		ok(same, "mxg_geo_country (memo) agrees with the databases");
	}

	is_int(lookup(g, "1.128.0.1", &r), 1, "1.128.0.1 is found");
	is_int(r.asn, 1221, "1.128.0.0/11 is AS1221");
	is_str(r.as_org, "Telstra Pty Ltd", "AS1221 is Telstra");
	is_int(lookup(g, "12.81.92.1", &r), 1, "12.81.92.1 is found");
	is_int(r.asn, 7018, "12.81.92.0/22 is AS7018");
	is_str(r.as_org, "AT&T Services", "AS7018 organisation");
	(void)lookup(g, "12.81.96.1", &r);
	is_int(r.asn, 7018, "12.81.96.0/19 is AS7018");
	is_str(r.as_org, "", "12.81.96.0/19 has no organisation");
	(void)lookup(g, "2600:7000::1", &r);
	is_int(r.asn, 6939, "2600:7000::/24 is AS6939");
	is_str(r.as_org, "Hurricane Electric, Inc.", "AS6939 organisation");
	is_int(lookup(g, "10.0.0.1", &r), 0, "10.0.0.1 is in neither");
	is_str(r.country, "", "not found: country cleared");
	is_int(r.asn, 0, "not found: asn cleared");
	is_int(mxg_geo_lookup(g, 12345, (const uint8_t*)"abcd", &r), 0,
		"an unknown address family gives nothing");
	is_int(mxg_geo_lookup(NULL, AF_INET, (const uint8_t*)"abcd", &r), 0,
		"a NULL handle gives nothing");

	for(i = 0; i < 4; i++) {
		ta[i].g = g;
		ta[i].bad = 0;
		pthread_create(&th[i], NULL, thr_main, &ta[i]);
	}
	bad = 0;
	for(i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += ta[i].bad;
	}
	is_int(bad, 0, "4 threads share one handle: 16000 lookups right");
	is_int(mxg_geo_errors(g), 0, "no lookup errors in good databases");
	mxg_geo_close(g);

	/* City database as the country database, no ASN database */
	g = mxg_geo_open(data_path("geoip/GeoIP2-City-Test.mmdb"), NULL, err,
		sizeof(err));
	is_int(mxg_geo_have(g), 1, "the City database serves as country db");
	is_str(country(g, "81.2.69.160"), "GB", "City: 81.2.69.160 is GB");
	is_str(country(g, "2001:218::1"), "JP", "City: 2001:218::1 is JP");
	(void)lookup(g, "1.128.0.1", &r);
	is_int(r.asn, 0, "no ASN database: asn unknown");
	mxg_geo_close(g);

	/* ASN database only */
	g = mxg_geo_open(NULL, data_path("geoip/GeoLite2-ASN-Test.mmdb"), err,
		sizeof(err));
	is_int(mxg_geo_have(g), 2, "only the ASN database");
	(void)lookup(g, "1.128.0.1", &r);
	is_int(r.asn, 1221, "ASN only: AS1221");
	is_str(r.country, "", "ASN only: no country");
	mxg_geo_close(g);

	g = mxg_geo_open(NULL, NULL, err, sizeof(err));
	is_int(mxg_geo_have(g), 0, "no paths: no databases, still a handle");
	is_int(lookup(g, "81.2.69.160", &r), 0, "no databases: nothing found");
	mxg_geo_close(g);
	mxg_geo_close(NULL);
	ok(1, "closing NULL is fine");
}

/** Missing files. */
static void
test_missing(void)
{
	char err[1024];
	struct mxg_geo* g;
	g = mxg_geo_open("/nonexistent/country.mmdb",
		data_path("geoip/GeoLite2-ASN-Test.mmdb"), err, sizeof(err));
	ok(g != NULL, "a missing database still gives a handle");
	is_int(mxg_geo_have(g), 2, "the missing one is off, the other on");
	ok(strstr(err, "geoip-country: /nonexistent/country.mmdb: ") != NULL,
		"the error names the option and the path: %s", err);
	ok(strstr(err, "Error opening the specified MaxMind DB file") != NULL,
		"the error has MMDB_strerror's text");
	ok(strstr(err, "No such file or directory") != NULL,
		"the error has the errno text");
	mxg_geo_close(g);

	g = mxg_geo_open(data_path("geoip/LICENSE"), "/nonexistent/asn", err,
		sizeof(err));
	is_int(mxg_geo_have(g), 0, "a file that is not a database is off");
	ok(strstr(err, "geoip-country: ") && strstr(err, "/LICENSE: ") &&
		strstr(err, "; geoip-asn: /nonexistent/asn: "),
		"two errors are both reported: %s", err);
	ok(strstr(err, "metadata") != NULL,
		"a text file is rejected for its missing metadata");
	mxg_geo_close(g);
}

/** The flat ip-location-db layout and the registered_country fallback. */
static void
test_flat(void)
{
	char dir[] = "/tmp/mxg_test_geo.XXXXXX";
	char cpath[256], apath[256], err[1024];
	struct mxg_geo* g;
	struct mxg_geo_result r;
	if(!mkdtemp(dir)) {
		skip("cannot create a temporary directory");
		return;
	}
	ok(write_flat_dbs(dir, cpath, apath, sizeof(cpath)),
		"write the flat-layout test databases");
	g = mxg_geo_open(cpath, apath, err, sizeof(err));
	is_str(err, "", "flat databases open without error");
	is_int(mxg_geo_have(g), 3, "flat databases are both in use");
	is_int(lookup(g, "192.0.2.7", &r), 1, "192.0.2.7 is found");
	is_str(r.country, "DE", "flat country_code is read");
	is_int(r.asn, 64496, "flat autonomous_system_number is read");
	is_str(r.as_org, "Example Networks", "flat AS organisation is read");
	(void)lookup(g, "192.0.3.1", &r);
	is_str(r.country, "", "192.0.3.1: only in the ASN database");
	is_int(r.asn, 64496, "192.0.2.0/23 in the ASN database covers it");
	(void)lookup(g, "198.51.100.200", &r);
	is_str(r.country, "NL", "a lowercase country_code is uppercased");
	is_int(r.asn, 4200000000u, "a 32-bit ASN above 2^31 is kept");
	is_str(r.as_org, "", "no organisation in the record");
	(void)lookup(g, "203.0.113.5", &r);
	is_str(r.country, "FR",
		"registered_country.iso_code is used when country is absent");
	is_int(lookup(g, "203.0.113.200", &r), 0,
		"a 3-letter code and a string ASN are ignored");
	is_int(lookup(g, "2001:db8::1", &r), 0,
		"IPv6 in an IPv4-only database: nothing, no error");
	is_int(mxg_geo_errors(g), 0, "no lookup errors counted");
	mxg_geo_close(g);
	unlink(cpath);
	unlink(apath);
	rmdir(dir);
}

/** Copy a file. @return 1 on success. */
static int
copy_file(const char* from, const char* to)
{
	char buf[65536];
	size_t n;
	int okay = 1;
	FILE* in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	if(!in || !out) {
		if(in)
			fclose(in);
		return 0;
	}
	while((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if(fwrite(buf, 1, n, out) != n)
			okay = 0;
	fclose(in);
	return fclose(out) == 0 && okay;
}

/** Look up a set of address texts in the answer memo (mxg_geo_set_*), as
 * the glue does with an answer's A and AAAA records. @param fin: its final
 * key (for mxg_geo_set_remember), or NULL. @return 1 if known. */
static int
set_known(struct mxg_geo* g, const char* const* ips, size_t n,
	uint64_t* fin)
{
	struct mxg_geo_sets m;
	uint64_t key;
	size_t i;
	int r;
	if(!mxg_geo_sets(g, &m))
		return 0;
	key = mxg_geo_set_start(&m);
	for(i = 0; i < n; i++) {
		uint8_t a[16];
		uint64_t lo = 0, hi = 0;
		uint32_t w;
		if(inet_pton(AF_INET, ips[i], a) == 1) {
			memcpy(&w, a, 4);
			key = mxg_geo_set_add4(&m, key, w);
			continue;
		}
		(void)inet_pton(AF_INET6, ips[i], a);
		memcpy(&lo, a, 8);
		memcpy(&hi, a + 8, 8);
		key = mxg_geo_set_add6(&m, key, lo, hi);
	}
	r = mxg_geo_set_known(&m, &key, n);
	if(fin)
		*fin = key;
	return r;
}

/** Remember a set of this final key. */
static void
remember(struct mxg_geo* g, uint64_t key)
{
	struct mxg_geo_sets m;
	if(mxg_geo_sets(g, &m))
		mxg_geo_set_remember(&m, key);
}

/** The answer memo: a set is known once remembered, sets that differ in an
 * address, their order or their length are not, and a replaced database
 * forgets every set (the country rule must judge its answers again). */
static void
test_sets(void)
{
	static const char* const a[] = { "81.2.69.142", "2001:218::25" };
	static const char* const b[] = { "2001:218::25", "81.2.69.142" };
	static const char* const c[] = { "81.2.69.143", "2001:218::25" };
	static const char* const v6[] = { "::5102:458e" };
	char dir[] = "/tmp/mxg_test_geo.XXXXXX";
	char path[256], fpath[256], apath[256], err[1024];
	struct mxg_geo* g;
	uint64_t ka, k2;
	int i, known = 0;
	if(!mkdtemp(dir)) {
		skip("cannot create a temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/country.mmdb", dir);
	ok(copy_file(data_path("geoip/GeoIP2-Country-Test.mmdb"), path),
		"copy the country test database");
	g = mxg_geo_open(path, NULL, err, sizeof(err));
	is_int(mxg_geo_have(g), 1, "the copy opens");
	is_int(set_known(g, a, 2, &ka), 0, "a set is not known at first");
	(void)set_known(g, a, 2, &k2);
	is_int(k2 == ka && ka != 0, 1, "a set's key is the same each time");
	remember(g, ka);
	is_int(set_known(g, a, 2, NULL), 1, "a remembered set is known");
	is_int(set_known(g, b, 2, NULL), 0,
		"the same addresses in another order are another set");
	is_int(set_known(g, c, 2, NULL), 0,
		"one address changed (81.2.69.142 -> .143): another set");
	is_int(set_known(g, a, 1, NULL), 0,
		"its first address alone: another set");
	is_int(set_known(g, v6, 1, NULL), 0,
		"81.2.69.142's bytes as IPv6: another set");
	is_int(set_known(NULL, a, 2, NULL), 0, "a NULL handle: never known");
	{
		/* keys an address picker could make collide if a multiply
		 * had no secret in it: an AAAA whose last 8 bytes zeroed a
		 * public multiplier (dropping what came before), and an A
		 * record equal to an AAAA of its bytes and a chosen byte 8 */
		static const char* const z1[] = { "81.2.69.142",
			"2001:db8::137c:4a7f:b979:379e" };
		static const char* const z2[] = { "1.0.16.1",
			"2001:db8::137c:4a7f:b979:379e" };
		static const char* const f4[] = { "1.0.16.1" };
		static const char* const f6[] = { "100:1001::200:0:0:0" };
		uint64_t k1, k2b;
		(void)set_known(g, z1, 2, &k1);
		(void)set_known(g, z2, 2, &k2b);
		is_int(k1 != k2b, 1, "a clean and a JP host before the same "
			"AAAA: two keys");
		(void)set_known(g, f4, 1, &k1);
		(void)set_known(g, f6, 1, &k2b);
		is_int(k1 != k2b, 1, "1.0.16.1 and 100:1001::200:0:0:0: two "
			"keys");
	}
	/* 4096 other sets of one address each push it out only when one of
	 * them takes its slot: some of them do, the last ones stay */
	for(i = 0; i < 4096; i++) {
		char t[32];
		const char* one[1] = { t };
		snprintf(t, sizeof(t), "10.%d.%d.1", i / 256, i % 256);
		(void)set_known(g, one, 1, &k2);
		remember(g, k2);
	}
	for(i = 4000; i < 4096; i++) {
		char t[32];
		const char* one[1] = { t };
		snprintf(t, sizeof(t), "10.%d.%d.1", i / 256, i % 256);
		known += set_known(g, one, 1, NULL);
	}
	ok(known >= 80, "a full memo keeps most recent sets (%d of 96)",
		known);
	remember(g, ka);
	/* replaced by rename, with another database (the flat layout) */
	ok(write_flat_dbs(dir, fpath, apath, sizeof(fpath)) &&
		rename(fpath, path) == 0, "replace the database by rename");
	mxg_geo_refresh(g, 1000);
	is_int(set_known(g, a, 2, &k2), 0,
		"after the database is replaced the set is not known");
	is_int(k2 != ka, 1, "its key has changed with the generation");
	mxg_geo_close(g);
	unlink(path);
	unlink(apath);
	rmdir(dir);
}

/** A database that opens but has broken pointers in its data section:
 * libmaxminddb's own bad_pointers_t looks up 1.1.1.16 and 1.1.1.32. */
static void
test_broken_pointers(void)
{
	char err[1024];
	struct mxg_geo* g;
	struct mxg_geo_result r;
	int before;
	g = mxg_geo_open(data_path(
		"geoip/bad-data/MaxMind-DB-test-broken-pointers-24.mmdb"),
		NULL, err, sizeof(err));
	if(mxg_geo_have(g) == 0) {
		ok(strstr(err, "broken-pointers") != NULL,
			"broken pointers refused at open: %s", err);
		mxg_geo_close(g);
		return;
	}
	is_int(lookup(g, "1.1.1.16", &r), 0,
		"1.1.1.16 points to bad data: empty result");
	is_str(r.country, "", "bad data: no country");
	before = (int)mxg_geo_errors(g);
	(void)lookup(g, "1.1.1.32", &r);
	is_str(r.country, "", "1.1.1.32: no country");
	diag("errors counted: %d then %d", before, (int)mxg_geo_errors(g));
	ok(mxg_geo_errors(g) >= 1, "the corrupt data is counted as an error");
	ok(strstr(mxg_log_last, "broken-pointers-24.mmdb: lookup failed") !=
		NULL, "the first error is logged with the path: %s",
		mxg_log_last);
	mxg_geo_close(g);
}

/** Every broken database: an error at open or empty lookups; no crash. */
static void
test_bad_data(void)
{
	char dirpath[2048];
	DIR* dir;
	struct dirent* de;
	int n = 0;
	static const char* const addrs[] = { "1.1.1.1", "1.2.3.4",
		"81.2.69.160", "::1.1.1.1", "2001:218::1", "::ffff:1.2.3.4",
		"255.255.255.255", "::", "ffff:ffff::1" };
	snprintf(dirpath, sizeof(dirpath), "%s", data_path("geoip/bad-data"));
	if(!(dir = opendir(dirpath))) {
		ok(0, "open %s", dirpath);
		return;
	}
	while((de = readdir(dir))) {
		char path[4096], err[1024];
		struct mxg_geo* g;
		size_t i;
		int found = 0;
		if(!strstr(de->d_name, ".mmdb"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		g = mxg_geo_open(path, path, err, sizeof(err));
		ok(g != NULL, "%s: a handle, whatever the file", de->d_name);
		for(i = 0; i < sizeof(addrs)/sizeof(addrs[0]); i++) {
			struct mxg_geo_result r;
			if(lookup(g, addrs[i], &r) == 1)
				found++;
		}
		if(mxg_geo_have(g) == 0) {
			ok(strstr(err, path) != NULL && strstr(err,
				"geo lookups in it are off") != NULL,
				"%s: refused at open: %s", de->d_name, err);
		} else {
			diag("%s opens; %d lookups found data, %d errors",
				de->d_name, found, (int)mxg_geo_errors(g));
			ok(1, "%s: lookups survive the broken file",
				de->d_name);
		}
		mxg_geo_close(g);
		n++;
	}
	closedir(dir);
	ok(n >= 10, "all %d bad-data files were tried", n);
}

int
main(void)
{
	testdata = t_datadir();
	test_maxmind();
	test_missing();
	test_flat();
	test_sets();
	test_broken_pointers();
	test_bad_data();
	return done_testing();
}
