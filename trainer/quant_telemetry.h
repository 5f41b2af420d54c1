// How lossy each INT8 operand of the layers was, per layer, direction and operand: the quantization
// telemetry of --quant-telemetry-every N (metrics JSONL key `quant`). Nothing here changes the math.
//
// Where it is taken: at the quantization itself. trainer/ops.h's quantize_int8* take an operand name;
// while a QuantTelemetry::Scope is open on this thread (the model opens one around each layer's training
// forward and backward, on telemetry epochs only) every quantization with a name is measured against
// the f32 tensor it came from; without a scope a quantization costs one null check more.
// Per operand, over every row it quantized (a row of the tensor; for GAT's attention coefficients alpha
// a destination node, i.e. all heads of all its in-edges):
//   rel_err       sqrt(sum (q * step - x)^2 / sum x^2)                 (Frobenius, all calls summed)
//   rows          rows with some x != 0
//   zero_rows     share of those rows whose codes are all zero (the row's information is lost)
//   levels_gmean  geometric mean over those rows of amax_row / step_row: how many of the 127 levels the
//                 row's largest value reaches (127 with a scale per row; 127 * amax_row / amax with one
//                 scale per tensor, < 0.5 means the row rounds to zero)
//   levels_min    the smallest of those
//   amax_spread   max amax_row / min amax_row over those rows (the spread of the row norms)
// step_row is the scale the row was quantized with (per tensor, per row, or per destination row).
// Each node counts on its owner only: rows of a table past the owned rows (halo rows: copies of other
// ranks' rows forward, partial gradients of layer 0 backward) are left out, though they share the
// scale. A weight is the same on every rank, so its sums count once. Across ranks the sums (squares,
// rows, logs) are summed and the extremes reduced, so K ranks see what one rank sees of the same rows
// quantized the same way; the operands themselves differ where a scale spans a rank's rows (per
// tensor: K parts, K scales). On K > 1 ranks a forward aggregation of a layer > 0 quantizes its operand
// (GAT's Z: attention_z, GCN and SAGE: aggregate_x) once per row range, inner rows before the halo
// arrives and then the boundary rows (trainer/layers/overlap_schedule.h), and each range counts.
// Measuring copies the operands to the host: the cost lands on telemetry epochs only.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "comm/communicator.h"
#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"

namespace tango::trainer {

enum class QuantPass { kForward, kBackward };

// The operands the layers quantize (the names in the metrics). A LinearMap's own are <map>_x, <map>_w
// (forward), <map>_dy_rows (per-row dy for dx) and <map>_dy_sr (per-tensor stochastic dy for dW), with
// <map> linear (GCN, GAT, MLP), root or neighbour (SAGE).
inline constexpr std::array<std::string_view, 17> kQuantOperands = {
    "linear_x",    "linear_w",     "linear_dy_rows",    "linear_dy_sr",
    "root_x",      "root_w",       "root_dy_rows",      "root_dy_sr",
    "neighbour_x", "neighbour_w",  "neighbour_dy_rows", "neighbour_dy_sr",
    "aggregate_x", "aggregate_dy", "attention_z",       "attention_alpha",
    "attention_dy"};

// One operand's sums on this rank (or, after reduce, over all ranks).
struct QuantOperandStats {
  int64_t calls = 0;
  double squared_error = 0;
  double squared_signal = 0;
  int64_t rows = 0;           // rows with some x != 0
  int64_t zero_rows = 0;      // of those, rows whose codes are all zero
  double sum_log_levels = 0;  // natural log of amax_row / step_row, summed over `rows`
  double levels_min = 0;      // meaningful when rows > 0
  double amax_min = 0, amax_max = 0;
  // Adds x (f32 [rows, cols]) against its codes q (i8, scales [1] or [rows]); host tensors.
  void observe(const Tensor& x, const kernels::QTensor& q);
  // The same for edge values x [E, H] in `csr`'s entry order (its edge ids index x and q.values), with a
  // row per destination row of `csr`; q.scales is [1] or [csr.num_rows]. Host tensors.
  void observe_edges(const kernels::CsrIndex& csr, const Tensor& x, const kernels::QTensor& q);
  nlohmann::json to_json() const;  // rel_err, rows, zero_rows, levels_gmean, levels_min, amax_spread

 private:
  void add_row(double amax, double step, bool all_zero);
};

class QuantTelemetry {
 public:
  explicit QuantTelemetry(int num_layers);

  // While alive (and `telemetry` is not null), named quantizations on this thread are measured as
  // operands of (layer, pass). Scopes do not nest.
  class Scope {
   public:
    // A table of `table_rows` rows (owned, then halo) counts its first `owned_rows` only.
    Scope(QuantTelemetry* telemetry, int layer, QuantPass pass, int64_t owned_rows, int64_t table_rows);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    bool open_ = false;
  };

  // Measures `x` against `q` as `operand` of the open scope's layer and pass; nothing without a scope.
  // Device tensors are copied to the host first. An unknown operand name is a programming error.
  static void record(std::string_view operand, const Tensor& x, const kernels::QTensor& q);
  static void record_edges(std::string_view operand, const kernels::CsrIndex& csr, const Tensor& x,
                           const kernels::QTensor& q);
  // `q` with one scale per block of `block_rows` rows (ops.h quantize_int8_stochastic_blocks): measured as
  // if every row carried its block's scale.
  static void record_row_blocks(std::string_view operand, const Tensor& x, const kernels::QTensor& q,
                                int64_t block_rows);
  static bool active();

  void clear();
  // Collective: every rank's sums reduced; the `quant` object of a metrics line,
  // {"l<layer>": {"fwd"|"bwd": {operand: stats}}}, operands no rank quantized left out.
  nlohmann::json reduce(comm::Communicator& comm) const;
  const QuantOperandStats& stats(int layer, QuantPass pass, std::string_view operand) const;
  QuantOperandStats& stats(int layer, QuantPass pass, std::string_view operand);

 private:
  int num_layers_;
  std::vector<QuantOperandStats> stats_;  // [layer][pass][operand]
};

// The name of a LinearMap's operand `part` (x, w, dy_rows, dy_sr) from its weight's name
// (layer<L>.weight -> linear, layer<L>.root_weight -> root, layer<L>.neighbour_weight -> neighbour): a view
// into kQuantOperands, nothing allocated.
std::string_view linear_map_operand(std::string_view weight_name, std::string_view part);

// Whether epoch `epoch` (0-based) measures: every `every` epochs (0: never) and only under INT8.
bool quant_telemetry_due(int every, bool int8, int64_t epoch);

}  // namespace tango::trainer
