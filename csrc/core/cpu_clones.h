// Per-ISA clones of hot CPU loops.
//
// The extension is built for baseline x86-64 (SSE2, no FMA) so that one wheel runs everywhere. Loops
// that are compute-bound (sin/cos polynomials, convolution taps) run 2-3x faster with AVX2 + FMA, so
// their row functions carry SONIX_CPU_CLONES: GCC/Clang emit an x86-64-v3 (AVX2, FMA) and a default
// clone and pick one at load time (ifunc). Lambdas do not inherit the attribute: put the loop in a
// named function and call it from the at::parallel_for lambda. Helpers it calls should be
// SONIX_ALWAYS_INLINE so they are compiled for the clone's ISA.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__) && !defined(__APPLE__)
#define SONIX_CPU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SONIX_CPU_CLONES
#endif

#if defined(__GNUC__)
#define SONIX_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SONIX_ALWAYS_INLINE inline
#endif
