// The synthetic dataset generator: a degree-corrected stochastic block model (see synthetic.h for the
// model). Every random draw comes from CounterRng(seed, stream, item), so the bytes produced depend on
// the spec alone, never on the number of OpenMP threads or on scheduling.
#include "io/synthetic.h"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/counter_rng.h"

namespace tango::io {

namespace {

// Independent random streams, one per use.
enum Stream : uint64_t { kClassOrder = 1, kDegreePropensity, kEdges, kCentroids, kFeatures, kSplitOrder };

constexpr double kDegreeExponent = 2.3;        // density exponent of the Pareto degree propensity
constexpr double kEdgeCountTolerance = 0.005;  // stop drawing once this close below the target
constexpr int kMaxEdgeRounds = 8;
constexpr double kMaxRoundGrowth = 4;         // a later round draws at most this many times the edges
constexpr double kMaxDrawsPerTargetEdge = 2;  // undirected draws per directed edge wanted, at most
constexpr int64_t kMinDrawLimit = 4096;       // ... but tiny dense graphs may always draw this many
constexpr const char* kSplitName = "random-60-20-20";

// A seeded random permutation of [0, n): nodes sorted by a per-node random key (ties by id).
std::vector<int64_t> random_order(int64_t n, uint64_t seed, Stream stream) {
  std::vector<std::pair<uint64_t, int64_t>> keyed(n);
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < n; ++v) keyed[v] = {CounterRng(seed, stream, v).next_u64(), v};
  std::sort(keyed.begin(), keyed.end());
  std::vector<int64_t> order(n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  return order;
}

// One slot of an alias table over nodes: keep `node` with probability `accept`, else take `alias_node`.
// Both node ids sit in the slot so that a draw touches one cache line.
struct alignas(32) AliasSlot {
  double accept = 1;
  int64_t node = 0;
  int64_t alias_node = 0;
};

// Walker's alias method (Vose's construction) over `weights`: afterwards slot i is kept with
// probability accept[i] and otherwise replaced by alias[i], which samples i ~ weights in O(1).
void build_alias_table(std::span<const double> weights, std::span<double> accept, std::span<int64_t> alias) {
  const int64_t size = static_cast<int64_t>(weights.size());
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> scaled(size);
  std::vector<int64_t> small, large;
  for (int64_t i = 0; i < size; ++i) {
    scaled[i] = weights[i] * static_cast<double>(size) / total;
    (scaled[i] < 1 ? small : large).push_back(i);
  }
  while (!small.empty() && !large.empty()) {
    const int64_t lo = small.back(), hi = large.back();
    small.pop_back();
    accept[lo] = scaled[lo];
    alias[lo] = hi;
    scaled[hi] = (scaled[hi] + scaled[lo]) - 1;
    if (scaled[hi] < 1) {
      large.pop_back();
      small.push_back(hi);
    }
  }
  // What is left is 1 up to rounding.
  for (int64_t i : large) accept[i] = 1, alias[i] = i;
  for (int64_t i : small) accept[i] = 1, alias[i] = i;
}

// Samples nodes ~ theta, either within one class or over all nodes (a class ~ its theta mass, then a
// node within it).
class ClassSampler {
 public:
  ClassSampler(std::span<const int64_t> class_order, std::span<const double> theta, int32_t classes)
      : classes_(classes),
        offset_(classes + 1, 0),
        slots_(class_order.size()),
        class_accept_(classes),
        class_alias_(classes) {
    const int64_t n = static_cast<int64_t>(class_order.size());
    // Position i of the order holds class i % classes: class c gets positions c, c + C, ...
    for (int32_t c = 0; c < classes; ++c) offset_[c + 1] = offset_[c] + (n - c + classes - 1) / classes;
    std::vector<double> class_mass(classes, 0);
#pragma omp parallel for schedule(dynamic, 1)
    for (int32_t c = 0; c < classes; ++c) {
      const int64_t begin = offset_[c], size = offset_[c + 1] - begin;
      std::vector<int64_t> members(size), alias(size);
      std::vector<double> weights(size), accept(size);
      for (int64_t i = 0; i < size; ++i) {
        members[i] = class_order[c + i * classes];
        weights[i] = theta[members[i]];
        class_mass[c] += weights[i];
      }
      build_alias_table(weights, accept, alias);
      for (int64_t i = 0; i < size; ++i) slots_[begin + i] = {accept[i], members[i], members[alias[i]]};
    }
    build_alias_table(class_mass, class_accept_, class_alias_);
  }

  int32_t classes() const {
    return classes_;
  }

  int32_t sample_class(CounterRng& rng) const {
    const int64_t slot = static_cast<int64_t>(rng.below(classes_));
    return static_cast<int32_t>(rng.uniform() < class_accept_[slot] ? slot : class_alias_[slot]);
  }

  int64_t sample_in_class(int32_t c, CounterRng& rng) const {
    const int64_t begin = offset_[c];
    const AliasSlot& slot = slots_[begin + static_cast<int64_t>(rng.below(offset_[c + 1] - begin))];
    return rng.uniform() < slot.accept ? slot.node : slot.alias_node;
  }

 private:
  int32_t classes_;
  std::vector<int64_t> offset_;   // [classes + 1]: class c's slots are [offset_[c], offset_[c + 1])
  std::vector<AliasSlot> slots_;  // per-class alias tables over the class's nodes, class by class
  std::vector<double> class_accept_;
  std::vector<int64_t> class_alias_;
};

// Pareto(x_min = 1, density exponent kDegreeExponent) capped at n^hub_exponent, by inverse transform.
std::vector<double> degree_propensity(int64_t n, double hub_exponent, uint64_t seed) {
  const double cap = std::max(1.0, hub_exponent == 0.5 ? std::sqrt(static_cast<double>(n))
                                                       : std::pow(static_cast<double>(n), hub_exponent));
  const double power = -1.0 / (kDegreeExponent - 1.0);
  std::vector<double> theta(n);
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < n; ++v)
    theta[v] = std::min(cap, std::pow(CounterRng(seed, kDegreePropensity, v).uniform_positive(), power));
  return theta;
}

// Draws edges [src.size(), total) into src/dst (earlier edges are kept: edge e depends on e alone).
void draw_edges(const ClassSampler& sampler, const SyntheticSpec& spec, int64_t total,
                std::vector<int64_t>& src, std::vector<int64_t>& dst) {
  const int64_t first = static_cast<int64_t>(src.size());
  src.resize(total);
  dst.resize(total);
  const int32_t classes = sampler.classes();
#pragma omp parallel for schedule(static)
  for (int64_t e = first; e < total; ++e) {
    CounterRng rng(spec.seed, kEdges, e);
    const int32_t source_class = sampler.sample_class(rng);
    int32_t target_class = source_class;
    if (rng.uniform() >= spec.homophily)
      target_class = static_cast<int32_t>((source_class + 1 + rng.below(classes - 1)) % classes);
    src[e] = sampler.sample_in_class(source_class, rng);
    dst[e] = sampler.sample_in_class(target_class, rng);
  }
}

// Draws edges in rounds until the symmetric CSR holds about nodes * avg_degree directed edges: self-loops
// and duplicates are dropped, so the first round always falls a little short.
Graph draw_graph(const ClassSampler& sampler, const SyntheticSpec& spec, EdgeCleanup& cleanup) {
  const double target = static_cast<double>(spec.nodes) * spec.avg_degree;
  int64_t undirected = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(target / 2)));
  const int64_t draw_limit =
      std::max(kMinDrawLimit, static_cast<int64_t>(std::ceil(kMaxDrawsPerTargetEdge * target)));
  std::vector<int64_t> src, dst;
  Graph graph;
  for (int round = 1;; ++round) {
    draw_edges(sampler, spec, undirected, src, dst);
    graph = Graph();  // free the previous attempt before building the next
    graph = build_symmetric_csr(spec.nodes, src, dst, &cleanup, spec.str());
    const double kept = static_cast<double>(graph.num_edges());
    if (kept >= target * (1 - kEdgeCountTolerance) || round == kMaxEdgeRounds || undirected == draw_limit) {
      if (kept < target * (1 - kEdgeCountTolerance))
        spdlog::warn(
            "{}: only {} of {:.0f} directed edges after drawing {} edges: too dense for its degree "
            "distribution, or too few nodes per class for its homophily",
            spec.str(), graph.num_edges(), target, undirected);
      return graph;
    }
    // Scale by the kept fraction seen so far; duplicates grow with density, so this lands at or just
    // below the target and another round closes the rest.
    const double drawn = 2.0 * static_cast<double>(undirected);
    const double growth = kept > 0 ? std::min(kMaxRoundGrowth, target / kept) : kMaxRoundGrowth;
    undirected =
        std::min(draw_limit, std::max(undirected + 1, static_cast<int64_t>(std::ceil(drawn * growth / 2))));
  }
}

// x_v = centroid[class(v)] + N(0, I); centroids are random directions of norm kSyntheticSignal.
Tensor class_features(const SyntheticSpec& spec, const std::vector<int32_t>& labels) {
  const int64_t n = spec.nodes, f = spec.features;
  std::vector<float> centroids(static_cast<size_t>(spec.classes) * f);
  for (int32_t c = 0; c < spec.classes; ++c) {
    CounterRng rng(spec.seed, kCentroids, c);
    std::vector<double> direction(f + 1);
    for (int64_t j = 0; j < f; j += 2) rng.normal_pair(direction[j], direction[j + 1]);
    double norm = 0;
    for (int64_t j = 0; j < f; ++j) norm += direction[j] * direction[j];
    const double scale = kSyntheticSignal / std::sqrt(std::max(norm, 1e-300));
    for (int64_t j = 0; j < f; ++j) centroids[c * f + j] = static_cast<float>(direction[j] * scale);
  }
  Tensor features = Tensor::empty(DType::kF32, Shape::mat(n, f));
  float* out = features.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < n; ++v) {
    CounterRng rng(spec.seed, kFeatures, v);
    const float* centroid = centroids.data() + labels[v] * f;
    float* row = out + v * f;
    double noise[2];
    for (int64_t j = 0; j < f; j += 2) {
      rng.normal_pair(noise[0], noise[1]);
      row[j] = centroid[j] + static_cast<float>(noise[0]);
      if (j + 1 < f) row[j + 1] = centroid[j + 1] + static_cast<float>(noise[1]);
    }
  }
  return features;
}

// Train/valid/test masks from a seeded permutation: the first 60% train, the next 20% valid, the rest test
// (each at least one node).
void random_split(const SyntheticSpec& spec, Dataset& dataset) {
  const int64_t n = spec.nodes;
  const int64_t train = n / 5 * 3 + n % 5 * 3 / 5;  // floor(0.6 n) without overflow
  const int64_t valid = std::max<int64_t>(1, n / 5);
  TANGO_CHECK(train + valid < n, "split of {} nodes into {} train and {} valid leaves no test node", n, train,
              valid);
  const std::vector<int64_t> order = random_order(n, spec.seed, kSplitOrder);
  dataset.train_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  dataset.valid_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  dataset.test_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  uint8_t* masks[] = {dataset.train_mask.data<uint8_t>(), dataset.valid_mask.data<uint8_t>(),
                      dataset.test_mask.data<uint8_t>()};
  for (int64_t i = 0; i < n; ++i) masks[i < train ? 0 : i < train + valid ? 1 : 2][order[i]] = 1;
}

}  // namespace

Dataset generate_synthetic(const SyntheticSpec& spec) {
  validate_synthetic_spec(spec);
  const int64_t n = spec.nodes;
  Dataset dataset;
  dataset.name = spec.str();
  dataset.split_name = kSplitName;
  dataset.num_classes = spec.classes;

  // Balanced classes: the seeded order dealt round-robin.
  const std::vector<int64_t> class_order = random_order(n, spec.seed, kClassOrder);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[class_order[i]] = static_cast<int32_t>(i % spec.classes);

  {
    const ClassSampler sampler(class_order, degree_propensity(n, spec.hub_exponent, spec.seed), spec.classes);
    dataset.graph = draw_graph(sampler, spec, dataset.cleanup);
  }
  dataset.features = class_features(spec, labels);
  dataset.labels = Tensor::from(labels);
  random_split(spec, dataset);
  spdlog::info("{}: {} directed edges from {} drawn ({} self-loops, {} duplicates dropped)", dataset.name,
               dataset.graph.num_edges(), dataset.cleanup.input_edges, dataset.cleanup.self_loops,
               dataset.cleanup.duplicates);
  return dataset;
}

}  // namespace tango::io
