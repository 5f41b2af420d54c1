// The per-destination-row INT8 quantizer (kernels/edge_quantize.h) on CUDA against the CPU: codes and
// scales bit for bit (the same per-element header, edge_quant_math.h), on the forward CSR and on the
// reverse one. Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/edge_quantize.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(EdgeQuantizeCuda, CodesAndScalesMatchCpuBitForBit) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(220, 190, 40, 8);  // a hub row with every column, empty rows
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  for (int64_t heads : {1, 2, 4, 8}) {
    const Tensor e = row_graded_edges(h, heads, heads);  // rows of very different scales
    for (bool reverse : {false, true}) {
      const CsrIndex& adj = reverse ? g.csr_t() : g.csr();
      const CsrIndex& adj_gpu = reverse ? d.csr_t() : d.csr();
      QTensor eq = make_edge_row_qtensor(adj, heads), eq_gpu = make_edge_row_qtensor(adj_gpu, heads);
      quantize_edges_per_row(adj, e, eq);
      quantize_edges_per_row(adj_gpu, e.to(kGpu), eq_gpu);
      EXPECT_EQ(eq_gpu.values.to_vector<int8_t>(), eq.values.to_vector<int8_t>()) << "codes, heads " << heads;
      EXPECT_EQ(eq_gpu.scales.to_vector<float>(), eq.scales.to_vector<float>()) << "scales, heads " << heads;
    }
  }
}

}  // namespace
}  // namespace tango::kernels
