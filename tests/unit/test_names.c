/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/unit/test_names.c - wire names, hashes, base domains, label features.
 */
/** \file
 * Checks module/names.c: malformed wire is rejected, text is lowercased and
 * escaped like Unbound, hashes ignore ASCII case, base domains come from the
 * public suffix list (not "last two labels"), the memo gives the same
 * answers as libpsl from several threads, and label statistics count what
 * they say.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxguard/mxguard.h"
#include "mxguard/hash.h"
#include "mxguard/names.h"
#include "tap.h"

/** Wire form of a text name (aborts the test on a parse failure). */
static size_t
w(const char* s, uint8_t* out)
{
	size_t l = 0;
	int st = mxg_names_from_str(s, out, MXG_NAME_WIRE_MAX, &l);
	if(st != MXG_NAME_OK) {
		printf("# cannot parse '%s': %s\n", s, mxg_names_strerror(st));
		return 0;
	}
	return l;
}

/** Text of a wire name, into a static buffer. */
static const char*
txt(const uint8_t* wire, size_t len)
{
	static char buf[MXG_NAME_TEXT_MAX];
	if(mxg_names_to_str(wire, len, buf, sizeof(buf)) != MXG_NAME_OK)
		return "(error)";
	return buf;
}

/** Base domain of a text name, as text. */
static const char*
base_of(const char* name)
{
	static char buf[MXG_NAME_TEXT_MAX];
	uint8_t wire[MXG_NAME_WIRE_MAX];
	size_t l = w(name, wire), off = 99;
	if(!l || mxg_names_base(wire, l, &off) != MXG_NAME_OK)
		return "(error)";
	if(mxg_names_to_str(wire + off, l - off, buf, sizeof(buf)) !=
		MXG_NAME_OK)
		return "(error)";
	return buf;
}

static void
test_wire(void)
{
	uint8_t b[MXG_NAME_WIRE_MAX + 8];
	uint8_t big[300];
	size_t l, wl = 0, i;
	char small[8];

	l = w("Mail.Example.COM.", b);
	is_int(l, 18, "wire length of mail.example.com.");
	is_int(mxg_names_check(b, l, &wl), MXG_NAME_OK, "valid name checks");
	is_int(wl, 18, "check reports the length");
	is_str(txt(b, l), "mail.example.com", "text is lowercased, no dot");
	is_int(w("mail.example.com", b), 18, "trailing dot is optional");
	is_int(w(".", b), 1, "root parses");
	is_str(txt(b, 1), ".", "root prints as '.'");
	is_int(mxg_names_label_count(b, 1), 0, "root has no labels");
	l = w("1.evil.example", b);
	is_int(mxg_names_label_count(b, l), 3, "three labels");

	/* malformed */
	is_int(mxg_names_check((const uint8_t*)"\003abc", 4, NULL),
		MXG_NAME_ERR_TRUNC, "missing root rejected");
	is_int(mxg_names_check((const uint8_t*)"\005ab", 3, NULL),
		MXG_NAME_ERR_TRUNC, "label past the end rejected");
	is_int(mxg_names_check((const uint8_t*)"\100abc", 4, NULL),
		MXG_NAME_ERR_LABEL, "label length 64 rejected");
	is_int(mxg_names_check((const uint8_t*)"\300\014", 2, NULL),
		MXG_NAME_ERR_LABEL, "compression pointer rejected");
	is_int(mxg_names_check(b, 0, NULL), MXG_NAME_ERR_TRUNC,
		"empty buffer rejected");
	/* 5 labels of 50: 255 + root = 256 > 255 */
	memset(big, 'a', sizeof(big));
	for(i = 0; i < 5; i++)
		big[i * 51] = 50;
	big[255] = 0;
	is_int(mxg_names_check(big, 256, NULL), MXG_NAME_ERR_LONG,
		"256-byte name rejected");
	big[204] = 49;
	big[254] = 0;
	is_int(mxg_names_check(big, 255, &wl), MXG_NAME_OK,
		"255-byte name accepted");
	is_int(wl, 255, "255-byte name length");
	ok(strlen(txt(big, 255)) == 253, "255-byte name prints 253 chars");
	is_int(mxg_names_to_str((const uint8_t*)"\003abc", 4, small,
		sizeof(small)), MXG_NAME_ERR_TRUNC, "to_str rejects bad wire");
	is_str(small, "", "and leaves an empty string");
	is_int(mxg_names_to_str(big, 255, small, sizeof(small)),
		MXG_NAME_ERR_SPACE, "to_str reports a short buffer");
	is_str(small, "aaaaaaa", "truncated output is terminated");

	/* escaping */
	memcpy(b, "\004a.\\\"\003\000\377\x41\003com\000", 14);
	is_str(txt(b, 14), "a\\.\\\\\\\".\\000\\255a.com",
		"dot, backslash, quote, NUL, 0xff escaped; A lowercased");
	memcpy(b, "\003a b\002\n\177\000", 8);
	is_str(txt(b, 8), "a\\032b.\\010\\127", "space, newline, DEL escaped");
	l = w("a\\.b\\255\\065.com", b);
	is_int(l, 11, "escapes parse");
	is_int(b[0], 5, "escaped dot stays in the label");
	is_int(b[4], 255, "\\255 parses");
	is_int(b[5], 'A', "\\065 parses, case kept");
	is_str(txt(b, l), "a\\.b\\255a.com", "and print back");
	is_int(mxg_names_from_str("a..b", b, sizeof(b), &l),
		MXG_NAME_ERR_SYNTAX, "empty label rejected");
	is_int(mxg_names_from_str("a\\9", b, sizeof(b), &l),
		MXG_NAME_ERR_SYNTAX, "short \\DDD rejected");
	is_int(mxg_names_from_str("a\\300", b, sizeof(b), &l),
		MXG_NAME_ERR_SYNTAX, "\\300 rejected");
	is_int(mxg_names_from_str(
		"0123456789012345678901234567890123456789012345678901234567890123",
		b, sizeof(b), &l), MXG_NAME_ERR_LABEL,
		"64-character label rejected");
}

static void
test_hash(void)
{
	uint8_t a[MXG_NAME_WIRE_MAX], b[MXG_NAME_WIRE_MAX];
	size_t al, bl, off;
	al = w("Mail.EXAMPLE.com", a);
	bl = w("mail.example.COM", b);
	ok(mxg_names_hash(a, al) == mxg_names_hash(b, bl),
		"hash ignores ASCII case");
	ok(mxg_names_equal(a, al, b, bl), "equal ignores ASCII case");
	bl = w("mail.example.con", b);
	ok(mxg_names_hash(a, al) != mxg_names_hash(b, bl),
		"different names hash differently");
	ok(!mxg_names_equal(a, al, b, bl), "different names differ");
	/* 0xc1 vs 0xe1: only ASCII folds */
	memcpy(a, "\001\301\000", 3);
	memcpy(b, "\001\341\000", 3);
	ok(mxg_names_hash(a, 3) != mxg_names_hash(b, 3),
		"bytes above 0x7f do not fold");
	ok(!mxg_names_equal(a, 3, b, 3), "nor compare equal");
	memcpy(a, "\001@\000", 3);
	memcpy(b, "\001`\000", 3);
	ok(mxg_names_hash(a, 3) != mxg_names_hash(b, 3),
		"'@' and '`' do not fold");
	memcpy(a, "\001[\000", 3);
	memcpy(b, "\001{\000", 3);
	ok(mxg_names_hash(a, 3) != mxg_names_hash(b, 3),
		"'[' and '{' do not fold");
	/* suffix hash equals the hash of the base by itself */
	al = w("1.Evil.Example", a);
	bl = w("evil.example", b);
	off = 2;
	ok(mxg_names_hash(a + off, al - off) == mxg_names_hash(b, bl),
		"suffix hash is the base domain's hash");
	ok(mxg_names_is_under(a, al, b, bl), "1.evil.example under base");
	ok(mxg_names_is_under(b, bl, b, bl), "a name is under itself");
	bl = w("vil.example", b);
	ok(!mxg_names_is_under(a, al, b, bl), "not under on a non-boundary");
	bl = w(".", b);
	ok(mxg_names_is_under(a, al, b, bl), "everything is under the root");
}

static void
test_base(void)
{
	uint8_t b[MXG_NAME_WIRE_MAX];
	size_t l, off;
	is_str(base_of("1.evil.example"), "evil.example", "1.evil.example");
	is_str(base_of("a.b.example.co.uk"), "example.co.uk",
		"a.b.example.co.uk");
	is_str(base_of("mail.google.com"), "google.com", "mail.google.com");
	is_str(base_of("com"), "com", "a public suffix is its own base");
	is_str(base_of("co.uk"), "co.uk", "co.uk is its own base");
	is_str(base_of("."), ".", "root is its own base");
	is_str(base_of("MAIL.Google.COM."), "google.com",
		"uppercase and trailing dot");
	is_str(base_of("x.y.example.github.io"), "example.github.io",
		"private-section suffix github.io");
	is_str(base_of("mx.foo.xn--fiqs8s"), "foo.xn--fiqs8s",
		"xn-- TLD (china) as punycode");
	is_str(base_of("xn--fiqs8s"), "xn--fiqs8s", "xn-- TLD alone");
	is_str(base_of("mail.xn--bcher-kva.example"), "xn--bcher-kva.example",
		"xn-- label under an unlisted TLD");
	is_str(base_of("a.b.c.d.e.f.g.h.i.j.k.bigmail.example"),
		"bigmail.example", "deep name");
	is_str(base_of("a.foo.localhost"), "foo.localhost",
		"unlisted TLD: default rule '*'");
	is_str(base_of("x.y.ck"), "x.y.ck", "wildcard rule *.ck");
	/* binary labels are opaque */
	memcpy(b, "\003a\000b\004evil\007example\000", 18);
	l = 18;
	is_int(mxg_names_base(b, l, &off), MXG_NAME_OK,
		"binary label: base still works");
	is_int(off, 4, "binary label: base is evil.example");
	memcpy(b, "\001x\003\377.\\\003com\000", 12);
	is_int(mxg_names_base(b, 12, &off), MXG_NAME_OK,
		"binary registrable label ok");
	is_int(off, 2, "binary registrable label is the base");
	is_str(txt(b + off, 12 - off), "\\255\\.\\\\.com",
		"and prints escaped");
	memcpy(b, "\003\303\244x\003com\000", 9);
	is_int(mxg_names_base(b, 9, &off), MXG_NAME_OK, "raw UTF-8 label");
	is_int(off, 0, "raw UTF-8 label under com");
	is_int(mxg_names_base((const uint8_t*)"\003abc", 4, &off),
		MXG_NAME_ERR_TRUNC, "malformed name: base rejected");
	is_int(off, 0, "and offset 0");
}

/** The names the memo threads look up. */
static const char* memo_names[] = {
	"1.evil.example", "2.evil.example", "a.b.example.co.uk",
	"mail.google.com", "com", "co.uk", "x.y.example.github.io",
	"aspmx.l.google.com", "contoso-com.mail.protection.outlook.com",
	"mx.ovh.net", "MAIL.Google.COM", "mx.foo.xn--fiqs8s", "a.foo.localhost",
	"x.y.ck", "www.bbc.co.uk", "deep.a.b.c.d.e.f.g.example.org",
};
/** Number of memo_names. */
#define N_MEMO (sizeof(memo_names) / sizeof(memo_names[0]))
/** Expected offsets, from mxg_names_base(). */
static size_t memo_want[N_MEMO];
/** Wire forms. */
static uint8_t memo_wire[N_MEMO][MXG_NAME_WIRE_MAX];
/** Wire lengths. */
static size_t memo_len[N_MEMO];

/** A thread's arguments. */
struct memo_arg {
	/** shared memo */
	struct mxg_basememo* m;
	/** thread number */
	int id;
	/** mismatches seen */
	int bad;
};

static void*
memo_thread(void* arg)
{
	struct memo_arg* a = arg;
	int i;
	unsigned x = (unsigned)a->id * 2654435761u + 1;
	for(i = 0; i < 200000; i++) {
		size_t k, off = 999;
		x = x * 1103515245u + 12345u;
		k = (x >> 8) % N_MEMO;
		if(mxg_names_memo_lookup(a->m, memo_wire[k], memo_len[k],
			&off) != MXG_NAME_OK || off != memo_want[k])
			a->bad++;
	}
	return NULL;
}

static void
test_memo(void)
{
	struct mxg_basememo* m;
	struct memo_arg args[4];
	pthread_t th[4];
	size_t i, off;
	int bad = 0;
	uint64_t miss;
	uint8_t b[MXG_NAME_WIRE_MAX];
	size_t l;

	for(i = 0; i < N_MEMO; i++) {
		memo_len[i] = w(memo_names[i], memo_wire[i]);
		mxg_names_base(memo_wire[i], memo_len[i], &memo_want[i]);
	}
	m = mxg_names_memo_new(1000);
	ok(m != NULL, "memo created");
	is_int(mxg_names_memo_mem(m) >= 1024 * 8, 1,
		"1000 entries round up to 1024 words");
	l = w("1.evil.example", b);
	is_int(mxg_names_memo_lookup(m, b, l, &off), MXG_NAME_OK, "memo miss");
	is_int(off, 2, "memo miss answer");
	is_int(mxg_names_memo_misses(m), 1, "one miss");
	l = w("1.EVIL.example", b);
	is_int(mxg_names_memo_lookup(m, b, l, &off), MXG_NAME_OK, "memo hit");
	is_int(off, 2, "memo hit answer (case-insensitive)");
	is_int(mxg_names_memo_misses(m), 1, "still one miss");
	is_int(mxg_names_memo_lookup_hash(m, b, l, mxg_names_hash(b, l),
		&off), MXG_NAME_OK, "lookup with the caller's hash");
	{
		/* a keyed hash is used as it is: a miss the first time, then
		 * the stored answer */
		struct mxg_basememo* mk = mxg_names_memo_new(1000);
		uint64_t kh = mxg_hash_bytes_lower(0x5eed, b, l);
		size_t off2 = 99;
		is_int(mxg_names_memo_lookup_keyed(mk, b, l, kh, &off2),
			MXG_NAME_OK, "keyed lookup (miss)");
		is_int((int)off2, 2, "keyed lookup: the base domain's offset");
		off2 = 99;
		is_int(mxg_names_memo_lookup_keyed(mk, b, l, kh, &off2),
			MXG_NAME_OK, "keyed lookup again");
		ok(off2 == 2 && mxg_names_memo_misses(mk) == 1,
			"answered from the memo (misses %llu)",
			(unsigned long long)mxg_names_memo_misses(mk));
		is_int(mxg_names_memo_lookup_keyed(mk,
			(const uint8_t*)"\003abc", 4, 77, &off2),
			MXG_NAME_ERR_TRUNC, "keyed lookup rejects malformed names");
		mxg_names_memo_free(mk);
	}
	is_int(mxg_names_memo_lookup(m, (const uint8_t*)"\003abc", 4, &off),
		MXG_NAME_ERR_TRUNC, "memo rejects malformed names");
	is_int(mxg_names_memo_lookup(m, (const uint8_t*)"\003abc", 4, &off),
		MXG_NAME_ERR_TRUNC, "and does not store them");
	is_int(mxg_names_memo_lookup(NULL, b, l, &off), MXG_NAME_OK,
		"NULL memo calls libpsl directly");
	is_int(off, 2, "NULL memo answer");

	for(i = 0; i < 4; i++) {
		args[i].m = m;
		args[i].id = (int)i;
		args[i].bad = 0;
		pthread_create(&th[i], NULL, memo_thread, &args[i]);
	}
	for(i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += args[i].bad;
	}
	is_int(bad, 0, "4 threads x 200000 lookups agree with libpsl");
	miss = mxg_names_memo_misses(m);
	ok(miss < 100, "memo hits: %llu misses in 800000 lookups",
		(unsigned long long)miss);
	mxg_names_memo_free(m);

	/* a tiny memo under eviction pressure still answers right */
	m = mxg_names_memo_new(1);
	bad = 0;
	for(i = 0; i < 5000; i++) {
		char nm[64];
		size_t want;
		snprintf(nm, sizeof(nm), "h%zu.d%zu.example.co.uk", i, i % 97);
		l = w(nm, b);
		mxg_names_base(b, l, &want);
		if(mxg_names_memo_lookup(m, b, l, &off) != MXG_NAME_OK ||
			off != want)
			bad++;
		if(mxg_names_memo_lookup(m, b, l, &off) != MXG_NAME_OK ||
			off != want)
			bad++;
	}
	is_int(bad, 0, "64-entry memo, 5000 names: all answers right");
	mxg_names_memo_free(m);
	mxg_names_memo_free(NULL);
	ok(1, "freeing NULL is fine");
}

/** 63 distinct bytes. */
#define LABEL63 \
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"

/** A field of the statistics of a label (len bytes of label). */
#define F(x) offsetof(struct mxg_label_stats, x)
static const struct stat_case {
	const char* label;
	size_t len;
	size_t field;
	unsigned want;
	const char* what;
} stat_cases[] = {
	{ "aaaa", 4, F(entropy_mbits), 0, "entropy of aaaa" },
	{ "abcd", 4, F(entropy_mbits), 2000, "entropy of abcd is 2 bits" },
	{ "aabb", 4, F(entropy_mbits), 1000, "entropy of aabb is 1 bit" },
	{ "0123456789abcdef", 16, F(entropy_mbits), 4000,
		"16 distinct hex: 4 bits" },
	{ "0123456789abcdef", 16, F(hex), 16, "all hex" },
	{ "0123456789abcdef", 16, F(digits), 10, "10 digits" },
	{ "0123456789abcdef", 16, F(b32), 12, "b32 alphabet: 2-7 and a-f" },
	{ "0123456789abcdef", 16, F(b32hex), 16, "b32hex alphabet" },
	{ "0123456789abcdef", 16, F(b64), 16, "b64 alphabet" },
	{ "Ab-_+/=xyZ", 10, F(upper), 2, "2 upper" },
	{ "Ab-_+/=xyZ", 10, F(lower), 3, "3 lower" },
	{ "Ab-_+/=xyZ", 10, F(hex), 2, "hex: A b" },
	{ "Ab-_+/=xyZ", 10, F(b64), 10, "base64url and base64 alphabet" },
	{ "Ab-_+/=xyZ", 10, F(b32), 5, "b32: letters" },
	{ "Ab-_+/=xyZ", 10, F(b32hex), 2, "b32hex: a b" },
	{ "a\000\377 ", 4, F(binary), 3, "binary bytes counted" },
	{ "a\000\377 ", 4, F(entropy_mbits), 2000, "entropy over bytes" },
	{ "x", 1, F(entropy_mbits), 0, "one byte: 0" },
	{ LABEL63, 63, F(entropy_mbits), 5977, "63 distinct bytes: log2(63)" },
	{ LABEL63, 63, F(len), 63, "length 63" },
};
#undef F

static void
test_labels(void)
{
	uint8_t b[MXG_NAME_WIRE_MAX];
	struct mxg_label_stats st;
	const uint8_t* p;
	size_t l, i;

	l = w("1.evil.example", b);
	is_int(mxg_names_numeric_prefix(b, l), 1, "1.evil.example numeric");
	l = w("0042.evil.example", b);
	is_int(mxg_names_numeric_prefix(b, l), 1, "0042 numeric");
	l = w("1a.evil.example", b);
	is_int(mxg_names_numeric_prefix(b, l), 0, "1a not numeric");
	l = w("evil.example", b);
	is_int(mxg_names_numeric_prefix(b, l), 0, "evil not numeric");
	l = w("123", b);
	is_int(mxg_names_numeric_prefix(b, l), 1, "single label 123");
	is_int(mxg_names_numeric_prefix((const uint8_t*)"\000", 1), 0,
		"root not numeric");
	is_int(mxg_names_numeric_prefix((const uint8_t*)"\0031", 2), 0,
		"truncated first label not numeric");
	l = w("mail.example", b);
	is_int(mxg_names_first_label(b, l, &p), 4, "first label length");
	ok(p == b + 1 && memcmp(p, "mail", 4) == 0, "first label bytes");

	for(i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++) {
		const struct stat_case* c = &stat_cases[i];
		mxg_names_label_stats((const uint8_t*)c->label, c->len, &st);
		is_int(*(const unsigned*)((const char*)&st + c->field), c->want,
			"%s", c->what);
	}
}

/** Names chosen to collide: with an unkeyed memo hash, a client can find
 * names that share one 2-way bucket and make every lookup a miss (a libpsl
 * call). With the memo's random key they land in different buckets. */
static void
test_memo_collide(void)
{
	struct mxg_basememo* m = mxg_names_memo_new(4096);
	uint8_t wire[4][MXG_NAME_WIRE_MAX];
	size_t len[4], found = 0, off, i;
	uint64_t want = 0, mask = 4096 / 2 - 1;
	char name[64];
	/* names of one length whose unkeyed hash picks the same bucket (the
	 * memo's bucket is hash & (buckets - 1), buckets = entries / 2) */
	for(i = 0; found < 4 && i < 10000000; i++) {
		uint8_t b[MXG_NAME_WIRE_MAX];
		size_t l;
		uint64_t h;
		snprintf(name, sizeof(name), "x%07zu.collide.example", i);
		l = w(name, b);
		h = mxg_names_hash(b, l);
		if(found == 0)
			want = h & mask;
		if((h & mask) != want)
			continue;
		memcpy(wire[found], b, l);
		len[found++] = l;
	}
	ok(found == 4, "4 names in one bucket of the unkeyed hash");
	for(i = 0; i < 400; i++)
		(void)mxg_names_memo_lookup(m, wire[i % 4], len[i % 4], &off);
	ok(mxg_names_memo_misses(m) <= 8, "400 lookups of 4 names chosen to "
		"collide: %llu misses (not one per lookup)",
		(unsigned long long)mxg_names_memo_misses(m));
	mxg_names_memo_free(m);
}

int
main(void)
{
	test_memo_collide();
	test_wire();
	test_hash();
	test_base();
	test_memo();
	test_labels();
	return done_testing();
}
