#include "io/dataset.h"

#include "core/error.h"

namespace tango::io {

int64_t count_mask(const Tensor& mask) {
  const uint8_t* m = mask.data<uint8_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < mask.numel(); ++i) count += m[i] != 0;
  return count;
}

void validate_dataset(const Dataset& d, const std::string& origin) {
  const int64_t n = d.num_nodes();
  TANGO_CHECK_INPUT(n > 0, "{}: the graph has no nodes", origin);
  TANGO_CHECK_INPUT(d.graph.indptr.defined() && d.graph.indptr.numel() == n + 1,
                    "{}: indptr has {} entries, expected num_nodes + 1 = {}", origin,
                    d.graph.indptr.defined() ? d.graph.indptr.numel() : 0, n + 1);
  TANGO_CHECK_INPUT(d.features.defined() && d.features.ndim() == 2 && d.features.rows() == n,
                    "{}: features have {} rows but the graph has {} nodes: the files disagree", origin,
                    d.features.defined() ? d.features.rows() : 0, n);
  TANGO_CHECK_INPUT(d.labels.defined() && d.labels.numel() == n,
                    "{}: {} labels for {} nodes: the label file must have one line per node", origin,
                    d.labels.defined() ? d.labels.numel() : 0, n);
  TANGO_CHECK_INPUT(d.num_classes > 0, "{}: no classes", origin);
  const int32_t* labels = d.labels.data<int32_t>();
  for (int64_t v = 0; v < n; ++v)
    TANGO_CHECK_INPUT(labels[v] >= 0 && labels[v] < d.num_classes, "{}: node {} has label {} outside [0, {})",
                      origin, v, labels[v], d.num_classes);
  const char* names[] = {"train", "valid", "test"};
  const Tensor* masks[] = {&d.train_mask, &d.valid_mask, &d.test_mask};
  for (int s = 0; s < 3; ++s) {
    TANGO_CHECK_INPUT(masks[s]->defined() && masks[s]->numel() == n,
                      "{}: the {} mask does not cover {} nodes", origin, names[s], n);
    TANGO_CHECK_INPUT(count_mask(*masks[s]) > 0, "{}: the {} split is empty: give it at least one node id",
                      origin, names[s]);
  }
  // A node evaluated in the split it trains on would inflate every accuracy: the splits are disjoint.
  const uint8_t* m[3] = {d.train_mask.data<uint8_t>(), d.valid_mask.data<uint8_t>(),
                         d.test_mask.data<uint8_t>()};
  for (int64_t v = 0; v < n; ++v) {
    for (int a = 0; a < 3; ++a) {
      for (int b = a + 1; b < 3; ++b) {
        TANGO_CHECK_INPUT(
            !(m[a][v] && m[b][v]),
            "{}: node {} is in both the {} and the {} split: a node belongs to one split (fix the "
            "split files)",
            origin, v, names[a], names[b]);
      }
    }
  }
}

}  // namespace tango::io
