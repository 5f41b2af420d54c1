// TANGO_ISA_CLONES: compiles a hot CPU kernel three times (AVX-512, AVX2+FMA, baseline x86-64) and picks
// the best one for the running CPU at load time (GCC function multi-versioning). The build itself targets
// baseline x86-64 so binaries run anywhere; the kernels' inner loops (int8 -> f32 converts, FMAs) are
// written as plain loops that the compiler vectorises for each clone. Helpers called from a cloned
// function should be [[gnu::always_inline]] so they are compiled for the clone's ISA too.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TANGO_ISA_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]
#else
#define TANGO_ISA_CLONES
#endif
