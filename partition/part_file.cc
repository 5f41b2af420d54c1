#include "partition/part_file.h"

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/hdf5_file.h"

namespace tango::partition {

namespace {

constexpr const char* kPartFormat = "tango-partition-part";

std::function<void(const std::string&)>& midpoint_hook() {
  static std::function<void(const std::string&)> hook;
  return hook;
}

// Checks that `t` is a defined CPU tensor of `dtype` with `rows` rows (and `cols` columns when >= 0).
void expect_shape(const Tensor& t, const std::string& origin, const char* name, DType dtype, int64_t rows,
                  int64_t cols = -1) {
  TANGO_CHECK_INPUT(t.defined(), "'{}': {} is missing", origin, name);
  TANGO_CHECK_INPUT(t.dtype() == dtype, "'{}': {} holds {}, expected {}", origin, name, dtype_name(t.dtype()),
                    dtype_name(dtype));
  TANGO_CHECK_INPUT(t.rows() == rows, "'{}': {} has {} rows, expected {}", origin, name, t.rows(), rows);
  if (cols >= 0)
    TANGO_CHECK_INPUT(t.ndim() == 2 && t.cols() == cols, "'{}': {} has shape {}, expected [{}, {}]", origin,
                      name, t.shape().str(), rows, cols);
}

// Checks an offsets array: starts at 0, never decreases, ends at `total`.
void expect_offsets(const Tensor& offsets, const std::string& origin, const char* name, int64_t total) {
  const int64_t* off = offsets.data<int64_t>();
  const int64_t count = offsets.numel();
  TANGO_CHECK_INPUT(off[0] == 0, "'{}': {}[0] is {}, expected 0", origin, name, off[0]);
  for (int64_t i = 0; i + 1 < count; ++i)
    TANGO_CHECK_INPUT(off[i] <= off[i + 1], "'{}': {} decreases at {} ({} > {})", origin, name, i, off[i],
                      off[i + 1]);
  TANGO_CHECK_INPUT(off[count - 1] == total, "'{}': {} ends at {}, expected {}", origin, name, off[count - 1],
                    total);
}

void expect_mask(const Tensor& mask, const std::string& origin, const char* name, int64_t rows) {
  expect_shape(mask, origin, name, DType::kU8, rows);
  const uint8_t* m = mask.data<uint8_t>();
  for (int64_t i = 0; i < rows; ++i)
    TANGO_CHECK_INPUT(m[i] <= 1, "'{}': {}[{}] is {}, expected 0 or 1", origin, name, i, m[i]);
}

template <class IdT>
void validate_local_graph(const PartitionPart& part, const IdT* cols, const std::string& origin) {
  const int64_t* indptr = part.local_graph.indptr.data<int64_t>();
  const int64_t* degree = part.global_degree.data<int64_t>();
  const int64_t num_cols = part.num_owned + part.num_halo();
  for (int64_t row = 0; row < part.num_owned; ++row) {
    const int64_t limit = row < part.num_inner ? part.num_owned : num_cols;
    TANGO_CHECK_INPUT(
        indptr[row + 1] - indptr[row] == degree[row],
        "'{}': owned row {} holds {} edges but its global degree is {}: the part must hold every "
        "edge of its owned nodes",
        origin, row, indptr[row + 1] - indptr[row], degree[row]);
    for (int64_t e = indptr[row]; e < indptr[row + 1]; ++e) {
      const int64_t col = cols[e];
      TANGO_CHECK_INPUT(col >= 0 && col < limit && col != row,
                        "'{}': edge {} of {} row {} has column {} outside [0, {}) or a self-loop", origin, e,
                        row < part.num_inner ? "inner" : "boundary", row, col, limit);
    }
  }
}

}  // namespace

std::string part_file_name(int32_t part_id) {
  return fmt::format("part-{:05d}.h5", part_id);
}

void validate_part(const PartitionPart& part, const std::string& origin) {
  const int32_t k = part.num_parts;
  const int64_t n_global = part.num_global_nodes;
  TANGO_CHECK_INPUT(k >= 1 && part.part_id >= 0 && part.part_id < k, "'{}': part id {} outside [0, {})",
                    origin, part.part_id, k);
  TANGO_CHECK_INPUT(part.num_owned >= 0 && part.num_owned <= n_global,
                    "'{}': {} owned nodes but {} in the graph", origin, part.num_owned, n_global);
  TANGO_CHECK_INPUT(part.num_inner >= 0 && part.num_inner <= part.num_owned,
                    "'{}': {} inner rows outside [0, {} owned]", origin, part.num_inner, part.num_owned);
  TANGO_CHECK_INPUT(part.num_classes >= 1, "'{}': {} classes, expected at least 1", origin, part.num_classes);

  expect_shape(part.owned_global_ids, origin, "owned global ids", DType::kI64, part.num_owned);
  expect_shape(part.halo_offsets, origin, "halo offsets", DType::kI64, k + 1);
  TANGO_CHECK_INPUT(part.halo_global_ids.defined() && part.halo_global_ids.dtype() == DType::kI64,
                    "'{}': halo global ids missing or not i64", origin);
  const int64_t num_halo = part.num_halo();
  expect_offsets(part.halo_offsets, origin, "halo offsets", num_halo);
  const int64_t* owned_ids = part.owned_global_ids.data<int64_t>();
  for (int64_t i = 0; i < part.num_owned; ++i)
    TANGO_CHECK_INPUT(owned_ids[i] >= 0 && owned_ids[i] < n_global,
                      "'{}': owned node {} has global id {} outside [0, {})", origin, i, owned_ids[i],
                      n_global);
  const int64_t* halo_ids = part.halo_global_ids.data<int64_t>();
  const int64_t* halo_off = part.halo_offsets.data<int64_t>();
  TANGO_CHECK_INPUT(halo_off[part.part_id] == halo_off[part.part_id + 1],
                    "'{}': part {} lists halo nodes owned by itself", origin, part.part_id);
  for (int32_t p = 0; p < k; ++p)
    for (int64_t i = halo_off[p]; i < halo_off[p + 1]; ++i) {
      TANGO_CHECK_INPUT(halo_ids[i] >= 0 && halo_ids[i] < n_global,
                        "'{}': halo node {} has global id {} outside [0, {})", origin, i, halo_ids[i],
                        n_global);
      TANGO_CHECK_INPUT(i == halo_off[p] || halo_ids[i - 1] < halo_ids[i],
                        "'{}': halo ids of owner {} are not strictly increasing at {}", origin, p, i);
    }

  const io::Graph& g = part.local_graph;
  TANGO_CHECK_INPUT(g.num_nodes == part.num_owned, "'{}': local graph has {} rows, expected {} owned", origin,
                    g.num_nodes, part.num_owned);
  expect_shape(g.indptr, origin, "local graph indptr", DType::kI64, part.num_owned + 1);
  TANGO_CHECK_INPUT(
      g.indices.defined() && (g.indices.dtype() == DType::kI32 || g.indices.dtype() == DType::kI64),
      "'{}': local graph indices missing or not i32/i64", origin);
  expect_offsets(g.indptr, origin, "local graph indptr", g.num_edges());
  expect_shape(part.global_degree, origin, "global degree", DType::kI64, part.num_owned + num_halo);
  const int64_t* degree = part.global_degree.data<int64_t>();
  for (int64_t i = part.num_owned; i < part.num_owned + num_halo; ++i)
    TANGO_CHECK_INPUT(degree[i] >= 1, "'{}': halo column {} has global degree {}, but it has an edge here",
                      origin, i, degree[i]);
  io::visit_indices(g, [&](const auto* cols) { validate_local_graph(part, cols, origin); });

  TANGO_CHECK_INPUT(part.features.defined() && part.features.ndim() == 2, "'{}': owned features missing",
                    origin);
  const int64_t num_features = part.features.cols();
  expect_shape(part.features, origin, "owned features", DType::kF32, part.num_owned, num_features);
  if (part.halo_features.defined())
    expect_shape(part.halo_features, origin, "halo features", DType::kF32, num_halo, num_features);
  expect_shape(part.labels, origin, "labels", DType::kI32, part.num_owned);
  const int32_t* labels = part.labels.data<int32_t>();
  for (int64_t i = 0; i < part.num_owned; ++i)
    TANGO_CHECK_INPUT(labels[i] >= 0 && labels[i] < part.num_classes,
                      "'{}': label {} of row {} outside [0, {})", origin, labels[i], i, part.num_classes);
  expect_mask(part.train_mask, origin, "train mask", part.num_owned);
  expect_mask(part.valid_mask, origin, "valid mask", part.num_owned);
  expect_mask(part.test_mask, origin, "test mask", part.num_owned);

  expect_shape(part.send_offsets, origin, "send offsets", DType::kI64, k + 1);
  TANGO_CHECK_INPUT(part.send_rows.defined() && part.send_rows.dtype() == DType::kI64,
                    "'{}': send rows missing or not i64", origin);
  expect_offsets(part.send_offsets, origin, "send offsets", part.send_rows.numel());
  const int64_t* send_off = part.send_offsets.data<int64_t>();
  const int64_t* send_rows = part.send_rows.data<int64_t>();
  TANGO_CHECK_INPUT(send_off[part.part_id] == send_off[part.part_id + 1],
                    "'{}': part {} sends rows to itself", origin, part.part_id);
  for (int32_t p = 0; p < k; ++p)
    for (int64_t i = send_off[p]; i < send_off[p + 1]; ++i) {
      TANGO_CHECK_INPUT(send_rows[i] >= part.num_inner && send_rows[i] < part.num_owned,
                        "'{}': send row {} to part {} is {}, not a boundary row in [{}, {})", origin, i, p,
                        send_rows[i], part.num_inner, part.num_owned);
      TANGO_CHECK_INPUT(i == send_off[p] || owned_ids[send_rows[i - 1]] < owned_ids[send_rows[i]],
                        "'{}': rows sent to part {} are not in increasing global-id order at {}", origin, p,
                        i);
    }
}

void write_part(const PartitionPart& part, const std::string& path) {
  validate_part(part, path);
  io::AtomicFile atomic(path);
  {
    io::H5File file = io::H5File::create(atomic.temp_path());
    file.set_attr("format", std::string(kPartFormat));
    file.set_attr("format_version", kPartFormatVersion);
    file.set_attr("part_id", int64_t{part.part_id});
    file.set_attr("num_parts", int64_t{part.num_parts});
    file.set_attr("num_owned", part.num_owned);
    file.set_attr("num_inner", part.num_inner);
    file.set_attr("num_classes", int64_t{part.num_classes});
    file.set_attr("num_global_nodes", part.num_global_nodes);
    file.write("/owned/global_ids", part.owned_global_ids);
    file.write("/halo/global_ids", part.halo_global_ids);
    file.write("/halo/offsets", part.halo_offsets);
    file.write("/graph/indptr", part.local_graph.indptr);
    file.write("/graph/indices", part.local_graph.indices);
    file.write("/global_degree", part.global_degree);
    file.write("/owned/features", part.features);
    if (midpoint_hook()) {
      file.flush();  // so the hook sees a partly written file on disk
      midpoint_hook()(atomic.temp_path());
    }
    file.write("/owned/labels", part.labels);
    file.write("/owned/train_mask", part.train_mask);
    file.write("/owned/valid_mask", part.valid_mask);
    file.write("/owned/test_mask", part.test_mask);
    if (part.halo_features.defined()) file.write("/halo/features", part.halo_features);
    file.write("/send/offsets", part.send_offsets);
    file.write("/send/rows", part.send_rows);
    file.close();
  }
  atomic.commit();
}

PartitionPart read_part(const std::string& path) {
  io::H5File file = io::H5File::open_read(path);
  TANGO_CHECK_INPUT(file.has_attr("format") && file.attr_string("format") == kPartFormat,
                    "'{}' is not a tango-partition part file (no format attribute '{}')", path, kPartFormat);
  const int64_t version = file.attr_int("format_version");
  TANGO_CHECK_INPUT(version == kPartFormatVersion,
                    "'{}' has part format version {}, this build reads version {}: re-run tango-partition",
                    path, version, kPartFormatVersion);
  PartitionPart part;
  part.part_id = static_cast<int32_t>(file.attr_int("part_id"));
  part.num_parts = static_cast<int32_t>(file.attr_int("num_parts"));
  part.num_owned = file.attr_int("num_owned");
  part.num_inner = file.attr_int("num_inner");
  part.num_classes = static_cast<int32_t>(file.attr_int("num_classes"));
  part.num_global_nodes = file.attr_int("num_global_nodes");
  part.owned_global_ids = file.read("/owned/global_ids");
  part.halo_global_ids = file.read("/halo/global_ids");
  part.halo_offsets = file.read("/halo/offsets");
  part.local_graph.num_nodes = part.num_owned;
  part.local_graph.indptr = file.read("/graph/indptr");
  part.local_graph.indices = file.read("/graph/indices");
  part.global_degree = file.read("/global_degree");
  part.features = file.read("/owned/features");
  part.labels = file.read("/owned/labels");
  part.train_mask = file.read("/owned/train_mask");
  part.valid_mask = file.read("/owned/valid_mask");
  part.test_mask = file.read("/owned/test_mask");
  if (file.has("/halo/features")) part.halo_features = file.read("/halo/features");
  part.send_offsets = file.read("/send/offsets");
  part.send_rows = file.read("/send/rows");
  validate_part(part, path);
  return part;
}

namespace testing {
void set_part_write_midpoint_hook(std::function<void(const std::string&)> hook) {
  midpoint_hook() = std::move(hook);
}
}  // namespace testing

}  // namespace tango::partition
