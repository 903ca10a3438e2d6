/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/geo.c - country and ASN of an address (libmaxminddb).
 */
/** \file
 * The only file that includes maxminddb.h. Two databases at most, a country
 * one (`geoip-country:`) and an ASN one (`geoip-asn:`), opened in init and
 * closed in deinit. Each is first copied into a sealed memfd and opened from
 * there (/proc/self/fd/N, MMDB_MODE_MMAP): libmaxminddb 1.7 has no
 * in-memory open, and a file it maps directly faults the process (SIGBUS)
 * when it is truncated or rewritten in place (`cp new.mmdb db.mmdb`). The
 * copy costs the file's size in memory. Without /proc it falls back to
 * mapping the file, with an error saying so. The sink thread calls
 * mxg_geo_refresh every few seconds: a replaced file is opened the same way
 * and published with an atomic pointer swap.
 *
 * Layouts read, from whichever database holds them:
 * - MaxMind GeoIP2/GeoLite2 Country and City: country.iso_code, falling back
 *   to registered_country.iso_code when the entry has no country;
 * - MaxMind GeoLite2/GeoIP2 ASN: autonomous_system_number,
 *   autonomous_system_organization;
 * - the flat ip-location-db `*-mmdb` files (CC0, npm
 *   `@ip-location-db/geo-whois-asn-country-mmdb` and friends): a top-level
 *   country_code, and for their asn databases autonomous_system_number and
 *   autonomous_system_organization (the same keys as MaxMind's).
 * The country database is asked first; the ASN database fills in only what
 * is still unknown, so a City database given as `geoip-asn:` is harmless.
 *
 * Broken databases: MMDB_open checks the metadata and the tree size, but a
 * file can open fine and still fail at lookup time (bad pointers, bad search
 * tree, bad data). So open also probes a few addresses and turns the database
 * off with an error naming the path and MMDB_strerror when a probe fails; at
 * lookup time every libmaxminddb error (lookup or MMDB_get_value) gives an
 * empty result, is counted, and the first one is logged.
 *
 * Thread safety: after mxg_geo_open returns, lookups only read the
 * published databases (atomic pointers, acquire); mxg_geo_refresh (one
 * thread) publishes a new one and frees the replaced one GEO_GRACE_S later,
 * long after any lookup that loaded the old pointer has finished.
 * libmaxminddb keeps no state in MMDB_s during lookups (its THREAD SAFETY
 * section: an MMDB_s may be shared by threads once opened), so any number of
 * worker and sink threads may call mxg_geo_lookup at once without a lock.
 * The error counter and the logged-once flag are atomics. Open and close
 * happen in init and deinit, when no other thread uses the handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <maxminddb.h>
#include "mxguard/geo.h"
#include "mxguard/hash.h"
#include "mxguard/log.h"
#include "mxguard/msg.h"

/** One opened database (never changed once published). */
struct geo_db {
	/** the libmaxminddb handle, valid when open is 1 */
	MMDB_s mmdb;
	/** 1 if mmdb is open and usable */
	int open;
	/** path, for messages (malloc'd) */
	char* path;
	/** retired (replaced) at this monotonic second; freed GEO_GRACE_S
	 * later */
	uint64_t retired_s;
};

/** Identity of a file: a change means it was replaced or rewritten. */
struct geo_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/** A replaced database is freed this long after the swap: a lookup holds
 * its pointer only for the lookup (microseconds). */
#define GEO_GRACE_S 60
/** Most replaced databases waiting for their grace period. */
#define GEO_RETIRED 8

/** One configured database: the current one and the file it came from. */
struct geo_slot {
	/** the database in use, NULL if none (read with acquire) */
	struct geo_db* _Atomic cur;
	/** configured path (malloc'd), NULL if not configured */
	char* path;
	/** option name, for messages */
	const char* option;
	/** identity of the file last opened or tried */
	struct geo_id id;
	/** id is valid */
	int have_id;
};

/** Slots of the country memo (a power of two): 32 KiB. */
#define MXG_GEO_MEMO 4096

/** The GeoIP handle, shared read-only by all threads. */
struct mxg_geo {
	/** `geoip-country:` database */
	struct geo_slot country;
	/** `geoip-asn:` database */
	struct geo_slot asn;
	/** replaced databases in their grace period (refresh thread only) */
	struct geo_db* retired[GEO_RETIRED];
	/** lookups that failed with a libmaxminddb error */
	_Atomic uint64_t errors;
	/** set once the first lookup error has been logged */
	atomic_flag logged;
	/** keys of the country memo (random, so that a client cannot pick
	 * addresses that collide) */
	uint64_t seed[2];
	/** the country memo of mxg_geo_country(): slot = key hash, word =
	 * 48-bit tag of the address << 16 | the two letters; relaxed atomics
	 * (a word is read and written whole, a lost store costs a lookup) */
	_Atomic uint64_t memo[MXG_GEO_MEMO];
	/** generation of the databases, raised (release) after a replaced
	 * one is published: part of the memo's key, so that a lookup that
	 * was still on the old database cannot leave its answer behind */
	_Atomic uint64_t memo_gen;
	/** the answer memo of mxg_geo_set_*(): slot = key, word = key (0 is
	 * never a key); relaxed atomics, cleared with the country memo */
	_Atomic uint64_t sets[MXG_GEO_SETS];
};

/** The database in use of a slot, NULL if none. */
static const struct geo_db*
cur_db(const struct geo_slot* sl)
{
	const struct geo_db* db = atomic_load_explicit(
		&((struct geo_slot*)sl)->cur, memory_order_acquire);
	return db && db->open ? db : NULL;
}

/** Copy a UTF-8 string entry into dst (NUL-terminated, truncated).
 * @return 1 if a non-empty string was copied. */
static int
copy_string(const MMDB_entry_data_s* d, char* dst, size_t dstlen)
{
	size_t n;
	if(!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING ||
		d->data_size == 0 || !d->utf8_string)
		return 0;
	n = d->data_size;
	if(n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, d->utf8_string, n);
	dst[n] = 0;
	return 1;
}

/** Read an unsigned integer entry of any width that fits 32 bits.
 * @return 1 if a non-zero value was read. */
static int
read_uint(const MMDB_entry_data_s* d, uint32_t* v)
{
	uint64_t x;
	if(!d->has_data)
		return 0;
	switch(d->type) {
	case MMDB_DATA_TYPE_UINT16: x = d->uint16; break;
	case MMDB_DATA_TYPE_UINT32: x = d->uint32; break;
	case MMDB_DATA_TYPE_INT32:
		if(d->int32 < 0)
			return 0;
		x = (uint64_t)d->int32;
		break;
	case MMDB_DATA_TYPE_UINT64: x = d->uint64; break;
	default: return 0;
	}
	if(x == 0 || x > UINT32_MAX)
		return 0;
	*v = (uint32_t)x;
	return 1;
}

/** Is s a two-letter code? Uppercase it in place if so. */
static int
country_code_ok(char* s)
{
	int i;
	for(i = 0; i < 2; i++) {
		char c = s[i];
		if(c >= 'a' && c <= 'z')
			s[i] = (char)(c - 'a' + 'A');
		else if(!(c >= 'A' && c <= 'Z'))
			return 0;
	}
	return s[2] == 0;
}

/** Get a value by path; the status is returned and the data cleared on
 * any error, so the caller can tell "absent" (has_data 0, status ok) from
 * "broken" (status not MMDB_SUCCESS). */
static int
get_value(MMDB_entry_s* entry, MMDB_entry_data_s* d, const char* const* path)
{
	int status;
	memset(d, 0, sizeof(*d));
	status = MMDB_aget_value(entry, d, path);
	if(status != MMDB_SUCCESS) {
		memset(d, 0, sizeof(*d));
		/* a missing key or index is not an error of the database */
		if(status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
			status == MMDB_INVALID_LOOKUP_PATH_ERROR)
			return MMDB_SUCCESS;
	}
	return status;
}

/** Fill in the fields of r still unknown from one entry.
 * @return MMDB_SUCCESS or the first libmaxminddb error. */
static int
read_entry(MMDB_entry_s* entry, struct mxg_geo_result* r)
{
	static const char* const p_country[] = { "country", "iso_code", NULL };
	static const char* const p_reg[] = { "registered_country", "iso_code",
		NULL };
	static const char* const p_flat[] = { "country_code", NULL };
	static const char* const p_asn[] = { "autonomous_system_number", NULL };
	static const char* const p_org[] = { "autonomous_system_organization",
		NULL };
	static const char* const* const p_cc[] = { p_country, p_reg, p_flat };
	MMDB_entry_data_s d;
	int status;
	size_t i;
	if(r->country[0] == 0) {
		for(i = 0; i < sizeof(p_cc)/sizeof(p_cc[0]); i++) {
			char cc[4];
			if((status = get_value(entry, &d, p_cc[i])) != MMDB_SUCCESS)
				return status;
			if(copy_string(&d, cc, sizeof(cc)) && country_code_ok(cc)) {
				memcpy(r->country, cc, 3);
				break;
			}
		}
	}
	if(r->asn == 0) {
		if((status = get_value(entry, &d, p_asn)) != MMDB_SUCCESS)
			return status;
		if(read_uint(&d, &r->asn)) {
			if((status = get_value(entry, &d, p_org)) != MMDB_SUCCESS)
				return status;
			(void)copy_string(&d, r->as_org, sizeof(r->as_org));
		}
	}
	return MMDB_SUCCESS;
}

/** Build a sockaddr for an address; IPv4-mapped IPv6 becomes IPv4.
 * @return 1 if ok. */
static int
make_sockaddr(int family, const uint8_t* addr, struct sockaddr_storage* ss)
{
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	memset(ss, 0, sizeof(*ss));
	if(family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if(family == AF_INET) {
		struct sockaddr_in* s4 = (struct sockaddr_in*)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		return 1;
	}
	if(family == AF_INET6) {
		struct sockaddr_in6* s6 = (struct sockaddr_in6*)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		return 1;
	}
	return 0;
}

/** Look an address up in one database, filling what r still lacks.
 * @return MMDB_SUCCESS (found or not) or a libmaxminddb error. */
static int
lookup_db(const struct geo_db* db, const struct sockaddr* sa,
	struct mxg_geo_result* r)
{
	MMDB_lookup_result_s res;
	int mmdb_err = MMDB_SUCCESS;
	if(!db || !db->open)
		return MMDB_SUCCESS;
	res = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmdb_err);
	if(mmdb_err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return MMDB_SUCCESS; /* an IPv4-only database: unknown */
	if(mmdb_err != MMDB_SUCCESS)
		return mmdb_err;
	if(!res.found_entry)
		return MMDB_SUCCESS;
	return read_entry(&res.entry, r);
}

/** Addresses looked up at open to catch broken files early: a spread over
 * both families, including the ranges of MaxMind's test databases. */
static const char* const probe_addrs[] = {
	"1.1.1.1", "8.8.8.8", "81.2.69.160", "89.160.20.112", "128.0.0.1",
	"203.0.113.1", "255.255.255.255", "0.0.0.0",
	"2001:218::1", "2a02:d0c0::1", "2600:7000::1", "2001:4860::8888",
	"::1", "ffff::1"
};

/** Probe a freshly opened database. @return MMDB_SUCCESS or the error. */
static int
probe_db(struct geo_db* db)
{
	size_t i;
	for(i = 0; i < sizeof(probe_addrs)/sizeof(probe_addrs[0]); i++) {
		struct mxg_geo_result r;
		int status, gai = 0, mmdb_err = MMDB_SUCCESS;
		MMDB_lookup_result_s res;
		memset(&r, 0, sizeof(r));
		res = MMDB_lookup_string(&db->mmdb, probe_addrs[i], &gai,
			&mmdb_err);
		if(gai != 0 ||
			mmdb_err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
			continue;
		if(mmdb_err != MMDB_SUCCESS)
			return mmdb_err;
		if(!res.found_entry)
			continue;
		if((status = read_entry(&res.entry, &r)) != MMDB_SUCCESS)
			return status;
	}
	return MMDB_SUCCESS;
}

/** Close and free one database. */
static void
free_db(struct geo_db* db)
{
	if(!db)
		return;
	if(db->open)
		MMDB_close(&db->mmdb);
	free(db->path);
	free(db);
}

/** Copy the file at path into a sealed memfd, so that the copy libmaxminddb
 * maps can never be truncated or rewritten under it (a file mapped as it
 * is faults the process with SIGBUS when it is truncated in place).
 * @return the descriptor, or -1 with errno; *id gets the file's identity. */
static int
private_copy(const char* path, struct geo_id* id)
{
	char buf[65536];
	struct stat st;
	int in, fd, e;
	ssize_t n;
	if((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if(fstat(in, &st) != 0 || (fd = memfd_create("mxguard-geoip",
		MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	while((n = read(in, buf, sizeof(buf))) != 0) {
		char* p = buf;
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0)
			goto fail;
		while(n > 0) {
			ssize_t w = write(fd, p, (size_t)n);
			if(w < 0 && errno == EINTR)
				continue;
			if(w <= 0)
				goto fail;
			p += w;
			n -= w;
		}
	}
	close(in);
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
fail:
	e = errno;
	close(in);
	close(fd);
	errno = e;
	return -1;
}

/** Open one database from a private copy; on failure append the reason to
 * err. @return the database, or NULL. */
static struct geo_db*
open_db(const char* option, const char* path, struct geo_id* id, char* err,
	size_t errlen)
{
	struct geo_db* db;
	char proc[64];
	int status, fd;
	if(!path || !*path)
		return NULL;
	if(!(db = calloc(1, sizeof(*db))) || !(db->path = strdup(path))) {
		free(db);
		mxg_msg_append(err, errlen, "; ", "%s: %s: out of memory", option, path);
		return NULL;
	}
	errno = 0;
	if((fd = private_copy(path, id)) < 0) {
		mxg_msg_append(err, errlen, "; ", "%s: %s: %s (%s), geo lookups in it "
			"are off", option, path, MMDB_strerror(MMDB_FILE_OPEN_ERROR),
			strerror(errno));
		free_db(db);
		return NULL;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	status = MMDB_open(proc, MMDB_MODE_MMAP, &db->mmdb);
	close(fd);
	if(status == MMDB_FILE_OPEN_ERROR) {
		/* no /proc (a chroot without it): map the file itself */
		mxg_log_err("%s: %s: cannot open a private copy (is /proc "
			"mounted?): the file is mapped as it is, so replace it "
			"by rename, never in place", option, path);
		status = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	}
	if(status != MMDB_SUCCESS) {
		if(status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR)
			mxg_msg_append(err, errlen, "; ", "%s: %s: %s (%s), geo lookups "
				"in it are off", option, path,
				MMDB_strerror(status),
				errno ? strerror(errno) : "unknown cause");
		else
			mxg_msg_append(err, errlen, "; ", "%s: %s: %s, geo lookups in it "
				"are off", option, path, MMDB_strerror(status));
		free_db(db);
		return NULL;
	}
	db->open = 1;
	if((status = probe_db(db)) != MMDB_SUCCESS) {
		mxg_msg_append(err, errlen, "; ", "%s: %s: corrupt database: %s, geo "
			"lookups in it are off", option, path,
			MMDB_strerror(status));
		free_db(db);
		return NULL;
	}
	return db;
}

/** Set up a slot and open its database. */
static void
open_slot(struct geo_slot* sl, const char* option, const char* path,
	char* err, size_t errlen)
{
	sl->option = option;
	atomic_init(&sl->cur, NULL);
	if(!path || !*path)
		return;
	sl->path = strdup(path);
	atomic_store_explicit(&sl->cur, open_db(option, path, &sl->id, err,
		errlen), memory_order_release);
	sl->have_id = 1;
}

struct mxg_geo*
mxg_geo_open(const char* country_path, const char* asn_path, char* err,
	size_t errlen)
{
	struct mxg_geo* g = calloc(1, sizeof(*g));
	if(err && errlen)
		err[0] = 0;
	if(!g) {
		mxg_msg_append(err, errlen, "; ", "geoip: out of memory");
		return NULL;
	}
	atomic_init(&g->errors, 0);
	atomic_init(&g->memo_gen, 0);
	atomic_flag_clear(&g->logged);
	if(getrandom(g->seed, sizeof(g->seed), GRND_NONBLOCK) !=
		(ssize_t)sizeof(g->seed)) {
		/* no entropy yet (early boot): time and address */
		g->seed[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)g;
		g->seed[1] = g->seed[0] * MXG_HASH_K + 1;
	}
	open_slot(&g->country, "geoip-country", country_path, err, errlen);
	open_slot(&g->asn, "geoip-asn", asn_path, err, errlen);
	return g;
}

int
mxg_geo_have(const struct mxg_geo* g)
{
	if(!g)
		return 0;
	return (cur_db(&g->country) ? MXG_GEO_COUNTRY : 0) |
		(cur_db(&g->asn) ? MXG_GEO_ASN : 0);
}

uint64_t
mxg_geo_build_time(const struct mxg_geo* g, int which)
{
	const struct geo_db* db;
	if(!g)
		return 0;
	db = cur_db(which == 2 ? &g->asn : &g->country);
	return db ? (uint64_t)db->mmdb.metadata.build_epoch : 0;
}

/** Count a lookup error and log the first one. */
static void
lookup_failed(const struct mxg_geo* cg, const struct geo_db* db, int status)
{
	struct mxg_geo* g = (struct mxg_geo*)cg; /* atomics only */
	atomic_fetch_add_explicit(&g->errors, 1, memory_order_relaxed);
	if(!atomic_flag_test_and_set(&g->logged))
		mxg_log_err("geoip: %s: lookup failed: %s (further errors are "
			"only counted)", db->path ? db->path : "?",
			MMDB_strerror(status));
}

int
mxg_geo_lookup(const struct mxg_geo* g, int family, const uint8_t* addr,
	struct mxg_geo_result* r)
{
	struct sockaddr_storage ss;
	struct mxg_geo_result tmp;
	const struct geo_db* cdb, *adb;
	int status;
	memset(r, 0, sizeof(*r));
	if(!g || !addr || !make_sockaddr(family, addr, &ss))
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	cdb = cur_db(&g->country);
	adb = cur_db(&g->asn);
	if((status = lookup_db(cdb, (struct sockaddr*)&ss, &tmp))
		!= MMDB_SUCCESS) {
		lookup_failed(g, cdb, status);
		memset(&tmp, 0, sizeof(tmp));
	}
	if(tmp.country[0] == 0 || tmp.asn == 0) {
		struct mxg_geo_result keep = tmp;
		if((status = lookup_db(adb, (struct sockaddr*)&ss, &tmp))
			!= MMDB_SUCCESS) {
			lookup_failed(g, adb, status);
			tmp = keep;
		}
	}
	*r = tmp;
	return r->country[0] != 0 || r->asn != 0;
}

void
mxg_geo_country(struct mxg_geo* g, int family, const uint8_t* addr,
	char cc[3])
{
	struct mxg_geo_result r;
	uint64_t lo = 0, hi = 0, h, tag, w, errs;
	_Atomic uint64_t* slot;
	cc[0] = cc[1] = cc[2] = 0;
	if(!g || !addr || (family != AF_INET && family != AF_INET6))
		return;
	if(family == AF_INET) {
		memcpy(&lo, addr, 4);
	} else {
		memcpy(&lo, addr, 8);
		memcpy(&hi, addr + 8, 8);
	}
	/* the generation first (acquire): the databases read below are at
	 * least as new as it */
	h = mxg_hash_mum(lo ^ g->seed[0] ^ (atomic_load_explicit(&g->memo_gen,
		memory_order_acquire) << 8), hi ^ g->seed[1] ^ (uint64_t)family);
	slot = &g->memo[h & (MXG_GEO_MEMO - 1)];
	tag = (h >> 16) | ((uint64_t)1 << 47);	/* 48 bits, never 0 */
	w = atomic_load_explicit(slot, memory_order_relaxed);
	if((w >> 16) == tag) {
		cc[0] = (char)(w >> 8);
		cc[1] = (char)w;
		return;
	}
	errs = atomic_load_explicit(&g->errors, memory_order_relaxed);
	mxg_geo_lookup(g, family, addr, &r);
	cc[0] = r.country[0];
	cc[1] = cc[0] ? r.country[1] : 0;
	/* a lookup that failed is not remembered */
	if(atomic_load_explicit(&g->errors, memory_order_relaxed) == errs)
		atomic_store_explicit(slot, tag << 16 |
			(uint64_t)(uint8_t)cc[0] << 8 | (uint8_t)cc[1],
			memory_order_relaxed);
}

int
mxg_geo_sets(struct mxg_geo* g, struct mxg_geo_sets* out)
{
	memset(out, 0, sizeof(*out));
	if(!g)
		return 0;
	out->gen = &g->memo_gen;
	out->slots = g->sets;
	/* five keys from the handle's two random ones; a multiplier is odd,
	 * so never 0 */
	out->start = mxg_fmix64(g->seed[0] ^ 0x6a09e667f3bcc908ULL);
	out->end = mxg_fmix64(g->seed[1] ^ 0xbb67ae8584caa73bULL);
	out->lo = mxg_fmix64(g->seed[0] ^ 0x3c6ef372fe94f82bULL);
	out->v4 = mxg_fmix64(g->seed[1] ^ 0xa54ff53a5f1d36f1ULL) | 1;
	out->v6 = mxg_fmix64(g->seed[0] + g->seed[1] +
		0x510e527fade682d1ULL);
	return 1;
}

uint64_t
mxg_geo_errors(const struct mxg_geo* g)
{
	if(!g)
		return 0;
	return atomic_load_explicit(&((struct mxg_geo*)g)->errors,
		memory_order_relaxed);
}

/** Format an epoch as YYYY-MM-DD (UTC). */
static void
day_text(char* buf, size_t len, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if(!t || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d", &tm))
		snprintf(buf, len, "unknown");
}

/** Check one slot's file; open and publish a replaced one. */
static void
refresh_slot(struct mxg_geo* g, struct geo_slot* sl, uint64_t now_s)
{
	struct stat st;
	struct geo_id id;
	struct geo_db* db, *old;
	char err[1024], b1[16], b2[16];
	size_t i;
	if(!sl->path || stat(sl->path, &st) != 0)
		return;
	if(sl->have_id && st.st_dev == sl->id.dev && st.st_ino == sl->id.ino
		&& st.st_size == sl->id.size && st.st_mtim.tv_sec ==
		sl->id.mtime.tv_sec && st.st_mtim.tv_nsec ==
		sl->id.mtime.tv_nsec)
		return;
	err[0] = 0;
	memset(&id, 0, sizeof(id));
	db = open_db(sl->option, sl->path, &id, err, sizeof(err));
	/* a file being written may look broken: it is tried again once it
	 * changes again (or at the next check if it could not be read) */
	if(id.ino) {
		sl->id = id;
		sl->have_id = 1;
	}
	if(!db) {
		mxg_log_err("geoip: %s (replaced): the database in use is kept",
			err);
		return;
	}
	old = atomic_exchange_explicit(&sl->cur, db, memory_order_acq_rel);
	/* the country memo holds answers of the old database: a new
	 * generation keys them out (also those a lookup still on the old
	 * database stores after this), and the slots are cleared */
	atomic_fetch_add_explicit(&g->memo_gen, 1, memory_order_release);
	for(i = 0; i < MXG_GEO_MEMO; i++)
		atomic_store_explicit(&g->memo[i], 0, memory_order_relaxed);
	for(i = 0; i < MXG_GEO_SETS; i++)
		atomic_store_explicit(&g->sets[i], 0, memory_order_relaxed);
	day_text(b1, sizeof(b1), db->mmdb.metadata.build_epoch);
	day_text(b2, sizeof(b2), old ? old->mmdb.metadata.build_epoch : 0);
	mxg_log_info("geoip: %s: reloaded, built %s (was %s)", sl->path, b1,
		old ? b2 : "not open");
	if(!old)
		return;
	old->retired_s = now_s;
	for(i = 0; i < GEO_RETIRED && g->retired[i]; i++)
		;
	if(i == GEO_RETIRED) {
		/* full: the oldest goes now (more than GEO_RETIRED
		 * replacements within the grace period) */
		free_db(g->retired[0]);
		memmove(g->retired, g->retired + 1, sizeof(g->retired[0]) *
			(GEO_RETIRED - 1));
		i = GEO_RETIRED - 1;
	}
	g->retired[i] = old;
}

void
mxg_geo_refresh(struct mxg_geo* g, uint64_t now_s)
{
	size_t i, k = 0;
	if(!g)
		return;
	refresh_slot(g, &g->country, now_s);
	refresh_slot(g, &g->asn, now_s);
	for(i = 0; i < GEO_RETIRED; i++) {
		struct geo_db* db = g->retired[i];
		if(db && db->retired_s + GEO_GRACE_S <= now_s)
			free_db(db);
		else if(db)
			g->retired[k++] = db;
	}
	for(; k < GEO_RETIRED; k++)
		g->retired[k] = NULL;
}

/** Close one slot. */
static void
close_slot(struct geo_slot* sl)
{
	free_db(atomic_load_explicit(&sl->cur, memory_order_acquire));
	atomic_store_explicit(&sl->cur, NULL, memory_order_relaxed);
	free(sl->path);
	sl->path = NULL;
}

void
mxg_geo_close(struct mxg_geo* g)
{
	size_t i;
	if(!g)
		return;
	close_slot(&g->country);
	close_slot(&g->asn);
	for(i = 0; i < GEO_RETIRED; i++)
		free_db(g->retired[i]);
	free(g);
}
