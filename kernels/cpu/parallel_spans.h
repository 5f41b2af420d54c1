// Flat elementwise loops over n values, split into cache-sized spans that OpenMP threads take in order.
// Why spans and not `omp parallel for` over elements: the loop body OpenMP outlines is compiled for the
// build's baseline ISA (x86-64), so a vector kernel has to be a separate TANGO_ISA_CLONES function that
// the outlined loop calls once per span (cpu/isa_clones.h). Spans start at multiples of kSpan, so a span
// function that needs the flat index of its first value gets it exactly.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tango::kernels::cpu {

constexpr int64_t kSpan = 16384;

// span(begin, count) for consecutive spans covering [0, n).
template <class SpanFn>
void for_each_span(int64_t n, const SpanFn& span) {
#pragma omp parallel for schedule(static)
  for (int64_t begin = 0; begin < n; begin += kSpan) span(begin, std::min(kSpan, n - begin));
}

}  // namespace tango::kernels::cpu
