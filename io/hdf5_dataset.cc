#include "io/hdf5_dataset.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/hdf5_file.h"

namespace tango::io {

namespace {

const char* const kSplitNames[] = {"train", "valid", "test"};

Tensor mask_to_ids(const Tensor& mask) {
  const uint8_t* m = mask.data<uint8_t>();
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(count_mask(mask)));
  for (int64_t v = 0; v < mask.numel(); ++v)
    if (m[v]) ids.push_back(v);
  return Tensor::from(ids);
}

// A 1-D dataset of i32 or i64 ids, widened to i64.
std::vector<int64_t> read_ids(const H5File& file, const std::string& name) {
  Tensor t = file.read(name);
  TANGO_CHECK_INPUT(t.ndim() == 1, "'{}': dataset '{}' has {} dimensions, expected a 1-D list", file.path(),
                    name, t.ndim());
  if (t.dtype() == DType::kI64) return t.to_vector<int64_t>();
  TANGO_CHECK_INPUT(t.dtype() == DType::kI32, "'{}': dataset '{}' holds {}, expected i64 or i32 ids",
                    file.path(), name, dtype_name(t.dtype()));
  std::vector<int32_t> narrow = t.to_vector<int32_t>();
  return std::vector<int64_t>(narrow.begin(), narrow.end());
}

// The lowest row u in [0, n) for which bad_row(u) holds, or n. Parallel and deterministic.
template <class BadRow>
int64_t first_row_where(int64_t n, const BadRow& bad_row) {
  int64_t first = n;
#pragma omp parallel for schedule(dynamic, 1024) reduction(min : first)
  for (int64_t u = 0; u < n; ++u)
    if (u < first && bad_row(u)) first = u;
  return first;
}

// Checks that indptr/indices form the CSR of a symmetric graph without self-loops, with each row
// strictly increasing (sorted, no duplicates). Names the file and the first bad row.
template <class IdT>
void check_symmetric_csr(const int64_t* indptr, const IdT* indices, int64_t n, const std::string& path) {
  // Row-local rules first: the symmetry check below relies on ids in range and sorted rows.
  auto row_breaks_rules = [&](int64_t u) {
    for (int64_t k = indptr[u]; k < indptr[u + 1]; ++k)
      if (indices[k] < 0 || indices[k] >= n || indices[k] == u ||
          (k > indptr[u] && indices[k - 1] >= indices[k]))
        return true;
    return false;
  };
  if (int64_t u = first_row_where(n, row_breaks_rules); u < n) {
    for (int64_t k = indptr[u]; k < indptr[u + 1]; ++k) {
      const int64_t v = indices[k];
      TANGO_CHECK_INPUT(v >= 0 && v < n, "'{}': /graph/indices holds node id {} (row {}) outside [0, {})",
                        path, v, u, n);
      TANGO_CHECK_INPUT(v != u,
                        "'{}': /graph/indices has a self-loop at node {}: Tango stores graphs without them",
                        path, u);
    }
    TANGO_FAIL_INPUT("'{}': row {} of /graph/indices is not strictly increasing (unsorted or duplicate ids)",
                     path, u);
  }
  auto row_lacks_a_reverse_edge = [&](int64_t u) {
    for (int64_t k = indptr[u]; k < indptr[u + 1]; ++k) {
      const int64_t v = indices[k];
      if (!std::binary_search(indices + indptr[v], indices + indptr[v + 1], static_cast<IdT>(u))) return true;
    }
    return false;
  };
  if (int64_t u = first_row_where(n, row_lacks_a_reverse_edge); u < n)
    TANGO_FAIL_INPUT("'{}': the graph is not symmetric (row {} lists a neighbour whose row does not list {})",
                     path, u, u);
}

// Reads and checks the CSR; returns the graph with indices in the dtype index_dtype_for(n) picks.
Graph read_graph(const H5File& file) {
  const std::string& path = file.path();
  Graph graph;
  graph.indptr = file.read_checked("/graph/indptr", DType::kI64);
  TANGO_CHECK_INPUT(graph.indptr.ndim() == 1 && graph.indptr.numel() >= 2,
                    "'{}': /graph/indptr must be a 1-D list of num_nodes + 1 >= 2 offsets", path);
  const int64_t n = graph.indptr.numel() - 1;
  graph.num_nodes = n;
  const int64_t* indptr = graph.indptr.data<int64_t>();
  TANGO_CHECK_INPUT(indptr[0] == 0, "'{}': /graph/indptr starts at {}, expected 0", path, indptr[0]);
  for (int64_t v = 0; v < n; ++v)
    TANGO_CHECK_INPUT(indptr[v + 1] >= indptr[v], "'{}': /graph/indptr decreases at node {} ({} -> {})", path,
                      v, indptr[v], indptr[v + 1]);
  Tensor indices = file.read("/graph/indices");
  TANGO_CHECK_INPUT(indices.ndim() == 1 && (indices.dtype() == DType::kI32 || indices.dtype() == DType::kI64),
                    "'{}': /graph/indices must be a 1-D list of i32 or i64 node ids, found {}", path,
                    indices.str());
  TANGO_CHECK_INPUT(
      indptr[n] == indices.numel(),
      "'{}': /graph/indptr ends at {} but /graph/indices has {} entries: the file is inconsistent", path,
      indptr[n], indices.numel());
  if (indices.dtype() == DType::kI64)
    check_symmetric_csr(indptr, indices.data<int64_t>(), n, path);
  else
    check_symmetric_csr(indptr, indices.data<int32_t>(), n, path);

  const DType want = index_dtype_for(n);
  if (indices.dtype() == want) {
    graph.indices = std::move(indices);
  } else {  // ids are in [0, n), so converting either way is exact
    graph.indices = Tensor::empty(want, Shape::vec(indices.numel()));
    if (want == DType::kI32)
      std::copy_n(indices.data<int64_t>(), indices.numel(), graph.indices.data<int32_t>());
    else
      std::copy_n(indices.data<int32_t>(), indices.numel(), graph.indices.data<int64_t>());
  }
  return graph;
}

}  // namespace

Dataset read_hdf5_dataset(const std::string& path) {
  H5File file = H5File::open_read(path);
  TANGO_CHECK_INPUT(file.has_attr("format_version"),
                    "'{}' has no root attribute 'format_version': it is not a Tango dataset file", path);
  const int64_t version = file.attr_int("format_version");
  TANGO_CHECK_INPUT(
      version == kHdf5DatasetFormatVersion,
      "'{}' has format_version {}, this build reads version {}: re-create the file with this build", path,
      version, kHdf5DatasetFormatVersion);
  Dataset dataset;
  dataset.name = file.attr_string("name");
  dataset.split_name = file.attr_string("split_name");
  const int64_t num_classes = file.attr_int("num_classes");
  TANGO_CHECK_INPUT(num_classes > 0 && num_classes <= INT32_MAX,
                    "'{}': num_classes {} must be a positive count", path, num_classes);
  dataset.num_classes = static_cast<int32_t>(num_classes);

  dataset.graph = read_graph(file);
  const int64_t n = dataset.graph.num_nodes;
  dataset.cleanup.input_edges = dataset.graph.num_edges();
  dataset.cleanup.directed_edges = dataset.graph.num_edges();

  dataset.features = file.read_checked("/node/feat", DType::kF32, n);
  TANGO_CHECK_INPUT(dataset.features.ndim() == 2, "'{}': /node/feat must be 2-D [num_nodes, num_features]",
                    path);
  const float* feat = dataset.features.data<float>();
  for (int64_t i = 0; i < dataset.features.numel(); ++i)
    TANGO_CHECK_INPUT(std::isfinite(feat[i]),
                      "'{}': /node/feat row {} column {} is {}: features must be finite", path,
                      i / dataset.features.cols(), i % dataset.features.cols(), feat[i]);
  dataset.labels = file.read_checked("/node/label", DType::kI32, n);
  TANGO_CHECK_INPUT(dataset.labels.ndim() == 1, "'{}': /node/label must be 1-D [num_nodes]", path);

  Tensor* masks[] = {&dataset.train_mask, &dataset.valid_mask, &dataset.test_mask};
  for (int s = 0; s < 3; ++s) {
    const std::string name = std::string("/split/") + kSplitNames[s];
    *masks[s] = Tensor::zeros(DType::kU8, Shape::vec(n));
    uint8_t* mask = masks[s]->data<uint8_t>();
    std::vector<int64_t> ids = read_ids(file, name);
    TANGO_CHECK_INPUT(!ids.empty(), "'{}': {} is empty: a split needs at least one node id", path, name);
    for (int64_t id : ids) {
      TANGO_CHECK_INPUT(id >= 0 && id < n, "'{}': {} holds node id {} outside [0, {})", path, name, id, n);
      mask[id] = 1;
    }
  }
  validate_dataset(dataset, path);
  return dataset;
}

void write_hdf5_dataset(const Dataset& dataset, const std::string& path) {
  validate_dataset(dataset, "dataset '" + dataset.name + "' to write to '" + path + "'");
  AtomicFile atomic(path);
  {
    H5File file = H5File::create(atomic.temp_path());
    file.write("/graph/indptr", dataset.graph.indptr);
    file.write("/graph/indices", dataset.graph.indices);
    file.write("/node/feat", dataset.features);
    file.write("/node/label", dataset.labels);
    file.write("/split/train", mask_to_ids(dataset.train_mask));
    file.write("/split/valid", mask_to_ids(dataset.valid_mask));
    file.write("/split/test", mask_to_ids(dataset.test_mask));
    file.set_attr("name", dataset.name);
    file.set_attr("split_name", dataset.split_name);
    file.set_attr("num_classes", static_cast<int64_t>(dataset.num_classes));
    file.set_attr("format_version", kHdf5DatasetFormatVersion);
    file.flush();
    file.close();
  }
  atomic.commit();
}

}  // namespace tango::io
