// SparseGraph::to (kernels/sparse_graph.h): a graph copied to the GPU keeps its arrays. Skipped without a
// GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/sparse_graph.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(SparseGraphCuda, GraphCopiesToTheDeviceUnchanged) {
  TANGO_REQUIRE_GPU();
  const SparseGraph g = to_sparse_graph(random_csr(50, 40, 9, 1));
  const SparseGraph d = g.to(kGpu);
  EXPECT_EQ(d.device(), kGpu);
  EXPECT_EQ(d.csr_t().edge_ids.to_vector<int32_t>(), g.csr_t().edge_ids.to_vector<int32_t>());
  EXPECT_EQ(d.csr().indptr.to_vector<int64_t>(), g.csr().indptr.to_vector<int64_t>());
}

}  // namespace
}  // namespace tango::kernels
