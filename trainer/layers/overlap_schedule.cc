#include "trainer/layers/overlap_schedule.h"

#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {

void HaloOverlap::post(Tensor& table) {
  if (!context_.exchanges()) {  // one rank: nothing moves, the exchange is counted (HaloLink::skip)
    if (context_.halo != nullptr) context_.halo->skip(direction_);
    return;
  }
  table_ = &table;
  if (context_.overlap) context_.halo_link().post(direction_, table);
  context_.make_progress();
}

void HaloOverlap::finish() {
  if (table_ == nullptr) return;
  if (context_.overlap) {
    context_.halo_link().wait();
  } else {
    context_.halo_link().exchange(direction_, *table_);
  }
  table_ = nullptr;
}

ExchangedAggregation::ExchangedAggregation(Tensor& table, const kernels::CsrIndex& whole,
                                           const RowSplit& split, const LayerContext& context, Tensor& out,
                                           RowAggregation aggregate)
    : table_(table),
      whole_(whole),
      split_(split),
      context_(context),
      out_(out),
      aggregate_(std::move(aggregate)),
      exchange_(context, HaloDirection::kForward) {}

bool ExchangedAggregation::one_call() const {
  return !context_.exchanges() || (!context_.overlap && context_.precision != Precision::kINT8);
}

void ExchangedAggregation::post() {
  exchange_.post(table_);
}

void ExchangedAggregation::inner_rows() {
  const DistGraph& graph = *context_.graph;
  if (one_call() || graph.num_inner == 0) return;
  Tensor inner_out = out_.slice_rows(0, graph.num_inner);
  aggregate_(split_.inner, 0, table_.slice_rows(0, graph.num_owned), inner_out);
}

void ExchangedAggregation::finish() {
  const DistGraph& graph = *context_.graph;
  exchange_.finish();
  if (one_call()) {
    aggregate_(whole_, 0, table_, out_);
    return;
  }
  if (graph.num_owned > graph.num_inner) {
    Tensor boundary_out = out_.slice_rows(graph.num_inner, graph.num_owned);
    aggregate_(split_.boundary, graph.num_inner, table_, boundary_out);
  }
}

ReturnedAggregation::ReturnedAggregation(Tensor& d_table, const kernels::CsrIndex& reverse,
                                         const ReverseSplit& split, const LayerContext& context,
                                         ReverseAggregation aggregate)
    : d_table_(d_table),
      reverse_(reverse),
      split_(split),
      context_(context),
      aggregate_(std::move(aggregate)),
      exchange_(context, HaloDirection::kBackward) {
  const DistGraph& graph = *context.graph;
  TANGO_CHECK(d_table.rows() == graph.num_rows() && reverse.num_rows == graph.num_rows(),
              "backward table {} or reverse CSR of {} rows does not fit the part ({} owned, {} halo rows)",
              d_table.str(), reverse.num_rows, graph.num_owned, graph.num_halo);
}

void ReturnedAggregation::post() {
  const DistGraph& graph = *context_.graph;
  if (!context_.exchanges() || !context_.overlap) {
    aggregate_(reverse_, 0, d_table_);
    exchange_.post(d_table_);
    return;
  }
  if (graph.num_halo > 0) {
    Tensor halo_rows = d_table_.slice_rows(graph.num_owned, graph.num_rows());
    aggregate_(split_.halo, graph.num_owned, halo_rows);
  }
  exchange_.post(d_table_);
  if (graph.num_owned > 0) {
    Tensor owned_rows = d_table_.slice_rows(0, graph.num_owned);
    aggregate_(split_.owned, 0, owned_rows);
  }
  context_.make_progress();
}

void ReturnedAggregation::finish() {
  exchange_.finish();
}

ReverseAggregation copy_u_backward_rows(const Tensor& dy, const Tensor& row_scale, const Tensor& column_scale,
                                        Precision precision) {
  const bool int8 = precision == Precision::kINT8;
  kernels::QTensor dy_q = int8 ? quantize_int8_rows(dy, "aggregate_dy") : kernels::QTensor();
  // INT8 holds dy's codes only, so the caller's FP32 dy can go.
  return [dy = int8 ? Tensor() : dy, dy_q, row_scale, column_scale, int8](const kernels::CsrIndex& csr,
                                                                          int64_t first_row, Tensor& out) {
    const kernels::SpmmScaling scaling{
        row_scale.defined() ? row_scale.slice_rows(first_row, first_row + csr.num_rows) : Tensor(),
        column_scale};
    if (int8) {
      kernels::qspmm_copy_u(csr, dy_q, out, scaling);
    } else {
      kernels::spmm_copy_u(csr, dy, out, scaling);
    }
  };
}

}  // namespace tango::trainer
