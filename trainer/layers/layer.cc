#include "trainer/layers/layer.h"

#include <cmath>

#include "io/counter_rng.h"
#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {

void glorot_init(Tensor& weight, int64_t fan_in, int64_t fan_out, uint64_t seed, int layer, int tensor_id) {
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  const uint64_t stream = 0x1000 + static_cast<uint64_t>(layer) * 64 + static_cast<uint64_t>(tensor_id);
  float* w = weight.data<float>();
  for (int64_t i = 0; i < weight.numel(); ++i) {
    CounterRng rng(seed, stream, static_cast<uint64_t>(i));
    w[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
  }
}

Parameter make_parameter(std::string name, Shape shape) {
  Parameter p;
  p.name = std::move(name);
  p.value = Tensor::zeros(DType::kF32, shape);
  p.grad = Tensor::zeros(DType::kF32, shape);
  return p;
}

Tensor table_from_owned(const Tensor& owned, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  Tensor table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), owned.cols()), owned.device());
  Tensor owned_rows = table.slice_rows(0, graph.num_owned);
  owned_rows.copy_from(owned.slice_rows(0, graph.num_owned));
  return table;
}

void exchange_and_aggregate(Tensor& table, const kernels::CsrIndex& whole, const RowSplit& split,
                            const LayerContext& context, Tensor& out, const RowAggregation& aggregate,
                            const std::function<void()>& meanwhile) {
  const DistGraph& graph = *context.graph;
  if (!context.exchanges()) {
    if (meanwhile) meanwhile();
    aggregate(whole, 0, table, out);
    return;
  }
  HaloLink& halo = context.halo_link();
  if (!context.overlap) {
    halo.exchange(HaloDirection::kForward, table);
    if (meanwhile) meanwhile();
    if (context.precision != Precision::kINT8) {
      aggregate(whole, 0, table, out);
      return;
    }
    // INT8 quantizes each aggregation's operand with one scale: the overlapped inner rows can only
    // take it over the owned rows (the halo has not arrived), so this path makes the same two calls
    // and gives the same bits.
  } else {
    halo.post(HaloDirection::kForward, table);
    context.make_progress();
    if (meanwhile) {
      meanwhile();
      context.make_progress();
    }
  }
  if (graph.num_inner > 0) {
    Tensor inner_out = out.slice_rows(0, graph.num_inner);
    aggregate(split.inner, 0, table.slice_rows(0, graph.num_owned), inner_out);
  }
  if (context.overlap) halo.wait();
  if (graph.num_owned > graph.num_inner) {
    Tensor boundary_out = out.slice_rows(graph.num_inner, graph.num_owned);
    aggregate(split.boundary, graph.num_inner, table, boundary_out);
  }
}

void return_halo_gradients(Tensor& table, const LayerContext& context) {
  if (!context.exchanges()) return;
  context.halo_link().exchange(HaloDirection::kBackward, table);
}

void aggregate_and_return(Tensor& d_table, const kernels::CsrIndex& reverse, const ReverseSplit& split,
                          const LayerContext& context, const ReverseAggregation& aggregate,
                          const std::function<void()>& meanwhile) {
  const DistGraph& graph = *context.graph;
  TANGO_CHECK(d_table.rows() == graph.num_rows() && reverse.num_rows == graph.num_rows(),
              "backward table {} or reverse CSR of {} rows does not fit the part ({} owned, {} halo rows)",
              d_table.str(), reverse.num_rows, graph.num_owned, graph.num_halo);
  if (!context.exchanges() || !context.overlap) {
    aggregate(reverse, 0, d_table);
    return_halo_gradients(d_table, context);
    context.make_progress();
    if (meanwhile) meanwhile();
    return;
  }
  HaloLink& halo = context.halo_link();
  if (graph.num_halo > 0) {
    Tensor halo_rows = d_table.slice_rows(graph.num_owned, graph.num_rows());
    aggregate(split.halo, graph.num_owned, halo_rows);
  }
  halo.post(HaloDirection::kBackward, d_table);
  context.make_progress();
  if (graph.num_owned > 0) {
    Tensor owned_rows = d_table.slice_rows(0, graph.num_owned);
    aggregate(split.owned, 0, owned_rows);
  }
  context.make_progress();
  if (meanwhile) meanwhile();
  halo.wait();
}

void copy_u_backward_and_return(const Tensor& dy, const kernels::SparseGraph& graph,
                                const ReverseSplit& split, const Tensor& row_scale,
                                const Tensor& column_scale, const LayerContext& context, Tensor& d_table,
                                const std::function<void()>& meanwhile) {
  const bool int8 = context.precision == Precision::kINT8;
  const kernels::QTensor dy_q = int8 ? quantize_int8(dy) : kernels::QTensor();
  auto rows = [&](const kernels::CsrIndex& csr, int64_t first_row, Tensor& out) {
    const kernels::SpmmScaling scaling{
        row_scale.defined() ? row_scale.slice_rows(first_row, first_row + csr.num_rows) : Tensor(),
        column_scale};
    if (int8) {
      kernels::qspmm_copy_u(csr, dy_q, out, scaling);
    } else {
      kernels::spmm_copy_u(csr, dy, out, scaling);
    }
  };
  aggregate_and_return(d_table, graph.csr_t(), split, context, rows, meanwhile);
}

}  // namespace tango::trainer
