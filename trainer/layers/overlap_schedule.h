// How a layer overlaps a halo exchange with its compute, in named phases, the same for GCN, SAGE and
// GAT, forward and backward:
//   post     the rows the exchange sends are final: with --overlap it starts (LayerContext::make_progress
//            between the kernels that follow keeps it moving); without, nothing moves yet
//   (inner)  the layer computes what needs no halo row: the inner rows forward; the owned rows and the
//            weight gradients backward
//   finish   the exchange completes (without --overlap it runs here, whole); then what needs the halo
// Forward sends boundary rows (a part's send rows are boundary rows, trainer/dist_graph.h) and fills
// the halo rows; backward sends the halo rows of a gradient table home, where the owners add them into
// their owned rows, which must be final at finish. With and without --overlap the same kernels read the
// same data and only the exchange moves, so the bits do not change
// (tests/trainer/mpi/overlap_test.cc). In a 1-part run nothing is exchanged; post() only counts the
// exchange (HaloLink::skip), so that the exchange counts are the same at any rank count.
#pragma once

#include <functional>

#include "kernels/sparse_graph.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

// One exchange of a [num_rows, F] table in the phases above.
class HaloOverlap {
 public:
  HaloOverlap(const LayerContext& context, HaloDirection direction)
      : context_(context), direction_(direction) {}
  // The table must stay alive until finish().
  void post(Tensor& table);
  void finish();

 private:
  const LayerContext& context_;
  HaloDirection direction_;
  Tensor* table_ = nullptr;
};

// Aggregates over the rows of `rows` (a CSR over some owned rows starting at `first_row`) from `x`
// ([rows.num_cols, F]) into `out` ([rows.num_rows, F']).
using RowAggregation =
    std::function<void(const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x, Tensor& out)>;

// A forward aggregation of all owned rows into `out` whose operand `table` gets its halo rows by exchange
// (GCN, SAGE, layers > 0):
//   post()        starts the exchange of the table's boundary rows
//   inner_rows()  aggregates the rows with no halo column (they read the table's owned rows only)
//   finish()      completes the exchange, then aggregates the boundary rows
// FP32 without --overlap aggregates all rows in one call at finish() (the same sums). INT8 quantizes each
// aggregation's operand with one scale: the inner rows' operand can only take it over the owned rows
// (the halo has not arrived), so both paths make the same two calls.
class ExchangedAggregation {
 public:
  ExchangedAggregation(Tensor& table, const kernels::CsrIndex& whole, const RowSplit& split,
                       const LayerContext& context, Tensor& out, RowAggregation aggregate);
  void post();
  void inner_rows();
  void finish();

 private:
  bool one_call() const;  // all rows in one aggregation at finish()

  Tensor& table_;
  const kernels::CsrIndex& whole_;
  const RowSplit& split_;
  const LayerContext& context_;
  Tensor& out_;
  RowAggregation aggregate_;
  HaloOverlap exchange_;
};

// Writes rows [first_row, first_row + rows.num_rows) of a backward aggregation table into `out`
// ([rows.num_rows, F]), aggregating over the reverse-graph CSR `rows` (its columns: owned rows).
using ReverseAggregation = std::function<void(const kernels::CsrIndex& rows, int64_t first_row, Tensor& out)>;

// A backward aggregation over the reverse graph (`reverse`: a csr_t(), `split`: its owned and halo rows)
// into `d_table` ([num_rows, F]) whose halo rows go home (GCN, SAGE, layers > 0):
//   post()    aggregates the halo rows and starts sending them, then aggregates the owned rows (without
//             --overlap: all rows in one call, nothing sent yet)
//   finish()  completes the exchange: the rows other ranks return are added into the owned rows
// What runs between the two may read neither d_table's owned rows nor the returned gradients. Each row is
// the same sum either way, and received rows are added to finished rows in peer order.
class ReturnedAggregation {
 public:
  ReturnedAggregation(Tensor& d_table, const kernels::CsrIndex& reverse, const ReverseSplit& split,
                      const LayerContext& context, ReverseAggregation aggregate);
  void post();
  void finish();

 private:
  Tensor& d_table_;
  const kernels::CsrIndex& reverse_;
  const ReverseSplit& split_;
  const LayerContext& context_;
  ReverseAggregation aggregate_;
  HaloOverlap exchange_;
};

// The copy_u backward of GCN and SAGE as a ReverseAggregation: rows of S_r A^T S_c dy in `precision`
// (INT8: dy quantized once, one scale per row of dy, shared by every row range: copy_u_aggregation.h).
// `row_scale` ([num_rows], the reverse rows [owned | halo]) may be undefined; `column_scale` is [num_owned].
ReverseAggregation copy_u_backward_rows(const Tensor& dy, const Tensor& row_scale, const Tensor& column_scale,
                                        Precision precision);

}  // namespace tango::trainer
