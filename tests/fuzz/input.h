/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the mxguard authors.
 *
 * tests/fuzz/input.h - reading a fuzz input as a stream of values.
 */
/** \file
 * The targets that build structures field by field from the fuzz input
 * (fuzz_jsonlog.c, fuzz_redis_reply.c) take its bytes from the front with
 * these; once the input is used up every byte reads 0, so any input builds
 * a complete structure. Header-only: each target is built alone.
 */
#ifndef MXG_FUZZ_INPUT_H
#define MXG_FUZZ_INPUT_H
#include <stddef.h>
#include <stdint.h>

/** Consumes the input from the front; zeros once it runs out. */
struct src {
	/** the bytes */
	const uint8_t* p;
	/** bytes left */
	size_t n;
};

/** Next byte, 0 when the input is used up. */
static inline uint8_t
byte(struct src* s)
{
	if(!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

/** Fill n bytes. */
static inline void
bytes(struct src* s, void* dst, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++)
		((uint8_t*)dst)[i] = byte(s);
}

#endif /* MXG_FUZZ_INPUT_H */
