/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/engine_reason.c - the text of a verdict.
 */
/** \file
 * The reason a verdict gives (the JSON log's Reason, the EDE text): the
 * rule, the client, the counts against the thresholds and the window, as
 * bounded lines. Called only when a rule fires. See module/engine_int.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "mxguard/allowlist.h"
#include "mxguard/blocks.h"
#include "mxguard/clientkey.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/hash.h"
#include "mxguard/names.h"
#include "mxguard/shape.h"
#include "mxguard/window.h"
#include "engine_int.h"

/** snprintf that may truncate on purpose (reasons are bounded lines). */
static void
textf(char* buf, size_t len, const char* fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
textf(char* buf, size_t len, const char* fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/** Duration as the seed writes it: "60s", "10m", "1h". */
static void
dur_text(uint32_t s, char* buf, size_t len)
{
	if(s >= 3600 && s % 3600 == 0)
		snprintf(buf, len, "%uh", s / 3600);
	else if(s > 60 && s % 60 == 0)
		snprintf(buf, len, "%um", s / 60);
	else	snprintf(buf, len, "%us", s);
}

/** Client as text: the address, with /len when aggregated. */
static void
client_text(const struct feat* f, char* buf, size_t len)
{
	struct mxg_client k;
	k.family = f->fam;
	k.plen = f->plen;
	memcpy(k.addr, f->addr, 16);
	(void)mxg_client_text(&k, buf, len);
}

/** Write the reason of the winning candidate. */
void
engine_reason(const struct mxg_engine* e, const struct mxg_obs* obs,
	const struct feat* f, const struct cand* c, const char* samples,
	struct mxg_verdict* v)
{
	char cl[INET6_ADDRSTRLEN + 8], base[MXG_NAME_TEXT_MAX], per[16];
	char qn[MXG_NAME_TEXT_MAX];
	size_t n;
	client_text(f, cl, sizeof(cl));
	if(mxg_names_to_str(obs->qname + f->base_off, obs->qname_len -
		f->base_off, base, sizeof(base)) != MXG_NAME_OK)
		snprintf(base, sizeof(base), "?");
	if(c->rule < MXG_RULE_BLOCKED)
		dur_text(e->period[c->rule], per, sizeof(per));
	switch(c->rule) {
	case MXG_RULE_NON_RELAY:
		textf(v->reason, sizeof(v->reason), "client %s, not a mail "
			"relay, looked up MX of %s (%u lookups in %s)", cl,
			base, c->n1, per);
		break;
	case MXG_RULE_VOLUME:
		textf(v->reason, sizeof(v->reason), "client %s made %u MX "
			"lookups in %s%s", cl, c->n1, per, f->fleet ?
			" across the fleet" : "");
		break;
	case MXG_RULE_FANOUT:
		textf(v->reason, sizeof(v->reason), "client %s looked up "
			"MX of %u base domains in %s", cl, c->n1, per);
		break;
	case MXG_RULE_STAGING_WINDOW:
		textf(v->reason, sizeof(v->reason), "client %s made %u MX "
			"lookups (%u numeric prefixes) for %s in %s; %u "
			"distinct prefixes, first seen %llds ago: %s", cl,
			c->n1, c->n2, base, per, c->n3,
			(long long)(obs->now - c->first), samples);
		break;
	case MXG_RULE_STAGING_SHAPE:
		textf(v->reason, sizeof(v->reason), "client %s got ", cl);
		n = strlen(v->reason);
		if(n < sizeof(v->reason))
			mxg_shape_explain(&f->shape, obs->qname,
				obs->qname_len, v->reason + n,
				sizeof(v->reason) - n);
		break;
	case MXG_RULE_COUNTRY:
		textf(v->reason, sizeof(v->reason), "client %s looked up "
			"MX of %s hosted in %s (deny-country)", cl, base,
			obs->countries[c->ci]);
		break;
	case MXG_RULE_STAGING_DRIP:
		n = mxg_names_to_str(obs->qname, obs->qname_len, qn,
			sizeof(qn)) == MXG_NAME_OK ? strlen(qn) : 0;
		if(n > 48)
			memcpy(qn + 45, "...", 4);
		textf(v->reason, sizeof(v->reason), "client %s got %u bytes "
			"of encoded labels in MX exchanges of %s in %s, %u in "
			"this answer for %s", cl, c->n1, base, per, c->n2,
			n ? qn : "?");
		break;
	case MXG_RULE_BLOCKED:
		if(c->orig == MXG_RULE_BLOCKED)
			/* set by the operator (mxg_engine_block) */
			textf(v->reason, sizeof(v->reason), "client %s "
				"blocked%s%s by the operator for %us more", cl,
				c->kind == MXG_WK_CLIENT ? "" : " for ",
				c->kind == MXG_WK_CLIENT ? "" : base, c->left);
		else if(c->kind == MXG_WK_CLIENT)
			textf(v->reason, sizeof(v->reason), "client %s "
				"blocked by rule %s for %us more", cl,
				mxg_rule_name(c->orig) ?
				mxg_rule_name(c->orig) : "?", c->left);
		else	textf(v->reason, sizeof(v->reason), "client %s "
				"blocked for %s by rule %s for %us more", cl,
				base, mxg_rule_name(c->orig) ?
				mxg_rule_name(c->orig) : "?", c->left);
		break;
	default:
		v->reason[0] = 0;
	}
}

