#include "io/ogb_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "core/error.h"
#include "io/csv_fields.h"
#include "io/gzip_lines.h"

namespace fs = std::filesystem;

namespace tango::io {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The one non-negative integer of a count file (num-node-list.csv.gz, num-edge-list.csv.gz).
int64_t read_count_file(const std::string& path) {
  int64_t value = -1, lines = 0;
  for_each_file_line(path, [&](std::string_view line, int64_t line_number) {
    ++lines;
    TANGO_CHECK_INPUT(lines == 1, "'{}' line {}: expected a single count, found a second line", path,
                      line_number);
    value = parse_int_field(CsvFields::trimmed(line), {path, line_number});
    TANGO_CHECK_INPUT(value >= 0, "'{}' line {}: the count {} is negative", path, line_number, value);
  });
  TANGO_CHECK_INPUT(lines == 1, "'{}' is empty: it must hold one integer count", path);
  return value;
}

struct EdgeList {
  std::vector<int64_t> src, dst;
};

EdgeList read_edge_file(const std::string& path, int64_t num_nodes, int64_t expected_edges,
                        const std::string& edge_count_path) {
  EdgeList edges;
  // Not trusted for more than 16M edges up front: a wrong count must not cause a huge allocation.
  const size_t likely_edges = static_cast<size_t>(std::min<int64_t>(expected_edges, int64_t{1} << 24));
  edges.src.reserve(likely_edges);
  edges.dst.reserve(likely_edges);
  GzipLineReader reader(path);
  LineBlock block;
  while (reader.next_block(&block)) {
    const size_t total = static_cast<size_t>(block.first_line - 1 + block.num_lines);
    edges.src.resize(total);
    edges.dst.resize(total);
    for_each_line_parallel(block, reader.parse_threads(), [&](std::string_view line, int64_t line_number) {
      LineOrigin origin{path, line_number};
      CsvFields fields(line);
      std::string_view token;
      int64_t ids[2];
      int count = 0;
      while (fields.next(&token)) {
        TANGO_CHECK_INPUT(count < 2,
                          "'{}' line {}: expected two node ids 'u,v', found more values: fix the line", path,
                          line_number);
        ids[count] = parse_int_field(token, origin);
        TANGO_CHECK_INPUT(
            ids[count] >= 0 && ids[count] < num_nodes,
            "'{}' line {}: node id {} is outside [0, {}) (the node count in num-node-list.csv.gz): "
            "fix the edge or the count",
            path, line_number, ids[count], num_nodes);
        ++count;
      }
      TANGO_CHECK_INPUT(count == 2,
                        "'{}' line {}: expected two node ids 'u,v', found {}: fix or remove the line", path,
                        line_number, count);
      edges.src[static_cast<size_t>(line_number - 1)] = ids[0];
      edges.dst[static_cast<size_t>(line_number - 1)] = ids[1];
    });
  }
  TANGO_CHECK_INPUT(reader.lines_read() == expected_edges,
                    "'{}' has {} lines but '{}' says {} edges: the files disagree (re-create one of them)",
                    path, reader.lines_read(), edge_count_path, expected_edges);
  return edges;
}

int64_t count_fields(std::string_view line) {
  if (line.empty()) return 0;
  return 1 + std::count(line.begin(), line.end(), ',');
}

// f32 [num_nodes, F] with F taken from the first line.
Tensor read_feature_file(const std::string& path, int64_t num_nodes) {
  GzipLineReader reader(path);
  LineBlock block;
  TANGO_CHECK_INPUT(reader.next_block(&block), "'{}' is empty: it must hold one line of features per node",
                    path);
  const int64_t num_features = count_fields(detail::strip_cr(block.text.substr(0, block.text.find('\n'))));
  TANGO_CHECK_INPUT(num_features > 0, "'{}' line 1 is empty: it must hold the first node's features", path);
  Tensor features = Tensor::empty(DType::kF32, Shape::mat(num_nodes, num_features));
  float* out = features.data<float>();
  do {
    for_each_line_parallel(block, reader.parse_threads(), [&](std::string_view line, int64_t line_number) {
      TANGO_CHECK_INPUT(line_number <= num_nodes,
                        "'{}' has more than {} lines but num-node-list.csv.gz says {} nodes: the files "
                        "disagree (fix one of them)",
                        path, num_nodes, num_nodes);
      LineOrigin origin{path, line_number};
      float* row = out + (line_number - 1) * num_features;
      CsvFields fields(line);
      std::string_view token;
      int64_t col = 0;
      while (fields.next(&token)) {
        if (col == num_features) [[unlikely]]
          TANGO_FAIL_INPUT("'{}' line {}: {} values, expected {} like line 1: fix the line", path,
                           line_number, count_fields(line), num_features);
        row[col++] = parse_float_field(token, origin);
      }
      TANGO_CHECK_INPUT(col == num_features, "'{}' line {}: {} values, expected {} like line 1: fix the line",
                        path, line_number, col, num_features);
    });
  } while (reader.next_block(&block));
  TANGO_CHECK_INPUT(
      reader.lines_read() == num_nodes,
      "'{}' has {} lines but num-node-list.csv.gz says {} nodes: the files disagree (fix one of them)", path,
      reader.lines_read(), num_nodes);
  return features;
}

// i32 [num_nodes]; sets num_classes to max label + 1. Read first: its line count confirms the node
// count before anything is sized by it, so a wrong num-node-list.csv.gz cannot cause a huge allocation.
Tensor read_label_file(const std::string& path, int64_t num_nodes, int32_t* num_classes) {
  std::vector<int32_t> labels;
  int64_t max_label = -1, lines = 0;
  for_each_file_line(path, [&](std::string_view line, int64_t line_number) {
    TANGO_CHECK_INPUT(line_number <= num_nodes,
                      "'{}' has more than {} lines but num-node-list.csv.gz says {} nodes: the files "
                      "disagree (fix one of them)",
                      path, num_nodes, num_nodes);
    TANGO_CHECK_INPUT(
        count_fields(line) == 1,
        "'{}' line {}: expected one integer label, found {} values (multi-label data is not supported)", path,
        line_number, count_fields(line));
    int64_t label = parse_int_field(CsvFields::trimmed(line), {path, line_number});
    TANGO_CHECK_INPUT(
        label >= 0 && label <= INT32_MAX,
        "'{}' line {}: label {} is not a class index (labels must be 0, 1, 2, ...): fix the line", path,
        line_number, label);
    labels.push_back(static_cast<int32_t>(label));
    max_label = std::max(max_label, label);
    lines = line_number;
  });
  TANGO_CHECK_INPUT(
      lines == num_nodes,
      "'{}' has {} lines but num-node-list.csv.gz says {} nodes: the files disagree (fix one of them)", path,
      lines, num_nodes);
  TANGO_CHECK_INPUT(max_label < INT32_MAX, "'{}': label {} is too large", path, max_label);
  *num_classes = static_cast<int32_t>(max_label + 1);
  return Tensor::from(labels);
}

// A split file already read, which the next ones must not overlap.
struct ReadSplit {
  const char* name;
  std::string path;
  const Tensor* mask;
};

// u8 [num_nodes] with 1 at every id listed in the file. An id of an `earlier` split is an input error
// naming both files; an id listed twice in one file is counted once, with a warning.
Tensor read_split_file(const std::string& path, int64_t num_nodes, const std::vector<ReadSplit>& earlier) {
  Tensor mask = Tensor::zeros(DType::kU8, Shape::vec(num_nodes));
  uint8_t* out = mask.data<uint8_t>();
  int64_t lines = 0, duplicates = 0, first_duplicate_line = 0, first_duplicate = 0;
  for_each_file_line(path, [&](std::string_view line, int64_t line_number) {
    int64_t id = parse_int_field(CsvFields::trimmed(line), {path, line_number});
    TANGO_CHECK_INPUT(
        id >= 0 && id < num_nodes,
        "'{}' line {}: node id {} is outside [0, {}) (the node count in num-node-list.csv.gz): fix the "
        "split file",
        path, line_number, id, num_nodes);
    for (const ReadSplit& split : earlier) {
      TANGO_CHECK_INPUT(
          split.mask->data<uint8_t>()[id] == 0,
          "'{}' line {}: node {} is also in the {} split ('{}'): a node belongs to one split (remove "
          "it from one file)",
          path, line_number, id, split.name, split.path);
    }
    if (out[id] != 0 && duplicates++ == 0) {
      first_duplicate_line = line_number;
      first_duplicate = id;
    }
    out[id] = 1;
    lines = line_number;
  });
  TANGO_CHECK_INPUT(lines > 0, "'{}' is empty: a split needs at least one node id", path);
  if (duplicates > 0)
    spdlog::warn("'{}': {} node ids are listed more than once (first: node {} on line {}); each counts once",
                 path, duplicates, first_duplicate, first_duplicate_line);
  return mask;
}

std::string choose_split(const std::string& dir, const std::string& requested) {
  std::vector<std::string> names = ogb_split_names(dir);
  TANGO_CHECK_INPUT(!names.empty(), "'{}' has no split/<name>/ folder: add one with train/valid/test.csv.gz",
                    dir);
  if (requested.empty()) {
    TANGO_CHECK_INPUT(names.size() == 1, "'{}' has several splits ({}): pass --split NAME to pick one", dir,
                      join_names(names));
    return names.front();
  }
  TANGO_CHECK_INPUT(std::find(names.begin(), names.end(), requested) != names.end(),
                    "'{}' has no split '{}': the available splits are {}", dir, requested, join_names(names));
  return requested;
}

// The folder's own name ("cora" for "/data/cora/" or "cora/.").
std::string folder_name(const std::string& dir) {
  fs::path path = fs::absolute(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

}  // namespace

std::vector<std::string> ogb_split_names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(dir) / "split", ec))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Dataset read_ogb_dir(const std::string& dir, const std::string& split) {
  TANGO_CHECK_INPUT(fs::is_directory(dir),
                    "'{}' is not a folder: give a dataset folder in the OGB raw layout", dir);
  TANGO_CHECK_INPUT(fs::is_directory(fs::path(dir) / "raw"),
                    "'{}' has no raw/ folder: it is not in the OGB raw layout (raw/edge.csv.gz, ...)", dir);
  const fs::path raw = fs::path(dir) / "raw";
  Dataset dataset;
  dataset.name = folder_name(dir);
  dataset.split_name = choose_split(dir, split);

  const std::string node_count_path = (raw / "num-node-list.csv.gz").string();
  const std::string edge_count_path = (raw / "num-edge-list.csv.gz").string();
  const int64_t num_nodes = read_count_file(node_count_path);
  TANGO_CHECK_INPUT(num_nodes > 0, "'{}' says the graph has no nodes", node_count_path);
  const int64_t num_edges = read_count_file(edge_count_path);
  dataset.labels = read_label_file((raw / "node-label.csv.gz").string(), num_nodes, &dataset.num_classes);

  const std::string edge_path = (raw / "edge.csv.gz").string();
  EdgeList edges = read_edge_file(edge_path, num_nodes, num_edges, edge_count_path);
  dataset.graph = build_symmetric_csr(num_nodes, edges.src, edges.dst, &dataset.cleanup, edge_path);
  edges = {};
  if (dataset.cleanup.self_loops > 0 || dataset.cleanup.duplicates > 0)
    spdlog::info("{}: dropped {} self-loops and {} duplicate directed edges", edge_path,
                 dataset.cleanup.self_loops, dataset.cleanup.duplicates);

  dataset.features = read_feature_file((raw / "node-feat.csv.gz").string(), num_nodes);

  const fs::path split_dir = fs::path(dir) / "split" / dataset.split_name;
  std::vector<ReadSplit> read;
  Tensor* masks[] = {&dataset.train_mask, &dataset.valid_mask, &dataset.test_mask};
  const char* names[] = {"train", "valid", "test"};
  for (int s = 0; s < 3; ++s) {
    const std::string path = (split_dir / (std::string(names[s]) + ".csv.gz")).string();
    *masks[s] = read_split_file(path, num_nodes, read);
    read.push_back({names[s], path, masks[s]});
  }

  validate_dataset(dataset, dir);
  return dataset;
}

}  // namespace tango::io
