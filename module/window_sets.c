/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/window_sets.c - the distinct sets and sample names of an entry.
 */
/** \file
 * What an entry of the window table remembers by value rather than by
 * count: its distinct sets (mxg_window_distinct: a client's fanout, the
 * distinct prefixes of a client's names under one base domain) and its
 * sample names (mxg_window_sample*: the names an alert shows). A file of
 * its own because these are searches and copies inside one entry whose
 * shard the caller holds locked: they never allocate, evict or touch the
 * shard. module/window.c keeps the table and the counters;
 * module/window_int.h has the layout both files read.
 */
#include <stdint.h>
#include <string.h>
#include "window_int.h"

/** The distinct set number set of an entry, with its capacity and period. */
static inline struct wdset*
get_dset(struct mxg_window* w, struct wentry* e, int set, uint32_t* cap,
	uint32_t* period)
{
	const struct klayout* l = &w->k[e->kind];
	if(set == 0 && l->c.distinct) {
		*cap = l->c.distinct;
		*period = l->c.distinct_period;
		return (struct wdset*)((uint8_t*)e->data + l->dist_off);
	}
	if(set == 1 && l->c.ext_distinct && e->ext) {
		*cap = l->c.ext_distinct;
		*period = l->c.period;
		return (struct wdset*)(e->ext + l->ext_dist_off);
	}
	return NULL;
}

/** Recount the live members of a set and the second the first of them
 * expires. */
static void
dset_recount(struct wdset* d, uint32_t period, uint32_t now32)
{
	uint32_t i, live = 0, first = now32 + period;
	for(i = 0; i < d->n; i++) {
		int32_t age = (int32_t)(now32 - d->m[i].t);
		if(age < (int32_t)period) {
			live++;
			/* a member from the future (clock stepped back) is
			 * kept live until it is seen again or recounted */
			if((int32_t)(d->m[i].t + period - first) < 0)
				first = d->m[i].t + period;
		}
	}
	d->live = (uint16_t)live;
	d->expiry = first;
}

/** Position of h in the sorted members: its index if present (*found set),
 * else where it would be inserted. */
static inline uint32_t
dset_find(const struct wdset* d, uint32_t h, int* found)
{
	uint32_t lo = 0, hi = d->n;
	while(lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if(d->m[mid].h < h)
			lo = mid + 1;
		else	hi = mid;
	}
	*found = lo < d->n && d->m[lo].h == h;
	return lo;
}

/** Note that a member seen at now32 is live: lower the expiry to its end
 * of window if that comes first. */
static inline void
dset_note_live(struct wdset* d, uint32_t period, uint32_t now32)
{
	if((int32_t)(now32 + period - d->expiry) < 0)
		d->expiry = now32 + period;
}

uint32_t
mxg_window_distinct(struct mxg_window* w, struct mxg_window_entry* pub,
	int set, uint32_t h, time_t now)
{
	struct wentry* e = (struct wentry*)pub;
	uint32_t cap, period, i, oldest, now32 = (uint32_t)now;
	int found;
	struct wdset* d = get_dset(w, e, set, &cap, &period);
	if(!d)
		return 0;
	if((int32_t)(now32 - d->expiry) >= 0 ||
		(int32_t)(now32 - d->last) < 0)
		dset_recount(d, period, now32);
	d->last = now32;
	if(!h)
		return d->live;
	i = dset_find(d, h, &found);
	if(found) {
		int32_t age = (int32_t)(now32 - d->m[i].t);
		if(age >= (int32_t)period) {
			/* back in the window */
			d->live++;
			dset_note_live(d, period, now32);
		}
		if(age > 0)
			d->m[i].t = now32;
		return d->live;
	}
	if(d->n == cap) {
		/* full: drop the least recently seen member */
		oldest = 0;
		for(i = 1; i < d->n; i++)
			if((int32_t)(d->m[i].t - d->m[oldest].t) < 0)
				oldest = i;
		if((int32_t)(now32 - d->m[oldest].t) < (int32_t)period)
			d->live--;
		memmove(&d->m[oldest], &d->m[oldest + 1],
			(d->n - oldest - 1) * sizeof(struct wmember));
		d->n--;
		i = dset_find(d, h, &found);
	}
	memmove(&d->m[i + 1], &d->m[i], (d->n - i) * sizeof(struct wmember));
	d->m[i].h = h;
	d->m[i].t = now32;
	d->n++;
	d->live++;
	dset_note_live(d, period, now32);
	return d->live;
}

/** The samples of an entry, NULL if it keeps none. */
static inline struct wsamples*
get_samples(const struct mxg_window* w, const struct wentry* e)
{
	const struct klayout* l = &w->k[e->kind];
	if(!e->ext || !l->c.ext_samples)
		return NULL;
	return (struct wsamples*)(e->ext + l->ext_samp_off);
}

int
mxg_window_sample_wanted(const struct mxg_window* w,
	const struct mxg_window_entry* pub, uint64_t h)
{
	const struct wsamples* s = get_samples(w, (const struct wentry*)pub);
	uint32_t h32 = (uint32_t)(h ^ (h >> 32)), i;
	if(!s || s->n >= MXG_WINDOW_SAMPLES || s->used >=
		MXG_WINDOW_SAMPLE_BYTES - 2)
		return 0;
	for(i = 0; i < s->n; i++)
		if(s->h[i] == h32)
			return 0;
	return 1;
}

int
mxg_window_sample(struct mxg_window* w, struct mxg_window_entry* pub,
	uint64_t h, const char* name, size_t len)
{
	struct wsamples* s = get_samples(w, (struct wentry*)pub);
	uint32_t h32 = (uint32_t)(h ^ (h >> 32)), i;
	if(!s)
		return 0;
	for(i = 0; i < s->n; i++)
		if(s->h[i] == h32)
			return 1;
	if(s->n >= MXG_WINDOW_SAMPLES || (size_t)s->used + len + 1 >
		MXG_WINDOW_SAMPLE_BYTES)
		return 0;
	s->h[s->n++] = h32;
	memcpy(s->text + s->used, name, len);
	s->text[s->used + len] = 0;
	s->used += (uint16_t)(len + 1);
	return 1;
}

int
mxg_window_sample_count(const struct mxg_window* w,
	const struct mxg_window_entry* pub)
{
	const struct wsamples* s = get_samples(w, (const struct wentry*)pub);
	return s ? s->n : 0;
}

int
mxg_window_samples(const struct mxg_window* w,
	const struct mxg_window_entry* pub, const char* sep, char* buf,
	size_t len)
{
	const struct wsamples* s = get_samples(w, (const struct wentry*)pub);
	size_t off = 0, seplen = strlen(sep), nl;
	const char* p;
	int i, done = 0;
	if(!len)
		return 0;
	buf[0] = 0;
	if(!s)
		return 0;
	p = s->text;
	for(i = 0; i < s->n; i++) {
		nl = strlen(p);
		if(i && off + seplen < len) {
			memcpy(buf + off, sep, seplen);
			off += seplen;
		} else if(i) {
			break;
		}
		if(off + nl < len) {
			memcpy(buf + off, p, nl);
			off += nl;
			done++;
		} else {
			memcpy(buf + off, p, len - 1 - off);
			off = len - 1;
			break;
		}
		p += nl + 1;
	}
	buf[off] = 0;
	return done;
}
