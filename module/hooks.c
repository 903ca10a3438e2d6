/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/hooks.c - MX lookups out of Unbound's structs, verdicts back in.
 */
/** \file
 * Where Unbound meets the engine. Every client MX lookup reaches one of two
 * paths (docs/design.md, "The path of a lookup"):
 * - a cache miss runs operate(): mxg_hooks_query() at module_event_new counts
 *   the lookup and may refuse it before any upstream query; in enforce mode
 *   it answers from the private answer cache; mxg_hooks_answer() at
 *   module_event_moddone judges the answer (staging shape, country), refuses
 *   or tags it, and stores it in the private cache;
 * - a cache hit reaches only the inplace_cb_reply_cache callback,
 *   mxg_hooks_cache_hit(), which counts, judges and tags (it cannot change the
 *   rcode; in enforce mode MX answers never enter Unbound's message cache);
 * - an answer from local-zone/local-data reaches only the
 *   inplace_cb_reply_local callback, also mxg_hooks_cache_hit(): counted,
 *   judged and tagged like a cache hit, never refused (Unbound fixes its
 *   rcode).
 * In enforce mode, mxg_hooks_upstream() sees every response the iterator
 * parses for an MX question: the one that answers the question gets a
 * message TTL of 0, which keeps the message (only it) out of Unbound's
 * message cache while its records, the referrals, DS and negative answers met
 * on the way are cached as usual (docs/design.md, "Refuse mode and the
 * caches").
 * Each lookup becomes one struct mxg_obs for the engine and one struct
 * mxg_event for the sink. Non-MX queries cost one type check. Internal
 * queries (prefetch, validator sub-queries: no reply_list) are not counted.
 */
#include "config.h"
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "util/module.h"
#include "util/log.h"
#include "util/netevent.h"
#include "util/regional.h"
#include "util/data/msgreply.h"
#include "util/net_help.h"
#include "util/data/packed_rrset.h"
#include "util/data/dname.h"
#include "services/mesh.h"
#include "services/cache/dns.h"
#include "util/config_file.h"
#include "sldns/rrdef.h"
#include "sldns/sbuffer.h"
#include "module/glue.h"
#include "module/anscache.h"
#include "module/compat.h"
#include "mxguard/conf.h"
#include "mxguard/engine.h"
#include "mxguard/geo.h"
#include "mxguard/shape.h"
#include "mxguard/sink.h"
#include "mxguard/log.h"


/** The parts of an answer the engine looks at, on the stack. */
struct answer_view {
	/** MX records */
	struct mxg_mx_rr mx[MXG_OBS_MAX_MX];
	/** A/AAAA of the MX hosts */
	struct mxg_addr_rr addrs[MXG_OBS_MAX_ADDR];
	/** countries of addrs (when the country rule needs them) */
	char countries[MXG_OBS_MAX_ADDR][3];
};

/** Copy a sockaddr into family + bytes. @return 0 if not IP. */
static int
addr_from_sa(const struct sockaddr_storage* ss, int* family, uint8_t* addr)
{
	if(ss->ss_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in*)ss)->sin_addr, 4);
		return 1;
	}
	if(ss->ss_family == AF_INET6) {
		*family = AF_INET6;
		memcpy(addr, &((const struct sockaddr_in6*)ss)->sin6_addr, 16);
		return 1;
	}
	return 0;
}

/** Fill obs with the MX records of rep. When every exchange is shorter
 * than an encoded label could be, it also gives the engine the shape bound
 * (mxg_shape_bound_count), which then need not walk their labels. Inline:
 * every MX cache hit reads its records here. */
static inline __attribute__((always_inline)) void
view_mx(const struct reply_info* rep, struct mxg_obs* obs,
	struct answer_view* av)
{
	size_t i, j, n = 0;
	int all_short = 1;
	obs->mx = av->mx;
	obs->addrs = av->addrs;
	obs->n_mx = obs->n_addrs = 0;
	if(!rep)
		return;
	obs->rcode = FLAGS_GET_RCODE(rep->flags);
	for(i = 0; i < rep->an_numrrsets; i++) {
		struct ub_packed_rrset_key* k = rep->rrsets[i];
		struct packed_rrset_data* d;
		if(ntohs(k->rk.type) != LDNS_RR_TYPE_MX)
			continue;
		d = (struct packed_rrset_data*)k->entry.data;
		for(j = 0; j < d->count && n < MXG_OBS_MAX_MX; j++) {
			/* rr_data: 2 bytes rdlength, 2 preference, name (the
			 * rest of the record: Unbound decompressed and checked
			 * it when it parsed the answer; the engine's readers
			 * of the name are bounded by exchange_len anyway) */
			uint8_t* rd = d->rr_data[j];
			size_t len = d->rr_len[j];
			if(len < 5)
				continue;
			av->mx[n].pref = sldns_read_uint16(rd + 2);
			av->mx[n].exchange = rd + 4;
			av->mx[n].exchange_len = len - 4;
			if(len - 4 >= MXG_SHAPE_ENC_MIN + 2)
				all_short = 0;
			n++;
		}
	}
	obs->n_mx = n;
	if(all_short) {
		obs->shape_bound = mxg_shape_bound_count(n);
		obs->shape_bound_known = 1;
	}
}

/** Is owner (wire format, len bytes) the exchange of one of obs's MX
 * records? Names compare without regard to ASCII case. The additional
 * section mostly follows the order of the MX records: the search starts
 * at *cur, the exchange the last owner was, and leaves the match there. */
static int
is_exchange(const struct mxg_obs* obs, const uint8_t* owner, size_t len,
	size_t* cur)
{
	size_t i, e = *cur;
	for(i = 0; i < obs->n_mx; i++, e++) {
		const struct mxg_mx_rr* m;
		if(e >= obs->n_mx)
			e = 0;
		m = &obs->mx[e];
		if(m->exchange_len == len && (memcmp(m->exchange, owner,
			len) == 0 || query_dname_compare((uint8_t*)m->exchange,
			(uint8_t*)owner) == 0)) {
			*cur = e;
			return 1;
		}
	}
	return 0;
}

/** The MX host addresses of rep: the A and AAAA records of its additional
 * section whose owner is an exchange of obs's MX records (view_mx() first;
 * a name server's glue is not an MX host): as many as the event carries,
 * more only when the country rule needs them inline. Stored in addrs
 * unless it is NULL: then a count of every A and AAAA record, an upper
 * bound (obs is not read).
 * @return their number. */
static size_t
read_addrs(const struct mxg_env* env, const struct reply_info* rep,
	const struct mxg_obs* obs, struct mxg_addr_rr* addrs)
{
	size_t i, j, n = 0, cur = 0, amax = env->geo_inline ?
		MXG_OBS_MAX_ADDR : MXG_EVENT_MAX_ADDR;
	for(i = rep->an_numrrsets + rep->ns_numrrsets; i < rep->rrset_count &&
		n < amax; i++) {
		const struct ub_packed_rrset_key* k = rep->rrsets[i];
		const struct packed_rrset_data* d;
		size_t cnt;
		int v4 = k->rk.type == htons(LDNS_RR_TYPE_A);
		if(!v4 && k->rk.type != htons(LDNS_RR_TYPE_AAAA))
			continue;
		d = (const struct packed_rrset_data*)k->entry.data;
		cnt = d->count;
		if(cnt > amax - n)
			cnt = amax - n;
		if(!addrs) {	/* a count: an upper bound (a record of
				 * another length or owner counts too) */
			n += cnt;
			continue;
		}
		if(!is_exchange(obs, k->rk.dname, k->rk.dname_len, &cur))
			continue;
		for(j = 0; j < cnt; j++) {
			struct mxg_addr_rr* a = &addrs[n];
			if(d->rr_len[j] != (v4 ? 2 + 4 : 2 + 16))
				continue;
			if(v4)	/* fixed-size copies: no call */
				memcpy(a->addr, d->rr_data[j] + 2, 4);
			else
				memcpy(a->addr, d->rr_data[j] + 2, 16);
			a->family = v4 ? AF_INET : AF_INET6;
			a->owner = k->rk.dname;
			a->owner_len = k->rk.dname_len;
			n++;
		}
	}
	return n;
}

/** Is rep's set of addresses in the answer memo (mxg_geo_set_*)? The set
 * is every A and AAAA record of its additional section, in their order,
 * whatever their owner: a set is remembered only when each of them is an
 * MX host's and none is in a denied country (cache_hit_mx()), so a set
 * found there has no denied MX host, whichever of its addresses are MX
 * hosts in this answer. One multiply per address: what a cache hit pays
 * for the country rule when the answer is in the memo.
 * @param key: its key, for mxg_geo_set_remember().
 * @param np: the number of addresses in the set. */
static int
addrs_known(const struct mxg_env* env, const struct reply_info* rep,
	uint64_t* key, size_t* np)
{
	struct ub_packed_rrset_key* const* rr = rep->rrsets;
	size_t i, j, n = 0, end = rep->rrset_count;
	uint64_t h = mxg_geo_set_start(&env->geo_sets);
	for(i = rep->an_numrrsets + rep->ns_numrrsets; i < end; i++) {
		const struct ub_packed_rrset_key* k = rr[i];
		const struct packed_rrset_data* d =
			(const struct packed_rrset_data*)k->entry.data;
		size_t cnt = d->count;
		if(k->rk.type == htons(LDNS_RR_TYPE_A)) {
			for(j = 0; j < cnt; j++) {
				uint32_t w;
				if(d->rr_len[j] != 2 + 4)
					continue;
				memcpy(&w, d->rr_data[j] + 2, 4);
				h = mxg_geo_set_add4(&env->geo_sets, h, w);
				n++;
			}
		} else if(k->rk.type == htons(LDNS_RR_TYPE_AAAA)) {
			for(j = 0; j < cnt; j++) {
				uint64_t lo, hi;
				if(d->rr_len[j] != 2 + 16)
					continue;
				memcpy(&lo, d->rr_data[j] + 2, 8);
				memcpy(&hi, d->rr_data[j] + 10, 8);
				h = mxg_geo_set_add6(&env->geo_sets, h, lo,
					hi);
				n++;
			}
		}
	}
	*key = h;
	*np = n;
	return mxg_geo_set_known(&env->geo_sets, key, n);
}

/** Fill obs with the MX host addresses of rep and, for the country rule,
 * their countries. The engine reads only the countries; the addresses are
 * for the event. */
static void
view_addrs(struct mxg_env* env, const struct reply_info* rep,
	struct mxg_obs* obs, struct answer_view* av)
{
	size_t i;
	obs->addrs = av->addrs;
	obs->n_addrs = 0;
	if(!rep)
		return;
	obs->n_addrs = read_addrs(env, rep, obs, av->addrs);
	if(env->geo_inline) {
		for(i = 0; i < obs->n_addrs; i++)
			mxg_geo_country(env->geo, av->addrs[i].family,
				av->addrs[i].addr, av->countries[i]);
		obs->countries = (const char (*)[3])av->countries;
		obs->n_countries = obs->n_addrs;
	}
}

/** Fill obs with the MX records and MX host addresses of rep. */
static void
view_answer(struct mxg_env* env, const struct reply_info* rep,
	struct mxg_obs* obs, struct answer_view* av)
{
	view_mx(rep, obs, av);
	view_addrs(env, rep, obs, av);
}

/** What view_answer() reads out of an answer of the private cache, kept
 * with that answer (mxg_anscache_set_aux), so that its lookups read it once.
 * Pointers point into that answer; the arrays follow the struct, each
 * sized to the answer. */
struct cached_view {
	/** rcode of the answer */
	int rcode;
	/** mxg_shape_bound() of mx */
	unsigned shape_bound;
	/** number of MX records, addresses and countries */
	size_t n_mx, n_addrs, n_countries;
	/** the addresses, n_addrs of them (after mx) */
	struct mxg_addr_rr* addrs;
	/** their countries when the country rule needs them, n_countries
	 * of them (after addrs) */
	char (*countries)[3];
	/** the MX records, n_mx of them */
	struct mxg_mx_rr mx[];
};

/** Bytes of a cached_view with these counts. */
static size_t
view_size(size_t n_mx, size_t n_addrs, size_t n_countries)
{
	return sizeof(struct cached_view) + n_mx * sizeof(struct mxg_mx_rr) +
		n_addrs * sizeof(struct mxg_addr_rr) + n_countries * 3;
}

void
mxg_hooks_view_free(void* cv)
{
	free(cv);
}

/** The view of a private-cache answer: attached to it by its first
 * lookup. @return the view, or NULL (no memory). */
static const struct cached_view*
cached_view(struct mxg_env* env, struct ac_copy* ref,
	const struct reply_info* rep)
{
	struct cached_view* cv = mxg_anscache_aux(ref), *won;
	struct answer_view av;
	struct mxg_obs o;
	if(cv)
		return cv;
	memset(&o, 0, sizeof(o));
	view_answer(env, rep, &o, &av);
	cv = malloc(view_size(o.n_mx, o.n_addrs, o.n_countries));
	if(!cv)
		return NULL;
	cv->rcode = o.rcode;
	cv->n_mx = o.n_mx;
	cv->n_addrs = o.n_addrs;
	cv->n_countries = o.n_countries;
	cv->addrs = (struct mxg_addr_rr*)(cv->mx + o.n_mx);
	cv->countries = (char (*)[3])(cv->addrs + o.n_addrs);
	memcpy(cv->mx, av.mx, o.n_mx * sizeof(struct mxg_mx_rr));
	memcpy(cv->addrs, av.addrs, o.n_addrs * sizeof(struct mxg_addr_rr));
	memcpy(cv->countries, av.countries, o.n_countries * 3);
	cv->shape_bound = mxg_shape_bound(cv->mx, cv->n_mx);
	won = mxg_anscache_set_aux(ref, cv);
	if(won != cv)
		free(cv);
	return won;
}

/** Point obs at a cached view. */
static void
use_view(struct mxg_obs* obs, const struct cached_view* cv)
{
	obs->rcode = cv->rcode;
	obs->mx = cv->mx;
	obs->n_mx = cv->n_mx;
	obs->addrs = cv->addrs;
	obs->n_addrs = cv->n_addrs;
	if(cv->n_countries) {
		obs->countries = (const char (*)[3])cv->countries;
		obs->n_countries = cv->n_countries;
	}
	obs->shape_bound = cv->shape_bound;
	obs->shape_bound_known = 1;
}

/** Log one lookup at verbosity 3 (query): what the module observed. */
static void
log_lookup(const struct mxg_event* ev)
{
	char name[MXG_NAME_TEXT_MAX], client[INET6_ADDRSTRLEN];
	if(!mxg_jsonlog_name_text(name, sizeof(name), ev->qname,
		ev->qname_len, 0))
		snprintf(name, sizeof(name), "?");
	if(!inet_ntop(ev->client_family, ev->client_addr, client,
		sizeof(client)))
		snprintf(client, sizeof(client), "?");
	verbose(VERB_QUERY, "mxguard: MX lookup client=%s qname=%s %s%s "
		"rcode=%d action=%s rule=%s", client, name,
		(ev->flags & MXG_EV_CACHED) ? "cache-hit" : "cache-miss",
		(ev->flags & MXG_EV_TCP) ? " tcp" : "", ev->rcode == MXG_RCODE_UNKNOWN ? -1 :
		(int)ev->rcode, mxg_action_name((enum mxg_action)ev->action),
		ev->rule < MXG_RULE_COUNT ?
		mxg_rule_name((enum mxg_rule_id)ev->rule) : "-");
}

/** Make and queue the event of one lookup (emit() decided that it may
 * have a consumer). The event is built in its queue slot. */
static __attribute__((noinline)) void
emit_event(struct mxg_env* env, struct mxg_obs* obs,
	const struct mxg_verdict* v, int rcode, int flags, uint64_t now_ms,
	const struct reply_info* lazy_rep, struct answer_view* av)
{
	struct mxg_event local, *ev = NULL;
	size_t i, n, pos = 0, rlen;
	/* log limits: per client, a share kept for refuse and tag, one
	 * "blocked" line per block (include/mxguard/loglimit.h) */
	int logit = (v->action != MXG_ACT_PASS || env->cfg->log_lookups) &&
		mxg_sink_log_allow(env->sink, obs->client_family,
		obs->client_addr, v->action == MXG_ACT_REFUSE ||
		v->action == MXG_ACT_TAG || v->would_refuse,
		v->rule == MXG_RULE_BLOCKED, now_ms);
	/* without Redis, an event nobody logs has no consumer: do not build
	 * it, queue it or wake the thread for it. Else it is built in its
	 * queue slot, or (verbose: its line is logged before the event is
	 * handed over, so that the thread never waits on a slot for it)
	 * here and then copied */
	if(verbosity >= VERB_QUERY)
		ev = &local;
	else if(logit || env->redis)
		ev = mxg_sink_reserve(env->sink, &pos);	/* NULL: full */
	if(!ev)
		return;
	/* the MX host addresses: for the JSON line and the alert stream,
	 * and for the countries and ASNs the thread writes to Redis (with
	 * GeoIP); an event that only counts does without them */
	if(lazy_rep && (logit || env->geo || v->action != MXG_ACT_PASS ||
		v->would_refuse)) {
		obs->addrs = av->addrs;
		obs->n_addrs = read_addrs(env, lazy_rep, obs, av->addrs);
	} else if(lazy_rep) {
		obs->n_addrs = 0;
	}
	ev->time_ms = now_ms;
	ev->client_family = (uint8_t)obs->client_family;
	memcpy(ev->client_addr, obs->client_addr, 16);
	ev->qname_len = (uint8_t)(obs->qname_len > 255 ? 255 :
		obs->qname_len);
	memcpy(ev->qname, obs->qname, ev->qname_len);
	ev->base_off = (uint8_t)(v->base_off < ev->qname_len ? v->base_off :
		0);
	ev->qtype = obs->qtype;
	ev->rcode = (uint8_t)(rcode < 0 ? MXG_RCODE_UNKNOWN : rcode);
	ev->action = (uint8_t)v->action;
	ev->rule = (uint8_t)v->rule;
	ev->n_mx = (uint16_t)obs->n_mx;
	ev->shape_score = (uint8_t)(v->shape_score > 255 ? 255 :
		v->shape_score);
	n = obs->n_addrs < MXG_EVENT_MAX_ADDR ? obs->n_addrs :
		MXG_EVENT_MAX_ADDR;
	for(i = 0; i < n; i++) {
		ev->mx_family[i] = (uint8_t)obs->addrs[i].family;
		memcpy(ev->mx_addr[i], obs->addrs[i].addr, 16);
	}
	ev->n_addr = (uint8_t)n;
	ev->upstream_family = (uint8_t)obs->upstream_family;
	memcpy(ev->upstream_addr, obs->upstream_addr, 16);
	if(v->is_relay)
		flags |= MXG_EV_RELAY;
	if(obs->tcp)
		flags |= MXG_EV_TCP;
	if(v->would_refuse)
		flags |= MXG_EV_WOULD_REFUSE;
	if(v->retry)
		flags |= MXG_EV_RETRY;
	if(logit)
		flags |= MXG_EV_LOG;
	ev->flags = (uint8_t)flags;
	/* the reason up to its end (a passing lookup's is empty) */
	rlen = v->reason[0] ? strnlen(v->reason, sizeof(ev->reason) - 1) : 0;
	if(rlen)
		memcpy(ev->reason, v->reason, rlen);
	ev->reason[rlen] = 0;
	if(ev == &local) {
		log_lookup(ev);
		if(logit || env->redis)
			mxg_sink_push(env->sink, ev);
	} else {
		mxg_sink_commit(env->sink, pos);
	}
}

/** Make and queue the event of one lookup. With lazy_rep (a cache hit
 * whose addresses were not needed by the engine) the MX host addresses are
 * read from it into av only when the event is built. A lookup that passes,
 * without lookups logged, Redis or verbosity 3, has no consumer: this
 * check is inline, so that such a lookup (a relay's, as a rule) does not
 * pay for the call. */
static inline void
emit(struct mxg_env* env, struct mxg_obs* obs,
	const struct mxg_verdict* v, int rcode, int flags, uint64_t now_ms,
	const struct reply_info* lazy_rep, struct answer_view* av)
{
	if(v->action == MXG_ACT_PASS && !env->cfg->log_lookups &&
		!env->redis && verbosity < VERB_QUERY)
		return;
	emit_event(env, obs, v, rcode, flags, now_ms, lazy_rep, av);
}

/** Text for the EDE option of a verdict: the rule name, and with
 * `ede-text: full` the reason (thresholds and counts, which tell a client
 * how far it may go: off by default; the logs always have them). */
static void
ede_text(const struct mxg_env* env, const struct mxg_verdict* v, char* buf,
	size_t len)
{
	const char* rule = mxg_rule_name(v->rule) ? mxg_rule_name(v->rule)
		: "?";
	if(env->cfg->ede_full)
		snprintf(buf, len, "mxguard %s: %s", rule, v->reason);
	else	snprintf(buf, len, "mxguard %s", rule);
}

/** Merge an answer verdict into the query verdict: the stronger action
 * wins; at the same action a specific rule beats non-relay, which only says
 * that the client is not a relay. */
static void
merge(struct mxg_verdict* into, const struct mxg_verdict* av)
{
	unsigned score = av->shape_score;
	if(av->action > into->action || (av->action == into->action &&
		av->rule != MXG_RULE_COUNT && (into->rule == MXG_RULE_COUNT ||
		into->rule == MXG_RULE_NON_RELAY))) {
		size_t base = into->base_off;
		int retry = into->retry;
		*into = *av;
		if(!into->base_off)
			into->base_off = base;
		/* only the query's observation counts, so only it knows */
		into->retry = retry;
	}
	into->shape_score = score;
}

/** Time of the query in milliseconds. */
static uint64_t
qstate_ms(struct module_qstate* qstate)
{
	struct timeval* tv = qstate->env->now_tv;
	return (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
}

/** Refuse the query: REFUSED plus EDE 18 with the rule's text. */
static void
refuse(const struct mxg_env* env, struct module_qstate* qstate,
	const struct mxg_verdict* v)
{
	char txt[MXG_REASON_MAX + 64];
	ede_text(env, v, txt, sizeof(txt));
	qstate->return_msg = NULL;
	qstate->return_rcode = LDNS_RCODE_REFUSED;
	edns_opt_list_append_ede(&qstate->edns_opts_front_out, qstate->region,
		LDNS_EDE_PROHIBITED, txt);
}

/** Tag the answer: EDE 0 (Other) with the rule's text. */
static void
tag(const struct mxg_env* env, struct edns_option** list,
	struct regional* region, const struct mxg_verdict* v)
{
	char txt[MXG_REASON_MAX + 64];
	ede_text(env, v, txt, sizeof(txt));
	edns_opt_list_append_ede(list, region, LDNS_EDE_OTHER, txt);
}

/** Is this response the answer to its question (an answer, NXDOMAIN or
 * NODATA), not a referral? */
static int
answers_question(const struct reply_info* rep)
{
	size_t i;
	int rcode = FLAGS_GET_RCODE(rep->flags);
	if(rcode == LDNS_RCODE_NXDOMAIN)
		return 1;
	if(rcode != LDNS_RCODE_NOERROR)
		return 0;
	if(rep->an_numrrsets > 0)
		return 1;
	for(i = 0; i < rep->ns_numrrsets; i++)
		if(ntohs(rep->rrsets[i]->rk.type) == LDNS_RR_TYPE_SOA)
			return 1;	/* NODATA */
	return 0;
}

/** Does the answer in rep answer qinfo: the owner of its first answer
 * RRset is the question's name, of its type or a CNAME, or it is a negative
 * answer? */
static int
answer_matches(const struct query_info* q, const struct reply_info* rep)
{
	struct ub_packed_rrset_key* k;
	uint16_t t;
	if(!answers_question(rep))
		return 0;
	if(rep->an_numrrsets == 0)
		return 1;
	k = rep->rrsets[0];
	t = ntohs(k->rk.type);
	return (t == q->qtype || t == LDNS_RR_TYPE_CNAME ||
		t == LDNS_RR_TYPE_DNAME) &&
		(t == LDNS_RR_TYPE_DNAME || query_dname_compare(k->rk.dname,
		q->qname) == 0);
}

/** Did the client or the authority use EDNS Client Subnet on this query?
 * Such an answer may be tailored to the client's network (subnetcache) and
 * is not shared through the private cache. Only asked when a module of the
 * chain may use the option (env->check_ecs): otherwise no answer is
 * tailored, whatever the client sent. */
static int
uses_ecs(struct mxg_env* env, struct module_qstate* qstate)
{
	uint16_t code = LDNS_EDNS_CLIENT_SUBNET;
	if(!env->check_ecs)
		return 0;
#ifdef CLIENT_SUBNET
	code = (uint16_t)qstate->env->cfg->client_subnet_opcode;
#endif
	return edns_opt_list_find(qstate->edns_opts_front_in, code) ||
		edns_opt_list_find(qstate->edns_opts_back_in, code) ||
		edns_opt_list_find(qstate->edns_opts_back_out, code);
}

int
mxg_hooks_upstream(struct module_qstate* qstate, struct dns_msg* response,
	int id, void* cb_arg)
{
	struct mxg_env* env = (struct mxg_env*)cb_arg;
	(void)id;
	if(!response || !response->rep || !env || !env->enforce ||
		response->qinfo.qtype != LDNS_RR_TYPE_MX ||
		response->qinfo.qclass != LDNS_RR_CLASS_IN ||
		!answers_question(response->rep))
		return 1;
	/* the answer to an MX question: Unbound stores an answer with TTL 0
	 * without the message (services/cache/dns.c, "TTL 0: dropped msg
	 * from cache") and its RRsets as usual; the client still gets the
	 * records' own TTLs, and the private cache keeps the answer */
	response->rep->ttl = 0;
	response->rep->prefetch_ttl = 0;
	response->rep->serve_expired_ttl = 0;
	(void)qstate;
	return 1;
}

/** Is this query a client MX lookup we judge? */
static int
is_client_mx(struct module_qstate* qstate)
{
	return qstate->qinfo.qtype == LDNS_RR_TYPE_MX &&
		qstate->qinfo.qclass == LDNS_RR_CLASS_IN &&
		!qstate->is_valrec && qstate->mesh_info &&
		qstate->mesh_info->reply_list;
}

/** Number of MX records in the answer section of rep. */
static size_t
count_mx(const struct reply_info* rep)
{
	size_t i, n = 0;
	for(i = 0; rep && i < rep->an_numrrsets; i++)
		if(ntohs(rep->rrsets[i]->rk.type) == LDNS_RR_TYPE_MX)
			n += ((struct packed_rrset_data*)rep->rrsets[i]->
				entry.data)->count;
	return n;
}

/** Store the answer of qstate in the private cache if it may serve other
 * clients: a recursive answer (never RD=0) to this very question, not
 * tailored to a client subnet (ECS), not bogus.
 * @param n_mx: MX records in rep (sizes the view kept with it). */
static void
keep_answer(struct mxg_env* env, struct module_qstate* qstate,
	struct reply_info* rep, size_t n_mx)
{
	size_t n_addrs;
	if(!rep || qstate->return_rcode != 0 ||
		!(qstate->query_flags & BIT_RD) ||
		rep->security == sec_status_bogus ||
		!answer_matches(&qstate->qinfo, rep) || uses_ecs(env, qstate))
		return;
	if(n_mx > MXG_OBS_MAX_MX)
		n_mx = MXG_OBS_MAX_MX;
	n_addrs = read_addrs(env, rep, NULL, NULL);
	mxg_anscache_store(env->cache, &qstate->qinfo,
		qstate->query_flags & BIT_CD, rep, *qstate->env->now,
		view_size(n_mx, n_addrs, env->geo_inline ? n_addrs : 0));
}

/** cachedb stores the answers it finds in its backend straight into the
 * message cache, past mxg_hooks_upstream(): take the MX message out again
 * before any other client can hit it. */
static void
evict_msg(struct mxg_env* env, struct module_qstate* qstate)
{
	if(env->evict_msg)
		msg_cache_remove(qstate->env, qstate->qinfo.qname,
			qstate->qinfo.qname_len, qstate->qinfo.qtype,
			qstate->qinfo.qclass, qstate->query_flags);
}

/** Did the resolution fail, a SERVFAIL or an answer that failed
 * validation (so that a stale answer may stand in, as Unbound's
 * serve-expired-client-timeout does)? */
static int
failed(struct module_qstate* qstate)
{
	return !qstate->return_msg || !qstate->return_msg->rep ||
		qstate->return_rcode == LDNS_RCODE_SERVFAIL ||
		qstate->return_msg->rep->security == sec_status_bogus ||
		FLAGS_GET_RCODE(qstate->return_msg->rep->flags) ==
		LDNS_RCODE_SERVFAIL;
}

/** Refresh the answer of qstate in the background: a detached query,
 * which the mesh merges with one already running, whose answer the private
 * cache stores at moddone (as Unbound's prefetch refreshes its cache). */
static void
refresh(struct module_qstate* qstate)
{
	if(!mxg_ub_add_detached(qstate, &qstate->qinfo,
		BIT_RD | (qstate->query_flags & BIT_CD)))
		verbose(VERB_ALGO, "mxguard: cannot start the refresh of an "
			"MX answer");
}

/** A stale answer of the private cache goes to the client: say so (EDE 3,
 * as Unbound does with ede-serve-expired) and, unless it stood in for a
 * failed resolution, refresh it, as Unbound's serve-expired does. */
static void
served_stale(struct module_qstate* qstate, struct mxg_qstate* mq)
{
	struct config_file* cfg = qstate->env->cfg;
	if(cfg->ede && cfg->ede_serve_expired)
		edns_opt_list_append_ede(&qstate->edns_opts_front_out,
			qstate->region, LDNS_EDE_STALE_ANSWER, "");
	if(!mq->stood_in)
		refresh(qstate);
}

/** Build a dns_msg in the query region around a cached reply. */
static struct dns_msg*
make_msg(struct module_qstate* qstate, struct reply_info* rep)
{
	struct dns_msg* m = regional_alloc(qstate->region, sizeof(*m));
	if(!m)
		return NULL;
	m->qinfo = qstate->qinfo;
	m->rep = rep;
	return m;
}

/** An observation of the query in qstate, from client mq, without answer. */
static void
obs_init(struct mxg_obs* obs, struct module_qstate* qstate,
	const struct mxg_qstate* mq, enum mxg_obs_stage stage)
{
	memset(obs, 0, sizeof(*obs));
	obs->stage = stage;
	obs->now = *qstate->env->now;
	obs->client_family = mq->client_family;
	memcpy(obs->client_addr, mq->client_addr, 16);
	obs->qname = qstate->qinfo.qname;
	obs->qname_len = qstate->qinfo.qname_len;
	obs->qtype = qstate->qinfo.qtype;
	obs->qclass = qstate->qinfo.qclass;
	obs->tcp = mq->tcp;
}

void
mxg_hooks_query(struct mxg_env* env, struct module_qstate* qstate, int id)
{
	struct mxg_qstate* mq;
	struct mesh_reply* r;
	struct mxg_obs obs;
	struct reply_info* rep;
	enum mxg_ac_state state = MXG_AC_FRESH;
	qstate->ext_state[id] = module_wait_module;
	if(env->passthrough || qstate->minfo[id] || !is_client_mx(qstate))
		return;
	r = qstate->mesh_info->reply_list;
	/* not zeroed as a whole: the verdict (most of it) is written by the
	 * engine before it is read */
	mq = regional_alloc(qstate->region, sizeof(*mq));
	if(!mq)
		return;
	memset(&mq->client_family, 0, sizeof(*mq) -
		offsetof(struct mxg_qstate, client_family));
	if(!addr_from_sa(&r->query_reply.client_addr, &mq->client_family,
		mq->client_addr))
		return;
	mq->tcp = r->query_reply.c && r->query_reply.c->type != comm_udp;
	qstate->minfo[id] = mq;
	atomic_fetch_add_explicit(&env->n_lookups, 1, memory_order_relaxed);

	if(env->cache && !uses_ecs(env, qstate) &&
		(rep = mxg_anscache_lookup(env->cache,
		&qstate->qinfo, qstate->query_flags & BIT_CD,
		*qstate->env->now, &mq->ac_ref,
		env->serve_stale, &state)) != NULL) {
		struct dns_msg* m;
		if(state == MXG_AC_STALE && env->stale_wait) {
			/* serve-expired-client-timeout: resolve first, the
			 * stale answer stands in if that fails */
			mq->stale_ref = mq->ac_ref;
			mq->stale_rep = rep;
			mq->ac_ref = NULL;
		} else if((m = make_msg(qstate, rep)) != NULL) {
			/* answered from the private cache: one observation
			 * counts the lookup and judges the answer, as for a
			 * cache hit */
			qstate->return_msg = m;
			qstate->return_rcode = LDNS_RCODE_NOERROR;
			mq->from_cache = 1;
			mq->stale = state == MXG_AC_STALE;
			mq->prefetch = state == MXG_AC_PREFETCH &&
				env->prefetch;
			mxg_hooks_answer(env, qstate, id);
			return;
		} else {
			/* no memory: the query goes upstream */
			mxg_anscache_release(mq->ac_ref);
			mq->ac_ref = NULL;
		}
	}
	obs_init(&obs, qstate, mq, MXG_OBS_QUERY);
	obs.rcode = -1;
	mxg_engine_observe(env->engine, &obs, &mq->qv);
	mxg_log_verbose(4, "query verdict %s rule %s",
		mxg_action_name(mq->qv.action),
		mq->qv.rule < MXG_RULE_COUNT ? mxg_rule_name(mq->qv.rule) : "-");

	if(mq->qv.action == MXG_ACT_REFUSE) {
		refuse(env, qstate, &mq->qv);
		atomic_fetch_add_explicit(&env->n_refused, 1, memory_order_relaxed);
		emit(env, &obs, &mq->qv, LDNS_RCODE_REFUSED, 0,
			qstate_ms(qstate), NULL, NULL);
		qstate->ext_state[id] = module_finished;
		return;
	}
}

void
mxg_hooks_answer(struct mxg_env* env, struct module_qstate* qstate, int id)
{
	struct mxg_qstate* mq = (struct mxg_qstate*)qstate->minfo[id];
	struct mxg_obs obs;
	struct answer_view av;
	const struct cached_view* cv;
	struct mxg_verdict v;
	struct reply_info* rep;
	int rcode, flags = 0;
	qstate->ext_state[id] = module_finished;
	if(env->passthrough)
		return;
	if(!mq) {
		/* a refresh or prefetch: no client, but its answer is the
		 * next client's */
		if(env->cache && qstate->qinfo.qtype == LDNS_RR_TYPE_MX &&
			qstate->qinfo.qclass == LDNS_RR_CLASS_IN &&
			!qstate->is_valrec) {
			if(qstate->return_msg)
				keep_answer(env, qstate,
					qstate->return_msg->rep,
					count_mx(qstate->return_msg->rep));
			evict_msg(env, qstate);
		}
		return;
	}
	if(mq->stale_ref && failed(qstate)) {
		struct dns_msg* m = make_msg(qstate, mq->stale_rep);
		if(m) {
			qstate->return_msg = m;
			qstate->return_rcode = LDNS_RCODE_NOERROR;
			qstate->return_msg->rep = mq->stale_rep;
			mq->from_cache = 1;
			mq->stale = 1;
			mq->stood_in = 1;
			mq->ac_ref = mq->stale_ref;
			mq->stale_ref = NULL;
		}
	}
	rep = qstate->return_msg ? qstate->return_msg->rep : NULL;
	obs_init(&obs, qstate, mq, mq->from_cache ? MXG_OBS_CACHED :
		MXG_OBS_ANSWER);
	obs.rcode = rep ? FLAGS_GET_RCODE(rep->flags) : qstate->return_rcode;
	if(mq->from_cache && mq->ac_ref && rep &&
		(cv = cached_view(env, mq->ac_ref, rep)))
		use_view(&obs, cv);
	else
		view_answer(env, rep, &obs, &av);
	if(qstate->reply_origin && qstate->reply_origin->len > 0)
		addr_from_sa(&qstate->reply_origin->addr,
			&obs.upstream_family, obs.upstream_addr);
	if(mq->from_cache) {
		/* the only observation of this lookup */
		mxg_engine_observe(env->engine, &obs, &mq->qv);
	} else {
		mxg_engine_observe(env->engine, &obs, &v);
		merge(&mq->qv, &v);
	}
	rcode = qstate->return_rcode ? qstate->return_rcode : obs.rcode;

	/* keep the answer for the next client before acting on this one */
	if(env->cache && !mq->from_cache && rep)
		keep_answer(env, qstate, rep, obs.n_mx);

	if(!mq->from_cache)
		evict_msg(env, qstate);

	if(mq->qv.action == MXG_ACT_REFUSE) {
		refuse(env, qstate, &mq->qv);
		rcode = LDNS_RCODE_REFUSED;
		atomic_fetch_add_explicit(&env->n_refused, 1, memory_order_relaxed);
	} else {
		if(mq->qv.action == MXG_ACT_TAG) {
			tag(env, &qstate->edns_opts_front_out,
				qstate->region, &mq->qv);
			atomic_fetch_add_explicit(&env->n_tagged, 1,
				memory_order_relaxed);
		}
		if(mq->stale)
			served_stale(qstate, mq);
		else if(mq->prefetch)
			refresh(qstate);
	}
	if(mq->from_cache)
		flags |= MXG_EV_CACHED;
	emit(env, &obs, &mq->qv, rcode, flags, qstate_ms(qstate), NULL, NULL);
}

/** An MX cache hit or local answer: count, judge, tag. Out of line, so
 * that the other cache hits do not pay for its stack frame. */
static __attribute__((noinline)) void
cache_hit_mx(struct query_info* qinfo, struct reply_info* rep, int rcode,
	struct edns_option** opt_list_out, struct comm_reply* repinfo,
	struct regional* region, struct timeval* start_time,
	struct mxg_env* env)
{
	struct mxg_obs obs;
	struct answer_view av;
	struct mxg_verdict v;
	uint64_t now_ms, akey;
	const struct reply_info* lazy = rep;
	if(!env || env->passthrough || !repinfo ||
		qinfo->qclass != LDNS_RR_CLASS_IN)
		return;
	/* every field is set here or by view_mx() (cheaper than a memset
	 * of the whole observation) */
	memset(obs.client_addr, 0, sizeof(obs.client_addr));
	if(!addr_from_sa(&repinfo->client_addr, &obs.client_family,
		obs.client_addr))
		return;
	obs.upstream_family = 0;
	memset(obs.upstream_addr, 0, sizeof(obs.upstream_addr));
	obs.countries = NULL;
	obs.n_countries = 0;
	obs.shape_bound_known = 0;
	obs.shape_bound = 0;
	atomic_fetch_add_explicit(&env->n_lookups, 1, memory_order_relaxed);
	if(start_time) {
		/* Unbound's clock (testbound's starts at 0): the same as
		 * *env->now that the mesh paths use */
		obs.now = start_time->tv_sec;
		now_ms = (uint64_t)start_time->tv_sec * 1000 +
			(uint64_t)start_time->tv_usec / 1000;
	} else {
		obs.now = time(NULL);
		now_ms = (uint64_t)obs.now * 1000;
	}
	obs.stage = MXG_OBS_CACHED;
	obs.qname = qinfo->qname;
	obs.qname_len = qinfo->qname_len;
	obs.qtype = qinfo->qtype;
	obs.qclass = qinfo->qclass;
	obs.rcode = rcode;
	obs.tcp = repinfo->c && repinfo->c->type != comm_udp;
	/* the engine needs the addresses only for the country rule, and not
	 * for an answer the memo knows has no host in a denied country;
	 * else emit() reads them when it builds an event */
	view_mx(rep, &obs, &av);
	if(env->geo_inline && rep) {	/* (local data: no rep) */
		size_t nset;
		if(!addrs_known(env, rep, &akey, &nset)) {
			uint64_t errs = mxg_geo_errors(env->geo);
			view_addrs(env, rep, &obs, &av);
			/* remembered when every address of the set is an MX
			 * host's (no glue, none past MXG_OBS_MAX_ADDR) and
			 * judged clean with no database error */
			if(obs.n_addrs == nset &&
				!mxg_engine_country_denied(env->engine, &obs) &&
				mxg_geo_errors(env->geo) == errs)
				mxg_geo_set_remember(&env->geo_sets, akey);
			lazy = NULL;
		}
	}
	mxg_engine_observe(env->engine, &obs, &v);
	if(v.action >= MXG_ACT_TAG && opt_list_out && region) {
		/* a cache hit or local answer cannot be refused (the
		 * rcode is fixed): REFUSE here happens for local data and
		 * for chains docs/building.md calls unsafe; say what would
		 * have happened */
		tag(env, opt_list_out, region, &v);
		atomic_fetch_add_explicit(&env->n_tagged, 1, memory_order_relaxed);
	}
	emit(env, &obs, &v, obs.rcode, MXG_EV_CACHED, now_ms, lazy, &av);
}

int
mxg_hooks_cache_hit(struct query_info* qinfo, struct module_qstate* qstate,
	struct reply_info* rep, int rcode, struct edns_data* edns,
	struct edns_option** opt_list_out, struct comm_reply* repinfo,
	struct regional* region, struct timeval* start_time, int id,
	void* cb_arg)
{
	/* the one check every cached or local answer pays (qinfo is NULL
	 * for CHAOS id.server and version.bind) */
	if(qinfo && qinfo->qtype == LDNS_RR_TYPE_MX)
		cache_hit_mx(qinfo, rep, rcode, opt_list_out, repinfo, region,
			start_time, (struct mxg_env*)cb_arg);
	return 1;
}
