/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * include/mxguard/category.h - domain suffix to category (freemail, ...).
 */
/** \file
 * Maps a domain to a category such as freemail, disposable, dyndns, cloud or
 * bulk-mail by its longest matching suffix. Loaded from `category-file:` (or
 * the built-in list, contrib/categories.txt compiled in) at init; read-only
 * afterwards and shared without a lock.
 */
#ifndef MXGUARD_CATEGORY_H
#define MXGUARD_CATEGORY_H
#include <stddef.h>

struct mxg_category;

/** Load a category file ("suffix category" per line, # comments), or the
 * built-in list when path is NULL. @return NULL with
 * `file:line: value: reason` in err on error. */
struct mxg_category* mxg_category_load(const char* path, char* err,
	size_t errlen);

/** Category of a domain name (presentation format, any case, with or without
 * the trailing dot), by longest suffix match on label boundaries.
 * @return a string owned by cat, or NULL when none matches. */
const char* mxg_category_lookup(const struct mxg_category* cat,
	const char* name);

/** Number of suffixes loaded. */
size_t mxg_category_count(const struct mxg_category* cat);

/** Free. NULL is fine. */
void mxg_category_free(struct mxg_category* cat);

#endif /* MXGUARD_CATEGORY_H */
