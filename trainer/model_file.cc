#include "trainer/model_file.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "core/error.h"
#include "io/content_hash.h"

namespace tango::trainer {
namespace {

constexpr const char* kFormat = "tango-model";
constexpr const char* kModelFileFormatVersion = "1";

// Where one Tango parameter goes in the PyG state_dict (the table in model_file.h).
struct PygTensor {
  std::string name;
  std::vector<int64_t> shape;  // in the file
  bool transposed = false;     // Tango [in, out] <-> torch [out, in]
};

PygTensor pyg_tensor(ModelKind kind, const Parameter& parameter) {
  const std::string& name = parameter.name;  // "layer<L>.<what>"
  const size_t dot = name.find('.');
  TANGO_CHECK(name.starts_with("layer") && dot != std::string::npos,
              "parameter name '{}' is not layer<L>.<what>", name);
  const std::string layer = name.substr(5, dot - 5), what = name.substr(dot + 1);
  const Tensor& value = parameter.value;
  const std::vector<int64_t> transposed_shape = {value.cols(), value.rows()};
  const std::vector<int64_t> vector_shape = {value.numel()};
  auto weight = [&](const std::string& pyg) {
    return PygTensor{"convs." + layer + "." + pyg, transposed_shape, true};
  };
  auto vector = [&](const std::string& pyg) {
    return PygTensor{"convs." + layer + "." + pyg, vector_shape, false};
  };
  switch (kind) {
    case ModelKind::kGCN:
      if (what == "weight") return weight("lin.weight");
      if (what == "bias") return vector("bias");
      break;
    case ModelKind::kSAGE:
      if (what == "neighbour_weight") return weight("lin_l.weight");
      if (what == "bias") return vector("lin_l.bias");
      if (what == "root_weight") return weight("lin_r.weight");
      break;
    case ModelKind::kGAT:
      if (what == "weight") return weight("lin.weight");
      if (what == "attention_src" || what == "attention_dst")
        return {"convs." + layer + (what == "attention_src" ? ".att_src" : ".att_dst"),
                {1, value.rows(), value.cols()},
                false};
      if (what == "bias") return vector("bias");
      break;
    case ModelKind::kMLP:
      if (what == "weight") return weight("weight");
      if (what == "bias") return vector("bias");
      break;
  }
  TANGO_FAIL("no PyG name for parameter '{}' of a {} model", name, model_name(kind));
}

Tensor transpose(const Tensor& m) {
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(m.cols(), m.rows()));
  const float* in = m.data<float>();
  float* o = out.data<float>();
  for (int64_t r = 0; r < m.rows(); ++r) {
    for (int64_t c = 0; c < m.cols(); ++c) o[c * m.rows() + r] = in[r * m.cols() + c];
  }
  return out;
}

// A model of `spec` with freshly drawn weights: the parameter names and shapes the file must match.
Model model_of(const ModelSpec& spec) {
  TrainConfig config;
  spec.apply_to(config);
  return Model(config, spec.in_features, spec.num_classes);
}

std::string pyg_description(const ModelSpec& spec) {
  std::string text;
  int64_t in = spec.in_features;
  for (int l = 0; l < spec.layers; ++l) {
    const bool last = l + 1 == spec.layers;
    const int64_t out = last ? spec.num_classes : spec.hidden;
    std::string conv;
    switch (spec.model) {
      case ModelKind::kGCN: conv = fmt::format("GCNConv({}, {}, cached=True)", in, out); break;
      case ModelKind::kSAGE:
        conv = fmt::format("SAGEConv({}, {}, aggr='mean', root_weight=True)", in, out);
        break;
      case ModelKind::kGAT:
        conv = fmt::format("GATConv({}, {}, heads={}, concat={})", in, out, last ? 1 : spec.heads,
                           last ? "False" : "True");
        break;
      case ModelKind::kMLP: conv = fmt::format("Linear({}, {})", in, out); break;
    }
    text += (l > 0 ? "; " : "") + conv;
    in = spec.model == ModelKind::kGAT && !last ? out * spec.heads : out;
  }
  return text;
}

// A metadata value, parsed; input errors name the file and the key.
const std::string& metadata_value(const io::SafetensorsFile& file, const std::string& key,
                                  const std::string& path) {
  auto it = file.metadata.find(key);
  TANGO_CHECK_INPUT(it != file.metadata.end(),
                    "model file '{}' has no '{}' in its __metadata__: it is not a Tango/PyG model file (see "
                    "trainer/model_file.h for the keys)",
                    path, key);
  return it->second;
}

int64_t metadata_int(const io::SafetensorsFile& file, const std::string& key, const std::string& path,
                     int64_t min, int64_t max) {
  const std::string& text = metadata_value(file, key, path);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  TANGO_CHECK_INPUT(ec == std::errc() && end == text.data() + text.size() && value >= min && value <= max,
                    "model file '{}': __metadata__ '{}' is '{}', expected an integer in [{}, {}]", path, key,
                    text, min, max);
  return value;
}

ModelSpec spec_from_metadata(const io::SafetensorsFile& file, const std::string& path) {
  if (auto it = file.metadata.find("format_version"); it != file.metadata.end())
    TANGO_CHECK_INPUT(it->second == kModelFileFormatVersion,
                      "model file '{}' has format_version {}; this tango-predict reads version {}", path,
                      it->second, kModelFileFormatVersion);
  ModelSpec spec;
  const std::string& model = metadata_value(file, "model", path);
  const std::map<std::string, ModelKind> kinds = {{"gcn", ModelKind::kGCN},
                                                  {"sage", ModelKind::kSAGE},
                                                  {"gat", ModelKind::kGAT},
                                                  {"mlp", ModelKind::kMLP}};
  auto kind = kinds.find(model);
  TANGO_CHECK_INPUT(kind != kinds.end(),
                    "model file '{}': __metadata__ 'model' is '{}', expected gcn, sage, gat or mlp", path,
                    model);
  spec.model = kind->second;
  spec.layers = static_cast<int>(metadata_int(file, "layers", path, 1, 16));
  spec.in_features = metadata_int(file, "in_features", path, 1, INT64_MAX);
  spec.hidden = static_cast<int>(metadata_int(file, "hidden", path, 1, 65536));
  spec.heads = static_cast<int>(metadata_int(file, "heads", path, 1, 64));
  spec.num_classes = static_cast<int32_t>(metadata_int(file, "num_classes", path, 1, INT32_MAX));
  spec.activation = metadata_value(file, "activation", path);
  TANGO_CHECK_INPUT(spec.activation == "relu" || spec.activation == "elu",
                    "model file '{}': __metadata__ 'activation' is '{}', expected relu or elu", path,
                    spec.activation);
  const std::string& normalize = metadata_value(file, "normalize_features", path);
  TANGO_CHECK_INPUT(normalize == "true" || normalize == "false",
                    "model file '{}': __metadata__ 'normalize_features' is '{}', expected true or false",
                    path, normalize);
  spec.normalize_features = normalize == "true";
  return spec;
}

// The training dataset the dataset_* keys record; none when the file has none of them (a PyG export).
std::optional<io::DatasetIdentity> dataset_from_metadata(const io::SafetensorsFile& file,
                                                         const std::string& path) {
  const auto& meta = file.metadata;
  if (!meta.contains("dataset_nodes") && !meta.contains("dataset_edges") &&
      !meta.contains("dataset_checksum"))
    return std::nullopt;
  TANGO_CHECK_INPUT(
      meta.contains("dataset_nodes") && meta.contains("dataset_edges") && meta.contains("dataset_checksum"),
      "model file '{}' records its training dataset in part: __metadata__ needs dataset_nodes, "
      "dataset_edges and dataset_checksum together (or none of them)",
      path);
  io::DatasetIdentity dataset;
  auto name = meta.find("dataset_name");
  dataset.name = name != meta.end() ? name->second : "?";
  dataset.nodes = metadata_int(file, "dataset_nodes", path, 0, INT64_MAX);
  dataset.edges = metadata_int(file, "dataset_edges", path, 0, INT64_MAX);
  const std::string& checksum = metadata_value(file, "dataset_checksum", path);
  TANGO_CHECK_INPUT(io::parse_hex64(checksum, &dataset.checksum),
                    "model file '{}': __metadata__ 'dataset_checksum' is '{}', expected 16 hex digits", path,
                    checksum);
  return dataset;
}

}  // namespace

std::map<std::string, std::string> dataset_metadata(const io::DatasetIdentity& dataset) {
  return {{"dataset_name", dataset.name},
          {"dataset_nodes", std::to_string(dataset.nodes)},
          {"dataset_edges", std::to_string(dataset.edges)},
          {"dataset_checksum", io::hex64(dataset.checksum)}};
}

ModelSpec ModelSpec::of(const TrainConfig& config, int64_t in_features, int32_t num_classes) {
  ModelSpec spec;
  spec.model = config.model;
  spec.layers = config.layers;
  spec.in_features = in_features;
  spec.hidden = config.hidden;
  spec.heads = config.model == ModelKind::kGAT ? config.heads : 1;
  spec.num_classes = num_classes;
  spec.activation = config.activation;
  spec.normalize_features = config.normalize_features;
  return spec;
}

void ModelSpec::apply_to(TrainConfig& config) const {
  config.model = model;
  config.layers = layers;
  config.hidden = hidden;
  config.heads = heads;
  config.activation = activation;
  config.normalize_features = normalize_features;
}

std::map<std::string, std::string> ModelSpec::metadata() const {
  std::string widths = std::to_string(in_features);
  for (int l = 0; l + 1 < layers; ++l)
    widths += fmt::format(",{}", model == ModelKind::kGAT ? static_cast<int64_t>(hidden) * heads : hidden);
  widths += fmt::format(",{}", num_classes);
  return {{"format", kFormat},
          {"format_version", kModelFileFormatVersion},
          {"model", model_name(model)},
          {"layers", std::to_string(layers)},
          {"in_features", std::to_string(in_features)},
          {"hidden", std::to_string(hidden)},
          {"heads", std::to_string(heads)},
          {"num_classes", std::to_string(num_classes)},
          {"activation", activation},
          {"normalize_features", normalize_features ? "true" : "false"},
          {"widths", widths},
          {"pyg", pyg_description(*this)}};
}

void save_model_file(const std::string& path, const ModelSpec& spec,
                     const std::map<std::string, Tensor>& weights,
                     const std::map<std::string, std::string>& extra) {
  io::SafetensorsFile file;
  file.metadata = extra;
  for (const auto& [key, value] : spec.metadata()) file.metadata[key] = value;
  Model model = model_of(spec);
  for (Parameter* p : model.parameters()) {
    auto it = weights.find(p->name);
    TANGO_CHECK(it != weights.end() && it->second.shape() == p->value.shape(),
                "no weight '{}' of shape {} to save", p->name, p->value.shape().str());
    const Tensor host = it->second.device().is_cpu() ? it->second : it->second.to(Device::cpu());
    const PygTensor target = pyg_tensor(spec.model, *p);
    file.tensors[target.name] =
        io::safetensors_entry(target.transposed ? transpose(host) : host, target.shape);
  }
  io::write_safetensors(path, file);
}

LoadedModel load_model_file(const std::string& path) {
  const io::SafetensorsFile file = io::read_safetensors(path);
  LoadedModel loaded;
  loaded.spec = spec_from_metadata(file, path);
  loaded.dataset = dataset_from_metadata(file, path);
  loaded.metadata = file.metadata;
  const ModelSpec& spec = loaded.spec;
  const std::string what = fmt::format("a {}-layer {} with {} input features and {} classes", spec.layers,
                                       model_name(spec.model), spec.in_features, spec.num_classes);
  Model model = model_of(spec);
  std::set<std::string> expected;
  for (Parameter* p : model.parameters()) {
    const PygTensor source = pyg_tensor(spec.model, *p);
    expected.insert(source.name);
    auto it = file.tensors.find(source.name);
    TANGO_CHECK_INPUT(it != file.tensors.end(),
                      "model file '{}' has no tensor '{}', which {} has (a model of another architecture?)",
                      path, source.name, what);
    const io::SafetensorsEntry& entry = it->second;
    TANGO_CHECK_INPUT(entry.shape == source.shape && entry.values.dtype() == DType::kF32,
                      "model file '{}': tensor '{}' is {} {}, but {} needs it {} f32", path, source.name,
                      io::shape_str(entry.shape), dtype_name(entry.values.dtype()), what,
                      io::shape_str(source.shape));
    loaded.weights[p->name] =
        source.transposed ? transpose(entry.values.reshaped(Shape::mat(p->value.cols(), p->value.rows())))
                          : entry.values.reshaped(p->value.shape()).clone();
  }
  for (const auto& [name, entry] : file.tensors) {
    TANGO_CHECK_INPUT(expected.count(name) > 0,
                      "model file '{}' has tensor '{}' {}, which {} does not have (a model of another "
                      "architecture?)",
                      path, name, io::shape_str(entry.shape), what);
  }
  return loaded;
}

void set_weights(Model& model, const std::map<std::string, Tensor>& weights, const std::string& origin) {
  for (Parameter* p : model.parameters()) {
    auto it = weights.find(p->name);
    TANGO_CHECK_INPUT(it != weights.end() && it->second.numel() == p->value.numel(),
                      "{} has no weight '{}' of {} values", origin, p->name, p->value.numel());
    p->value.copy_from(it->second.reshaped(p->value.shape()));
  }
}

std::map<std::string, Tensor> weights_of(Model& model) {
  std::map<std::string, Tensor> weights;
  for (Parameter* p : model.parameters()) weights[p->name] = p->value.to(Device::cpu());
  return weights;
}

}  // namespace tango::trainer
