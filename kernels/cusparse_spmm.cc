#include "kernels/cusparse_spmm.h"

#include <vector>

#include "core/error.h"
#include "kernels/sparse_dispatch.h"
#ifdef TANGO_HAVE_CUDA
#include "core/check_cuda.h"
#include "kernels/cuda/cuda_context.h"
#endif

namespace tango::kernels {

#ifdef TANGO_HAVE_CUDA

struct CusparseSpmm::Plan {
  CsrIndex adj;
  Tensor indptr32;  // i32 [num_rows + 1] on the device
  Tensor ones;      // f32 [nnz] on the device
  cusparseSpMatDescr_t matrix = nullptr;
};

CusparseSpmm::CusparseSpmm(const CsrIndex& adj) : plan_(std::make_unique<Plan>()) {
  TANGO_CHECK_INPUT(adj.device().is_cuda(),
                    "cuSPARSE SpMM needs a graph on a GPU, got one on {}: move it with to()",
                    adj.device().str());
  const int64_t nnz = adj.num_entries();
  plan_->adj = adj;
  std::vector<int64_t> indptr = adj.indptr.to_vector<int64_t>();
  plan_->indptr32 = Tensor::from(std::vector<int32_t>(indptr.begin(), indptr.end())).to(adj.device());
  plan_->ones = Tensor::from(std::vector<float>(static_cast<size_t>(nnz), 1.0f)).to(adj.device());
  TANGO_CUSPARSE_CHECK(
      cusparseCreateCsr(&plan_->matrix, adj.num_rows, adj.num_cols, nnz, plan_->indptr32.raw_data(),
                        const_cast<void*>(adj.indices.raw_data()), plan_->ones.raw_data(), CUSPARSE_INDEX_32I,
                        CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F));
}

CusparseSpmm::~CusparseSpmm() {
  if (plan_ && plan_->matrix) cusparseDestroySpMat(plan_->matrix);
}

void CusparseSpmm::run(const Tensor& x, Tensor& out) {
  const CsrIndex& adj = plan_->adj;
  detail::check_f32(x, "cuSPARSE SpMM input x", adj.num_cols, -1, adj.device());
  detail::check_f32(out, "cuSPARSE SpMM output", adj.num_rows, x.cols(), adj.device());
  if (adj.num_rows == 0 || x.cols() == 0) return;
  cuda::CudaContext& context = cuda::CudaContext::get(adj.device());
  cusparseHandle_t handle = context.cusparse();
  cusparseDnMatDescr_t in = nullptr, result = nullptr;
  TANGO_CUSPARSE_CHECK(cusparseCreateDnMat(&in, x.rows(), x.cols(), x.cols(), const_cast<void*>(x.raw_data()),
                                           CUDA_R_32F, CUSPARSE_ORDER_ROW));
  TANGO_CUSPARSE_CHECK(cusparseCreateDnMat(&result, out.rows(), out.cols(), out.cols(), out.raw_data(),
                                           CUDA_R_32F, CUSPARSE_ORDER_ROW));
  const float alpha = 1.0f, beta = 0.0f;
  size_t bytes = 0;
  TANGO_CUSPARSE_CHECK(cusparseSpMM_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                               CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, plan_->matrix, in,
                                               &beta, result, CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, &bytes));
  void* workspace = context.workspace(bytes > 0 ? bytes : 1);
  TANGO_CUSPARSE_CHECK(cusparseSpMM(handle, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                    CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, plan_->matrix, in, &beta,
                                    result, CUDA_R_32F, CUSPARSE_SPMM_CSR_ALG2, workspace));
  cusparseDestroyDnMat(in);
  cusparseDestroyDnMat(result);
}

#else

struct CusparseSpmm::Plan {};

CusparseSpmm::CusparseSpmm(const CsrIndex& adj) {
  TANGO_FAIL_INPUT(
      "cuSPARSE SpMM for a graph on {}: this build has no CUDA backend; rebuild with "
      "TANGO_ENABLE_CUDA=ON on a machine with nvcc",
      adj.device().str());
}
CusparseSpmm::~CusparseSpmm() = default;
void CusparseSpmm::run(const Tensor&, Tensor&) {
  TANGO_FAIL("cuSPARSE SpMM: this build has no CUDA backend");
}

#endif

}  // namespace tango::kernels
