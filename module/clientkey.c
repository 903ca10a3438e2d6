/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/clientkey.c - masks, text and parsing of a client.
 */
/** \file
 * The parts of include/mxguard/clientkey.h that are not on the query path:
 * building the masks from the prefix lengths, the text of a client for keys
 * and logs, and parsing a client written by a person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "mxguard/clientkey.h"
#include "mxguard/mxguard.h"

/** Fill n bytes of mask with bits leading ones. */
static void
mask_bytes(uint8_t* m, int n, int bits)
{
	int i;
	for(i = 0; i < n; i++, bits -= 8)
		m[i] = bits >= 8 ? 0xff : bits > 0 ?
			(uint8_t)(0xff << (8 - bits)) : 0;
}

void
mxg_client_mask_init(struct mxg_client_mask* m, int prefix_v4, int prefix_v6)
{
	uint8_t b[16];
	m->p4 = prefix_v4 < 0 ? 0 : prefix_v4 > 32 ? 32 : prefix_v4;
	m->p6 = prefix_v6 < 0 ? 0 : prefix_v6 > 128 ? 128 : prefix_v6;
	mask_bytes(b, 16, m->p6);
	memcpy(m->m6, b, 16);
	mask_bytes(b, 4, m->p4);
	memcpy(&m->m4, b, 4);
}

size_t
mxg_client_text(const struct mxg_client* k, char* buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int n;
	if(!inet_ntop(k->family, k->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if(k->plen < (k->family == AF_INET ? 32 : 128))
		n = snprintf(buf, len, "%s/%d", a, k->plen);
	else	n = snprintf(buf, len, "%s", a);
	return mxg_fit(buf, len, n);
}

int
mxg_client_parse(struct mxg_client* k, const struct mxg_client_mask* m,
	const char* text)
{
	char a[INET6_ADDRSTRLEN + 8], *slash, *end;
	uint8_t b[16];
	struct mxg_client_mask own;
	int fam, len = -1;
	if(strlen(text) >= sizeof(a))
		return 0;
	snprintf(a, sizeof(a), "%s", text);
	if((slash = strchr(a, '/')) != NULL) {
		*slash = 0;
		len = (int)strtol(slash + 1, &end, 10);
		if(!slash[1] || *end || len < 0)
			return 0;
	}
	memset(b, 0, sizeof(b));
	if(inet_pton(AF_INET, a, b) == 1)
		fam = AF_INET;
	else if(inet_pton(AF_INET6, a, b) == 1)
		fam = AF_INET6;
	else	return 0;
	if(len > (fam == AF_INET ? 32 : 128))
		return 0;
	if(len >= 0) {
		/* as written; ::ffff:a.b.c.d/len is a.b.c.d/(len - 96) */
		static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0,
			0,0,0xff,0xff };
		int v4len = len;
		if(fam == AF_INET6 && memcmp(b, mapped, 12) == 0) {
			if(len < 96)
				return 0;
			v4len = len - 96;
		}
		mxg_client_mask_init(&own, v4len, len);
		m = &own;
	}
	mxg_client_key(k, m, fam, b);
	return 1;
}
