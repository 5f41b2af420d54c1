// How much INT8 quantization of GAT's attention alpha loses, split by destination in-degree: trains a GAT
// in FP32 (any tango-train flags; 1 rank), runs one evaluation forward, then quantizes each layer's
// attention alpha [E, H] and projected features Z the ways --gat-attention does:
//   per-tensor  one scale for all of alpha (Tango's rule)
//   per-row     one scale per destination row (kernels/edge_quantize.h)
// and reports, for the rows in the top in-degree decile (self-loop counted) and for the rest:
//   alpha err   mean over rows and heads of sum_e |alpha_q - alpha| / sum_e |alpha|   (per row: L1, sum = 1)
//   zeroed      share of the rows' edges whose nonzero alpha quantizes to 0
//   agg err     mean over rows of ||A_alpha_q Z_q - A_alpha Z||_2 / ||A_alpha Z||_2, with Z per-tensor INT8
//               (z-only: FP32 alpha and INT8 Z, the floor the alpha scale cannot go below)
// Not a timing benchmark: it prints a table (plain main, no Google Benchmark cases).
//
//   build/bench/gat_attention_error_bench --dataset ../shared/datasets/cora --model gat --normalize-features
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "comm/communicator.h"
#include "comm/mpi_session.h"
#include "core/error.h"
#include "kernels/edge_quantize.h"
#include "kernels/spmm.h"
#include "trainer/config.h"
#include "trainer/layers/gat_layer.h"
#include "trainer/model.h"
#include "trainer/ops.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::bench {
namespace {

using kernels::QTensor;

// alpha as the QSpMM sees it: code * scale, the scale of the tensor or of the edge's destination row.
std::vector<float> dequantized(const QTensor& q, const kernels::CsrIndex& adj, bool per_row) {
  const int64_t heads = q.values.cols();
  const int8_t* codes = q.values.data<int8_t>();
  const float* scales = q.scales.data<float>();
  const int64_t* indptr = adj.indptr.data<int64_t>();
  std::vector<float> out(static_cast<size_t>(q.values.numel()));
  for (int64_t r = 0; r < adj.num_rows; ++r)
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p)
      for (int64_t h = 0; h < heads; ++h)
        out[p * heads + h] = static_cast<float>(codes[p * heads + h]) * scales[per_row ? r : 0];
  return out;
}

struct RowErrors {
  std::vector<double> alpha;      // per row: mean over heads of the L1 relative error
  std::vector<double> zeroed;     // per row: share of (edge, head) with alpha > 0 quantized to 0
  std::vector<double> aggregate;  // per row: relative L2 error of the aggregation
};

RowErrors row_errors(const kernels::CsrIndex& adj, const Tensor& alpha, const std::vector<float>& alpha_q,
                     const Tensor& agg, const Tensor& agg_q) {
  const int64_t heads = alpha.cols(), width = agg.cols();
  const int64_t* indptr = adj.indptr.data<int64_t>();
  const float* a = alpha.data<float>();
  const float* y = agg.data<float>();
  const float* yq = agg_q.data<float>();
  RowErrors out;
  for (int64_t r = 0; r < adj.num_rows; ++r) {
    double err = 0, zeroed = 0;
    for (int64_t h = 0; h < heads; ++h) {
      double diff = 0, total = 0;
      for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p) {
        const float v = a[p * heads + h], vq = alpha_q[p * heads + h];
        diff += std::fabs(static_cast<double>(vq) - v);
        total += std::fabs(v);
        zeroed += (v != 0.0f && vq == 0.0f) ? 1 : 0;
      }
      err += total > 0 ? diff / total : 0;
    }
    out.alpha.push_back(err / static_cast<double>(heads));
    const int64_t entries = (indptr[r + 1] - indptr[r]) * heads;
    out.zeroed.push_back(entries > 0 ? zeroed / static_cast<double>(entries) : 0);
    double d2 = 0, n2 = 0;
    for (int64_t j = 0; j < width; ++j) {
      const double ref = y[r * width + j];
      d2 += (yq[r * width + j] - ref) * (yq[r * width + j] - ref);
      n2 += ref * ref;
    }
    out.aggregate.push_back(n2 > 0 ? std::sqrt(d2 / n2) : 0);
  }
  return out;
}

double mean_where(const std::vector<double>& v, const std::vector<bool>& pick, bool want) {
  double sum = 0;
  int64_t n = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (pick[i] == want) {
      sum += v[i];
      ++n;
    }
  return n > 0 ? sum / static_cast<double>(n) : 0;
}

int run(int argc, char** argv) {
  trainer::TrainConfig config;
  CLI::App app{"GAT attention INT8 error by in-degree (per-tensor vs per-row scales)"};
  trainer::add_train_flags(app, config);
  try {
    app.parse(argc, argv);
    trainer::finalize_config(config);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  TANGO_CHECK_INPUT(config.model == trainer::ModelKind::kGAT, "--model must be gat, got {}",
                    trainer::model_name(config.model));
  comm::Communicator comm;
  TANGO_CHECK_INPUT(comm.size() == 1, "run on 1 rank, got {}", comm.size());
  trainer::DistGraph graph = trainer::load_rank_graph(config, 0, 1);
  config.precision = trainer::Precision::kFP32;
  config.quiet = true;
  const trainer::TrainResult trained = trainer::train(config, graph, comm);
  trainer::Model model(config, graph.num_features(), graph.num_classes);
  for (trainer::Parameter* p : model.parameters()) p->value.copy_from(trained.weights.at(p->name));
  model.forward(graph, {}, /*training=*/false, 0);

  const kernels::SparseGraph& g = graph.adjacency_with_self;
  const kernels::CsrIndex& adj = g.csr();
  const int64_t* indptr = adj.indptr.data<int64_t>();
  std::vector<int64_t> degree(static_cast<size_t>(adj.num_rows));
  for (int64_t r = 0; r < adj.num_rows; ++r) degree[r] = indptr[r + 1] - indptr[r];
  std::vector<int64_t> sorted = degree;
  std::sort(sorted.begin(), sorted.end());
  const int64_t cut = sorted[static_cast<size_t>(0.9 * static_cast<double>(sorted.size()))];
  std::vector<bool> top(degree.size());
  int64_t top_rows = 0;
  for (size_t r = 0; r < degree.size(); ++r) top_rows += (top[r] = degree[r] >= cut) ? 1 : 0;

  fmt::print(
      "{}: GAT fp32 trained {} epochs, test acc {:.4f}; {} rows, in-degree (with self-loop) max {}, "
      "top decile = degree >= {} ({} rows)\n",
      config.dataset.empty() ? config.parts_dir : config.dataset, config.epochs, trained.test_acc,
      adj.num_rows, sorted.back(), cut, top_rows);
  fmt::print(
      "| layer | rows | alpha err per-tensor | alpha err per-row | zeroed per-tensor | zeroed per-row | "
      "agg err per-tensor | agg err per-row | agg err z-only |\n|---|---|---|---|---|---|---|---|---|\n");
  for (int l = 0; l < model.num_layers(); ++l) {
    const auto& layer = dynamic_cast<const trainer::GatLayer&>(model.layer(l));
    const Tensor& alpha = layer.attention();
    const Tensor& z = layer.projected();
    const QTensor zq = trainer::quantize_int8(z);
    const QTensor tensor_q = trainer::quantize_int8(alpha);
    QTensor row_q = kernels::make_edge_row_qtensor(adj, alpha.cols());
    kernels::quantize_edges_per_row(adj, alpha, row_q);

    Tensor ref = Tensor::empty(DType::kF32, Shape::mat(adj.num_rows, z.cols()));
    Tensor agg_tensor = ref.clone(), agg_row = ref.clone(), agg_z = ref.clone();
    kernels::spmm_u_mul_e(adj, z, alpha, ref);
    kernels::qspmm_u_mul_e(adj, zq, tensor_q, agg_tensor);
    kernels::qspmm_u_mul_e_row_scaled(adj, zq, row_q, agg_row);
    Tensor zd = Tensor::empty(DType::kF32, z.shape());
    for (int64_t i = 0; i < z.numel(); ++i)
      zd.data<float>()[i] = static_cast<float>(zq.values.data<int8_t>()[i]) * zq.scales.data<float>()[0];
    kernels::spmm_u_mul_e(adj, zd, alpha, agg_z);

    const RowErrors t = row_errors(adj, alpha, dequantized(tensor_q, adj, false), ref, agg_tensor);
    const RowErrors r = row_errors(adj, alpha, dequantized(row_q, adj, true), ref, agg_row);
    const RowErrors zonly = row_errors(adj, alpha, alpha.to_vector<float>(), ref, agg_z);
    for (bool group : {true, false}) {
      fmt::print("| {} ({} heads) | {} | {:.4f} | {:.4f} | {:.1f}% | {:.1f}% | {:.4f} | {:.4f} | {:.4f} |\n",
                 l, alpha.cols(), group ? fmt::format("top decile (deg >= {})", cut) : "rest",
                 mean_where(t.alpha, top, group), mean_where(r.alpha, top, group),
                 100 * mean_where(t.zeroed, top, group), 100 * mean_where(r.zeroed, top, group),
                 mean_where(t.aggregate, top, group), mean_where(r.aggregate, top, group),
                 mean_where(zonly.aggregate, top, group));
    }
  }
  return 0;
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  tango::comm::MpiSession mpi(&argc, &argv);
  try {
    return tango::bench::run(argc, argv);
  } catch (const tango::Error& e) {
    fmt::print(stderr, "gat_attention_error_bench: error: {}\n", e.what());
    return e.exit_code();
  }
}
