#include "trainer/quant_telemetry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "core/error.h"

namespace tango::trainer {
namespace {

// The scope open on this thread: where record() adds, or nothing.
struct OpenScope {
  QuantTelemetry* telemetry = nullptr;
  int layer = 0;
  QuantPass pass = QuantPass::kForward;
  int64_t owned_rows = 0;
  int64_t table_rows = 0;
};
thread_local OpenScope open_scope;

constexpr int kPasses = 2;
constexpr size_t kOperands = kQuantOperands.size();

size_t operand_index(std::string_view operand) {
  const auto it = std::find(kQuantOperands.begin(), kQuantOperands.end(), operand);
  TANGO_CHECK(it != kQuantOperands.end(), "quantization telemetry: unknown operand '{}'", operand);
  return static_cast<size_t>(it - kQuantOperands.begin());
}

Tensor on_host(const Tensor& t) {
  return t.device().is_cuda() ? t.to(Device::cpu()) : t;
}

kernels::QTensor on_host(const kernels::QTensor& q) {
  return {on_host(q.values), on_host(q.scales)};
}

}  // namespace

void QuantOperandStats::add_row(double amax, double step, bool all_zero) {
  const double levels = amax / step;
  levels_min = rows == 0 ? levels : std::min(levels_min, levels);
  amax_min = rows == 0 ? amax : std::min(amax_min, amax);
  amax_max = rows == 0 ? amax : std::max(amax_max, amax);
  ++rows;
  if (all_zero) ++zero_rows;
  sum_log_levels += std::log(levels);
}

void QuantOperandStats::observe(const Tensor& x, const kernels::QTensor& q) {
  const int64_t num_rows = x.ndim() == 1 ? 1 : x.rows();
  const int64_t cols = num_rows > 0 ? x.numel() / num_rows : 0;
  TANGO_CHECK(q.values.numel() == x.numel() && (q.scales.numel() == 1 || q.scales.numel() == num_rows),
              "quantization telemetry: codes {} with scales {} for {}", q.values.str(), q.scales.str(),
              x.str());
  const float* xs = x.data<float>();
  const int8_t* codes = q.values.data<int8_t>();
  const float* scales = q.scales.data<float>();
  ++calls;
  for (int64_t r = 0; r < num_rows; ++r) {
    const double step = scales[q.scales.numel() == 1 ? 0 : r];
    double amax = 0, error = 0, signal = 0;
    bool all_zero = true;
    for (int64_t j = r * cols; j < (r + 1) * cols; ++j) {
      const double value = xs[j], decoded = codes[j] * step;
      amax = std::max(amax, std::abs(value));
      error += (decoded - value) * (decoded - value);
      signal += value * value;
      all_zero = all_zero && codes[j] == 0;
    }
    squared_error += error;
    squared_signal += signal;
    if (amax > 0) add_row(amax, step, all_zero);
  }
}

void QuantOperandStats::observe_edges(const kernels::CsrIndex& csr, const Tensor& x,
                                      const kernels::QTensor& q) {
  const std::vector<int64_t> indptr = on_host(csr.indptr).to_vector<int64_t>();
  const std::vector<int32_t> edge_ids =
      csr.edge_ids_are_identity ? std::vector<int32_t>() : on_host(csr.edge_ids).to_vector<int32_t>();
  const int64_t heads = x.ndim() == 1 ? 1 : x.cols();
  TANGO_CHECK(q.values.numel() == x.numel() && (q.scales.numel() == 1 || q.scales.numel() == csr.num_rows),
              "quantization telemetry: edge codes {} with scales {} for {} over {} rows", q.values.str(),
              q.scales.str(), x.str(), csr.num_rows);
  const float* xs = x.data<float>();
  const int8_t* codes = q.values.data<int8_t>();
  const float* scales = q.scales.data<float>();
  ++calls;
  for (int64_t r = 0; r < csr.num_rows; ++r) {
    const double step = scales[q.scales.numel() == 1 ? 0 : r];
    double amax = 0;
    bool all_zero = true;
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p) {
      const int64_t e = edge_ids.empty() ? p : edge_ids[p];
      for (int64_t h = e * heads; h < (e + 1) * heads; ++h) {
        const double value = xs[h], decoded = codes[h] * step;
        amax = std::max(amax, std::abs(value));
        squared_error += (decoded - value) * (decoded - value);
        squared_signal += value * value;
        all_zero = all_zero && codes[h] == 0;
      }
    }
    if (amax > 0) add_row(amax, step, all_zero);
  }
}

nlohmann::json QuantOperandStats::to_json() const {
  const bool any = rows > 0;
  return {
      {"rel_err", squared_signal > 0 ? std::sqrt(squared_error / squared_signal) : 0.0},
      {"rows", rows},
      {"zero_rows", any ? static_cast<double>(zero_rows) / static_cast<double>(rows) : 0.0},
      {"levels_gmean", any ? nlohmann::json(std::exp(sum_log_levels / static_cast<double>(rows))) : nullptr},
      {"levels_min", any ? nlohmann::json(levels_min) : nullptr},
      {"amax_spread", any ? nlohmann::json(amax_max / amax_min) : nullptr}};
}

QuantTelemetry::QuantTelemetry(int num_layers)
    : num_layers_(num_layers), stats_(static_cast<size_t>(num_layers) * kPasses * kOperands) {}

QuantTelemetry::Scope::Scope(QuantTelemetry* telemetry, int layer, QuantPass pass, int64_t owned_rows,
                             int64_t table_rows) {
  if (telemetry == nullptr) return;
  TANGO_CHECK(open_scope.telemetry == nullptr, "quantization telemetry scopes do not nest");
  TANGO_CHECK(0 <= layer && layer < telemetry->num_layers_, "quantization telemetry: layer {} of {}", layer,
              telemetry->num_layers_);
  open_scope = {telemetry, layer, pass, owned_rows, table_rows};
  open_ = true;
}

QuantTelemetry::Scope::~Scope() {
  if (open_) open_scope = {};
}

bool QuantTelemetry::active() {
  return open_scope.telemetry != nullptr;
}

void QuantTelemetry::record(std::string_view operand, const Tensor& x, const kernels::QTensor& q) {
  if (!active()) return;
  QuantOperandStats& stats = open_scope.telemetry->stats(open_scope.layer, open_scope.pass, operand);
  const int64_t owned = open_scope.owned_rows;
  const bool table = !operand.ends_with("_w") && x.ndim() == 2 && x.rows() == open_scope.table_rows;
  if (table && x.rows() > owned) {  // a table with halo rows: the owned ones only
    const kernels::QTensor owned_q{q.values.slice_rows(0, owned),
                                   q.scales.numel() == 1 ? q.scales : q.scales.slice_rows(0, owned)};
    stats.observe(on_host(x.slice_rows(0, owned)), on_host(owned_q));
  } else {
    stats.observe(on_host(x), on_host(q));
  }
}

void QuantTelemetry::record_row_blocks(std::string_view operand, const Tensor& x, const kernels::QTensor& q,
                                       int64_t block_rows) {
  if (!active()) return;
  const std::vector<float> block_scales = q.scales.to_vector<float>();
  std::vector<float> row_scales(static_cast<size_t>(x.rows()));
  for (size_t r = 0; r < row_scales.size(); ++r)
    row_scales[r] = block_scales[r / static_cast<size_t>(block_rows)];
  record(operand, x, {q.values, Tensor::from(row_scales).to(q.values.device())});
}

void QuantTelemetry::record_edges(std::string_view operand, const kernels::CsrIndex& csr, const Tensor& x,
                                  const kernels::QTensor& q) {
  if (!active()) return;
  open_scope.telemetry->stats(open_scope.layer, open_scope.pass, operand)
      .observe_edges(csr, on_host(x), on_host(q));
}

QuantOperandStats& QuantTelemetry::stats(int layer, QuantPass pass, std::string_view operand) {
  return stats_[(static_cast<size_t>(layer) * kPasses + static_cast<size_t>(pass)) * kOperands +
                operand_index(operand)];
}

const QuantOperandStats& QuantTelemetry::stats(int layer, QuantPass pass, std::string_view operand) const {
  return const_cast<QuantTelemetry*>(this)->stats(layer, pass, operand);
}

void QuantTelemetry::clear() {
  std::fill(stats_.begin(), stats_.end(), QuantOperandStats{});
}

nlohmann::json QuantTelemetry::reduce(comm::Communicator& comm) const {
  // Sums, and the extremes as maxima (minima negated); a rank without rows of an operand gives -inf.
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  std::vector<double> sums, extremes;
  for (size_t i = 0; i < stats_.size(); ++i) {
    const QuantOperandStats& s = stats_[i];
    // A weight is quantized alike on every rank: each rank adds its share of one count.
    const double share = kQuantOperands[i % kOperands].ends_with("_w") ? 1.0 / comm.size() : 1.0;
    sums.insert(sums.end(), {share * static_cast<double>(s.calls), share * s.squared_error,
                             share * s.squared_signal, share * static_cast<double>(s.rows),
                             share * static_cast<double>(s.zero_rows), share * s.sum_log_levels});
    const bool any = s.rows > 0;
    extremes.insert(extremes.end(),
                    {any ? -s.levels_min : kNone, any ? -s.amax_min : kNone, any ? s.amax_max : kNone});
  }
  comm.allreduce(std::span<double>(sums), comm::ReduceOp::kSum);
  comm.allreduce(std::span<double>(extremes), comm::ReduceOp::kMax);
  nlohmann::json out = nlohmann::json::object();
  for (int l = 0; l < num_layers_; ++l) {
    for (int p = 0; p < kPasses; ++p) {
      for (size_t o = 0; o < kOperands; ++o) {
        const size_t i = (static_cast<size_t>(l) * kPasses + static_cast<size_t>(p)) * kOperands + o;
        const double* sum = &sums[i * 6];
        if (sum[0] == 0) continue;  // no rank quantized it
        QuantOperandStats total;
        total.calls = std::llround(sum[0]);
        total.squared_error = sum[1];
        total.squared_signal = sum[2];
        total.rows = std::llround(sum[3]);
        total.zero_rows = std::llround(sum[4]);
        total.sum_log_levels = sum[5];
        total.levels_min = -extremes[i * 3];
        total.amax_min = -extremes[i * 3 + 1];
        total.amax_max = extremes[i * 3 + 2];
        out[fmt::format("l{}", l)][p == 0 ? "fwd" : "bwd"][std::string(kQuantOperands[o])] = total.to_json();
      }
    }
  }
  return out;
}

std::string_view linear_map_operand(std::string_view weight_name, std::string_view part) {
  const std::string_view map = weight_name.ends_with("root_weight")        ? "root"
                               : weight_name.ends_with("neighbour_weight") ? "neighbour"
                                                                           : "linear";
  for (std::string_view operand : kQuantOperands) {
    if (operand.size() == map.size() + 1 + part.size() && operand.starts_with(map) &&
        operand[map.size()] == '_' && operand.ends_with(part))
      return operand;
  }
  TANGO_FAIL("quantization telemetry: no operand '{}' of a linear map", part);
}

bool quant_telemetry_due(int every, bool int8, int64_t epoch) {
  return int8 && every > 0 && (epoch + 1) % every == 0;
}

}  // namespace tango::trainer
