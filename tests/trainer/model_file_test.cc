// trainer/model_file: the model file carries PyG's state_dict names and layouts (weights transposed,
// GAT's attention vectors [1, H, D]), the architecture in __metadata__, and reads back to the same Tango
// weights bit for bit; a file of another architecture, a missing key and a dataset of another width are
// input errors naming the file and the mismatch; the training dataset's identity is recorded and checked.
#include "trainer/model_file.h"

#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/predict.h"

namespace tango::trainer {
namespace {

ModelSpec spec_of(ModelKind kind) {
  TrainConfig config;
  config.model = kind;
  config.hidden = 4;
  config.heads = 3;
  config.activation = kind == ModelKind::kGAT ? "elu" : "relu";
  config.normalize_features = true;
  return ModelSpec::of(config, 5, 2);
}

// A model of `spec` whose weights are its Glorot draw (seeded): distinct values in every tensor.
std::map<std::string, Tensor> weights_for(const ModelSpec& spec) {
  TrainConfig config;
  spec.apply_to(config);
  config.seed = 7;
  Model model(config, spec.in_features, spec.num_classes);
  return weights_of(model);
}

TEST(ModelFile, TensorsCarryPygNamesAndLayouts) {
  const std::map<ModelKind, std::map<std::string, std::vector<int64_t>>> expected = {
      {ModelKind::kGCN,
       {{"convs.0.lin.weight", {4, 5}},
        {"convs.0.bias", {4}},
        {"convs.1.lin.weight", {2, 4}},
        {"convs.1.bias", {2}}}},
      {ModelKind::kSAGE,
       {{"convs.0.lin_l.weight", {4, 5}},
        {"convs.0.lin_l.bias", {4}},
        {"convs.0.lin_r.weight", {4, 5}},
        {"convs.1.lin_l.weight", {2, 4}},
        {"convs.1.lin_l.bias", {2}},
        {"convs.1.lin_r.weight", {2, 4}}}},
      {ModelKind::kGAT,
       {{"convs.0.lin.weight", {12, 5}},
        {"convs.0.att_src", {1, 3, 4}},
        {"convs.0.att_dst", {1, 3, 4}},
        {"convs.0.bias", {12}},
        {"convs.1.lin.weight", {2, 12}},
        {"convs.1.att_src", {1, 1, 2}},
        {"convs.1.att_dst", {1, 1, 2}},
        {"convs.1.bias", {2}}}},
      {ModelKind::kMLP,
       {{"convs.0.weight", {4, 5}},
        {"convs.0.bias", {4}},
        {"convs.1.weight", {2, 4}},
        {"convs.1.bias", {2}}}}};
  tango::testing::TempDir dir;
  for (const auto& [kind, tensors] : expected) {
    SCOPED_TRACE(model_name(kind));
    const ModelSpec spec = spec_of(kind);
    const std::map<std::string, Tensor> weights = weights_for(spec);
    const std::string path = dir.file(std::string(model_name(kind)) + ".safetensors");
    save_model_file(path, spec, weights, {{"test_acc", "0.5"}});
    const io::SafetensorsFile file = io::read_safetensors(path);
    ASSERT_EQ(file.tensors.size(), tensors.size());
    for (const auto& [name, shape] : tensors) {
      ASSERT_TRUE(file.tensors.count(name)) << name;
      EXPECT_EQ(file.tensors.at(name).shape, shape) << name;
    }
    EXPECT_EQ(file.metadata.at("model"), model_name(kind));
    EXPECT_EQ(file.metadata.at("in_features"), "5");
    EXPECT_EQ(file.metadata.at("num_classes"), "2");
    EXPECT_EQ(file.metadata.at("normalize_features"), "true");
    EXPECT_EQ(file.metadata.at("test_acc"), "0.5");
    EXPECT_EQ(file.metadata.at("widths"), kind == ModelKind::kGAT ? "5,12,2" : "5,4,2");
    // torch's [out, in] is Tango's [in, out] transposed.
    const std::string first_weight = kind == ModelKind::kSAGE  ? "convs.0.lin_r.weight"
                                     : kind == ModelKind::kMLP ? "convs.0.weight"
                                                               : "convs.0.lin.weight";
    const std::string tango_name = kind == ModelKind::kSAGE ? "layer0.root_weight" : "layer0.weight";
    const std::vector<float> torch_layout = file.tensors.at(first_weight).values.to_vector<float>();
    const Tensor& tango_layout = weights.at(tango_name);
    for (int64_t i = 0; i < tango_layout.rows(); ++i) {
      for (int64_t o = 0; o < tango_layout.cols(); ++o)
        EXPECT_EQ(torch_layout[o * tango_layout.rows() + i],
                  tango_layout.data<float>()[i * tango_layout.cols() + o]);
    }

    const LoadedModel back = load_model_file(path);
    EXPECT_EQ(back.spec.model, kind);
    EXPECT_EQ(back.spec.hidden, 4);
    EXPECT_EQ(back.spec.heads, kind == ModelKind::kGAT ? 3 : 1);
    EXPECT_EQ(back.spec.activation, spec.activation);
    EXPECT_TRUE(back.spec.normalize_features);
    ASSERT_EQ(back.weights.size(), weights.size());
    for (const auto& [name, value] : weights) {
      EXPECT_EQ(back.weights.at(name).shape(), value.shape()) << name;
      EXPECT_EQ(back.weights.at(name).to_vector<float>(), value.to_vector<float>()) << name;
    }
  }
}

TEST(ModelFile, AFileOfAnotherArchitectureIsAnInputError) {
  tango::testing::TempDir dir;
  const ModelSpec sage = spec_of(ModelKind::kSAGE);
  const std::string path = dir.file("sage.safetensors");
  save_model_file(path, sage, weights_for(sage));
  // The same tensors under metadata that says GCN: GCN's lin.weight is missing.
  io::SafetensorsFile file = io::read_safetensors(path);
  file.metadata["model"] = "gcn";
  io::write_safetensors(path, file);
  tango::testing::expect_input_error([&] { load_model_file(path); },
                                     {path, "convs.0.lin.weight", "another architecture"});
  // A tensor of the wrong width.
  file.metadata["model"] = "sage";
  file.metadata["in_features"] = "6";
  io::write_safetensors(path, file);
  tango::testing::expect_input_error([&] { load_model_file(path); },
                                     {path, "convs.0.lin_r.weight", "[4, 5]", "[4, 6]"});
  // A tensor the architecture does not have.
  file.metadata["in_features"] = "5";
  file.tensors["convs.2.bias"] = io::safetensors_entry(Tensor::from(std::vector<float>{1}), {1});
  io::write_safetensors(path, file);
  tango::testing::expect_input_error([&] { load_model_file(path); }, {path, "convs.2.bias", "does not have"});
  // No architecture at all.
  file.tensors.erase("convs.2.bias");
  file.metadata.erase("layers");
  io::write_safetensors(path, file);
  tango::testing::expect_input_error([&] { load_model_file(path); }, {path, "'layers'", "__metadata__"});
}

TEST(ModelFile, ADatasetOfAnotherWidthIsAnInputError) {
  tango::testing::TempDir dir;
  const ModelSpec gcn = spec_of(ModelKind::kGCN);
  const std::string path = dir.file("gcn.safetensors");
  save_model_file(path, gcn, weights_for(gcn));
  const LoadedModel model = load_model_file(path);
  TrainConfig config;
  config.dataset = "synthetic:features=6";
  const DistGraph wider = dist_graph_from_dataset(testing::random_dataset(20, 3, 6, 2, 1));
  tango::testing::expect_input_error([&] { check_model_fits(model, path, wider, config); },
                                     {path, "5 input features", "synthetic:features=6", "has 6"});
  const DistGraph more_classes = dist_graph_from_dataset(testing::random_dataset(20, 3, 5, 3, 1));
  tango::testing::expect_input_error([&] { check_model_fits(model, path, more_classes, config); },
                                     {path, "2 classes", "3 classes"});
  check_model_fits(model, path, dist_graph_from_dataset(testing::random_dataset(20, 3, 5, 2, 1)), config);
}

// The training dataset's identity goes into __metadata__ as strings and reads back; a file without it loads
// with none (the data cannot be checked, a warning); a damaged record is an input error. check_model_dataset
// refuses other data unless allowed, and names what differs.
TEST(ModelFile, TheTrainingDatasetIsRecordedAndChecked) {
  tango::testing::TempDir dir;
  const ModelSpec gcn = spec_of(ModelKind::kGCN);
  const std::string path = dir.file("gcn.safetensors");
  const io::DatasetIdentity trained = dataset_identity(testing::random_dataset(20, 3, 5, 2, 1));
  save_model_file(path, gcn, weights_for(gcn), dataset_metadata(trained));
  const LoadedModel model = load_model_file(path);
  ASSERT_TRUE(model.dataset.has_value());
  EXPECT_TRUE(model.dataset->same_data(trained));
  EXPECT_EQ(model.dataset->name, trained.name);
  EXPECT_EQ(model.metadata.at("dataset_checksum").size(), 16u);

  TrainConfig config;
  config.dataset = "other.h5";
  EXPECT_EQ(check_model_dataset(model, path, trained, config, false), "");
  const io::DatasetIdentity other = dataset_identity(testing::random_dataset(20, 3, 5, 2, 2));
  ASSERT_EQ(other.nodes, trained.nodes);
  ASSERT_FALSE(other.same_data(trained));
  tango::testing::expect_input_error(
      [&] { check_model_dataset(model, path, other, config, false); },
      {path, "dataset 'other.h5' is another dataset", "--allow-other-dataset"});
  EXPECT_EQ(check_model_dataset(model, path, other, config, true), "");
  io::DatasetIdentity more_nodes = trained;
  more_nodes.nodes += 1;
  tango::testing::expect_input_error([&] { check_model_dataset(model, path, more_nodes, config, false); },
                                     {"21 nodes, not 20"});

  io::SafetensorsFile file = io::read_safetensors(path);
  file.metadata["dataset_checksum"] = "not-hex";
  write_safetensors(path, file);
  tango::testing::expect_input_error([&] { load_model_file(path); }, {path, "dataset_checksum", "not-hex"});
  for (const char* key : {"dataset_name", "dataset_nodes", "dataset_edges", "dataset_checksum"})
    file.metadata.erase(key);
  write_safetensors(path, file);
  const LoadedModel unrecorded = load_model_file(path);
  EXPECT_FALSE(unrecorded.dataset.has_value());
  const std::string warning = check_model_dataset(unrecorded, path, other, config, false);
  EXPECT_NE(warning.find("cannot be checked"), std::string::npos) << warning;
  EXPECT_NE(warning.find(path), std::string::npos) << warning;
}

}  // namespace
}  // namespace tango::trainer
