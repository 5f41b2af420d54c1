#include "partition/verify.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "partition/checksum.h"

namespace tango::partition {

namespace fs = std::filesystem;

namespace {

// What the cross-part checks keep of each part once its file is closed: ids only, no features.
struct PartIds {
  std::vector<int64_t> halo_ids, halo_offsets, halo_degree;
  std::vector<int64_t> send_ids, send_offsets;  // send rows as global ids
};

bool same_rows(const Tensor& a, int64_t row_a, const Tensor& b, int64_t row_b) {
  const size_t bytes = static_cast<size_t>(a.cols()) * dtype_size(a.dtype());
  return std::memcmp(static_cast<const char*>(a.raw_data()) + row_a * bytes,
                     static_cast<const char*>(b.raw_data()) + row_b * bytes, bytes) == 0;
}

// Halo columns each used by some edge, boundary rows each touching the halo.
template <class IdT>
void check_halo_use(const PartitionPart& part, const IdT* cols, const std::string& origin) {
  const int64_t* indptr = part.local_graph.indptr.data<int64_t>();
  std::vector<uint8_t> used(part.num_halo(), 0);
  for (int64_t row = 0; row < part.num_owned; ++row) {
    bool touches_halo = false;
    for (int64_t e = indptr[row]; e < indptr[row + 1]; ++e)
      if (cols[e] >= part.num_owned) {
        used[cols[e] - part.num_owned] = 1;
        touches_halo = true;
      }
    TANGO_CHECK_INPUT(row < part.num_inner || touches_halo,
                      "'{}': boundary row {} has no halo neighbour: it should be an inner row", origin, row);
  }
  for (int64_t i = 0; i < part.num_halo(); ++i)
    TANGO_CHECK_INPUT(used[i], "'{}': halo row {} (global id {}) is adjacent to no owned node", origin, i,
                      part.halo_global_ids.data<int64_t>()[i]);
}

// Every edge of each owned node, as global ids, equals the dataset's row; node data equal too.
template <class IdT>
int64_t check_against_dataset(const PartitionPart& part, const IdT* cols, const io::Dataset& dataset,
                              const std::string& origin) {
  const int64_t* indptr = part.local_graph.indptr.data<int64_t>();
  const int64_t* owned = part.owned_global_ids.data<int64_t>();
  const int64_t* halo = part.halo_global_ids.data<int64_t>();
  const int64_t* degree = part.global_degree.data<int64_t>();
  const int64_t* global_indptr = dataset.graph.indptr.data<int64_t>();
  std::vector<int64_t> neighbours;
  io::visit_indices(dataset.graph, [&](const auto* global_cols) {
    for (int64_t row = 0; row < part.num_owned; ++row) {
      const int64_t v = owned[row];
      neighbours.clear();
      for (int64_t e = indptr[row]; e < indptr[row + 1]; ++e)
        neighbours.push_back(cols[e] < part.num_owned ? owned[cols[e]] : halo[cols[e] - part.num_owned]);
      std::sort(neighbours.begin(), neighbours.end());
      const int64_t begin = global_indptr[v], end = global_indptr[v + 1];
      bool same = static_cast<int64_t>(neighbours.size()) == end - begin;
      for (int64_t i = 0; same && i < end - begin; ++i) same = neighbours[i] == global_cols[begin + i];
      TANGO_CHECK_INPUT(same, "'{}': the edges of node {} (row {}) differ from the dataset's", origin, v,
                        row);
      TANGO_CHECK_INPUT(same_rows(part.features, row, dataset.features, v),
                        "'{}': features of node {} differ from the dataset's", origin, v);
      TANGO_CHECK_INPUT(same_rows(part.labels, row, dataset.labels, v) &&
                            same_rows(part.train_mask, row, dataset.train_mask, v) &&
                            same_rows(part.valid_mask, row, dataset.valid_mask, v) &&
                            same_rows(part.test_mask, row, dataset.test_mask, v),
                        "'{}': label or split masks of node {} differ from the dataset's", origin, v);
    }
    for (int64_t i = 0; i < part.num_halo(); ++i) {
      const int64_t u = halo[i];
      TANGO_CHECK_INPUT(degree[part.num_owned + i] == global_indptr[u + 1] - global_indptr[u],
                        "'{}': halo node {} has degree {}, the dataset says {}", origin, u,
                        degree[part.num_owned + i], global_indptr[u + 1] - global_indptr[u]);
      TANGO_CHECK_INPUT(
          !part.halo_features.defined() || same_rows(part.halo_features, i, dataset.features, u),
          "'{}': halo features of node {} differ from the dataset's", origin, u);
    }
  });
  return part.local_graph.num_edges();
}

}  // namespace

void verify_part_checksum(const std::string& dir, const PartSummary& summary) {
  const std::string path = (fs::path(dir) / summary.file).string();
  const std::string actual = sha256_file(path);
  TANGO_CHECK_INPUT(
      actual == summary.sha256,
      "'{}': SHA-256 {} differs from the manifest's {}: the file is damaged or from another run; "
      "re-run tango-partition",
      path, actual, summary.sha256);
}

void check_part_against_manifest(const PartitionPart& part, const PartitionManifest& manifest,
                                 int32_t part_id, const std::string& origin) {
  const PartSummary& s = manifest.parts.at(part_id);
  TANGO_CHECK_INPUT(part.part_id == part_id && part.num_parts == manifest.options.num_parts,
                    "'{}' is part {} of {}, the manifest expects part {} of {}", origin, part.part_id,
                    part.num_parts, part_id, manifest.options.num_parts);
  TANGO_CHECK_INPUT(
      part.num_global_nodes == manifest.num_nodes && part.num_classes == manifest.num_classes &&
          part.num_features() == manifest.num_features,
      "'{}' describes a graph of {} nodes, {} classes, {} features; the manifest says {}, {}, {}", origin,
      part.num_global_nodes, part.num_classes, part.num_features(), manifest.num_nodes, manifest.num_classes,
      manifest.num_features);
  TANGO_CHECK_INPUT(part.num_owned == s.owned && part.num_inner == s.inner && part.num_halo() == s.halo &&
                        part.local_graph.num_edges() == s.edges && part.send_rows.numel() == s.send,
                    "'{}' counts (owned {}, inner {}, halo {}, edges {}, send {}) differ from the manifest's "
                    "({}, {}, {}, {}, {})",
                    origin, part.num_owned, part.num_inner, part.num_halo(), part.local_graph.num_edges(),
                    part.send_rows.numel(), s.owned, s.inner, s.halo, s.edges, s.send);
  TANGO_CHECK_INPUT(part.halo_features.defined() == manifest.halo_features,
                    "'{}' {} halo features but the manifest says halo_features = {}", origin,
                    part.halo_features.defined() ? "has" : "lacks", manifest.halo_features);
}

VerifyReport verify_partition(const std::string& dir, const VerifyOptions& options) {
  const PartitionManifest manifest = read_manifest(dir);
  const int32_t k = manifest.options.num_parts;
  const int64_t n = manifest.num_nodes;
  const std::string manifest_path = (fs::path(dir) / kManifestFileName).string();
  if (options.dataset) {
    const io::Dataset& d = *options.dataset;
    TANGO_CHECK_INPUT(d.num_nodes() == n && d.graph.num_edges() == manifest.num_edges &&
                          d.num_features() == manifest.num_features,
                      "'{}' was made from a graph of {} nodes, {} edges, {} features; '{}' has {}, {}, {}",
                      manifest_path, n, manifest.num_edges, manifest.num_features, d.name, d.num_nodes(),
                      d.graph.num_edges(), d.num_features());
  }
  VerifyReport report;
  report.num_parts = k;
  report.num_nodes = n;
  std::vector<int32_t> owner_of(n, -1);
  std::vector<int64_t> degree_of(n, -1);
  std::vector<PartIds> parts(k);
  int64_t total_edges = 0;
  for (int32_t p = 0; p < k; ++p) {
    const std::string path = (fs::path(dir) / manifest.parts[p].file).string();
    if (options.checksums) verify_part_checksum(dir, manifest.parts[p]);
    const PartitionPart part = read_part(path);
    check_part_against_manifest(part, manifest, p, path);
    const int64_t* owned = part.owned_global_ids.data<int64_t>();
    const int64_t* degree = part.global_degree.data<int64_t>();
    for (int64_t row = 0; row < part.num_owned; ++row) {
      const int64_t v = owned[row];
      TANGO_CHECK_INPUT(owner_of[v] < 0, "'{}': node {} is owned by both part {} and part {}", path, v,
                        owner_of[v], p);
      owner_of[v] = p;
      degree_of[v] = degree[row];
    }
    total_edges += part.local_graph.num_edges();
    io::visit_indices(part.local_graph, [&](const auto* cols) {
      check_halo_use(part, cols, path);
      if (options.dataset) report.edges_checked += check_against_dataset(part, cols, *options.dataset, path);
    });
    PartIds& ids = parts[p];
    ids.halo_ids = part.halo_global_ids.to_vector<int64_t>();
    ids.halo_offsets = part.halo_offsets.to_vector<int64_t>();
    ids.halo_degree.assign(degree + part.num_owned, degree + part.num_owned + part.num_halo());
    ids.send_offsets = part.send_offsets.to_vector<int64_t>();
    const int64_t* send_rows = part.send_rows.data<int64_t>();
    for (int64_t i = 0; i < part.send_rows.numel(); ++i) ids.send_ids.push_back(owned[send_rows[i]]);
    report.halo_rows += part.num_halo();
  }
  for (int64_t v = 0; v < n; ++v)
    TANGO_CHECK_INPUT(owner_of[v] >= 0, "'{}': node {} is owned by no part", dir, v);
  TANGO_CHECK_INPUT(total_edges == manifest.num_edges, "'{}': the parts hold {} edges, the manifest says {}",
                    dir, total_edges, manifest.num_edges);
  for (int32_t p = 0; p < k; ++p) {
    const std::string file = (fs::path(dir) / manifest.parts[p].file).string();
    const PartIds& ids = parts[p];
    for (int32_t q = 0; q < k; ++q) {
      for (int64_t i = ids.halo_offsets[q]; i < ids.halo_offsets[q + 1]; ++i) {
        const int64_t u = ids.halo_ids[i];
        TANGO_CHECK_INPUT(owner_of[u] == q, "'{}': halo node {} is listed under part {} but part {} owns it",
                          file, u, q, owner_of[u]);
        TANGO_CHECK_INPUT(ids.halo_degree[i] == degree_of[u],
                          "'{}': halo node {} has degree {}, its owner says {}", file, u, ids.halo_degree[i],
                          degree_of[u]);
      }
      // What q sends to p must be p's halo group for q, element for element.
      const PartIds& peer = parts[q];
      auto recv_begin = ids.halo_ids.begin() + ids.halo_offsets[q];
      auto recv_end = ids.halo_ids.begin() + ids.halo_offsets[q + 1];
      auto send_begin = peer.send_ids.begin() + peer.send_offsets[p];
      auto send_end = peer.send_ids.begin() + peer.send_offsets[p + 1];
      TANGO_CHECK_INPUT(std::equal(recv_begin, recv_end, send_begin, send_end),
                        "'{}': its {} halo rows from part {} do not match the {} rows part {} sends it", file,
                        recv_end - recv_begin, q, send_end - send_begin, q);
    }
  }
  return report;
}

}  // namespace tango::partition
