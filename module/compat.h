/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * module/compat.h - the differences between the Unbound versions mxguard
 * is built against, in one place.
 */
/** \file
 * The glue compiles against Debian 12's Unbound 1.17.1 and upstream 1.19 to
 * 1.26 (docs/building.md lists the tested versions). Where a call differs,
 * configure looks at the tree's headers (UNBOUND_API_CPPFLAGS) and this file
 * gives the glue one name for it.
 */
#ifndef MXGUARD_COMPAT_H
#define MXGUARD_COMPAT_H
#include "util/module.h"

/**
 * Start a detached sub-query for qinfo (one nobody waits for, as Unbound's
 * prefetch), used to refresh a stale answer of the private cache.
 * @return 0 on failure.
 */
static inline int
mxg_ub_add_detached(struct module_qstate* qstate, struct query_info* qinfo,
	uint16_t qflags)
{
	struct module_qstate* newq = NULL;
	struct mesh_state* sub = NULL;
#ifdef MXG_UB_ADD_SUB_CINFO
	/* 1.2x: the client info for respip; a refresh has no client */
	return (*qstate->env->add_sub)(qstate, qinfo, NULL, qflags, 0, 0,
		&newq, &sub);
#else
	return (*qstate->env->add_sub)(qstate, qinfo, qflags, 0, 0, &newq,
		&sub);
#endif
}

#endif /* MXGUARD_COMPAT_H */
