// What a training run leaves behind, at the binary level: tango-train --save-model / --predictions /
// --embeddings, then tango-predict with that model on the same graph, on 1 rank and on 4 (mpirun,
// --partition 4), for GCN, SAGE and GAT in fp32. tango-predict reproduces the summary's test_acc exactly
// (the same weights, the same forward: the same logits to the bit), the predictions file's arg-max gives
// that accuracy, and both programs' files agree. Bad input (a model of another width, a truncated or
// foreign model file, a partition of another dataset) is exit 2 with one error line and no output file; so
// is a dataset of the same shapes other than the training dataset, unless --allow-other-dataset.
// A resumed run saves the weights of its best epoch even when that epoch came before the resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "io/dataset_spec.h"
#include "io/hdf5_dataset.h"
#include "io/hdf5_file.h"
#include "io/safetensors.h"
#include "tests/common/run_command.h"
#include "tests/common/test_data.h"

namespace tango::trainer {
namespace {

// A graph where a few epochs give a test accuracy between chance and 1 (so a wrong model shows).
const std::string kGraph = "synthetic:nodes=800,avg_degree=8,classes=4,features=24,homophily=0.8,seed=3";
// MPI programs: in the sanitizer build LeakSanitizer is off for them (tests/CMakeLists.txt says why); mpirun
// as root in containers.
const std::string kEnv =
    "ASAN_OPTIONS=detect_leaks=0 TANGO_LOG_LEVEL=warn OMPI_ALLOW_RUN_AS_ROOT=1 "
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ";
const std::string kMpirun =
    kEnv + "OMP_NUM_THREADS=1 " + std::string(TANGO_MPIEXEC) + " -np 4 --oversubscribe --bind-to none ";

std::string train_command(const std::string& model, int ranks, int epochs = 10) {
  return (ranks == 1 ? kEnv : kMpirun) + TANGO_TRAIN_BIN + " --dataset " + kGraph +
         (ranks > 1 ? " --partition " + std::to_string(ranks) : "") + " --model " + model +
         " --hidden 8 --heads 2 --lr 0.02 --epochs " + std::to_string(epochs) + " --device cpu --quiet";
}

std::string predict_command(const std::string& model_file, int ranks) {
  return (ranks == 1 ? kEnv : kMpirun) + TANGO_PREDICT_BIN + " --model " + model_file + " --dataset " +
         kGraph + (ranks > 1 ? " --partition " + std::to_string(ranks) : "") + " --device cpu";
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Lines of `output` that are tango-predict's or tango-train's error lines.
int error_lines(const std::string& output) {
  int count = 0;
  for (size_t at = output.find(": error: "); at != std::string::npos; at = output.find(": error: ", at + 1))
    ++count;
  return count;
}

class TrainedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainedModel, PredictReproducesTheSummaryTestAccuracyOn1And4Ranks) {
  const std::string model = GetParam();
  for (int ranks : {1, 4}) {
    SCOPED_TRACE(ranks);
    testing::TempDir dir;
    const testing::CommandResult train =
        testing::run_command(train_command(model, ranks) + " --save-model " + dir.file("m.safetensors") +
                             " --predictions " + dir.file("train.h5") + " --embeddings " +
                             dir.file("train-e.h5") + " --summary " + dir.file("train.json"));
    ASSERT_EQ(train.exit_code, 0) << train.output;
    const testing::CommandResult predict = testing::run_command(
        predict_command(dir.file("m.safetensors"), ranks) + " --out " + dir.file("p.h5") + " --embeddings " +
        dir.file("p-e.h5") + " --summary " + dir.file("p.json"));
    ASSERT_EQ(predict.exit_code, 0) << predict.output;
    EXPECT_NE(predict.output.find("test "), std::string::npos) << predict.output;

    const nlohmann::json trained = read_json(dir.file("train.json")),
                         predicted = read_json(dir.file("p.json"));
    const double test_acc = trained["test_acc"];
    EXPECT_GT(test_acc, 0.3) << "the graph should be learnable in a few epochs";
    EXPECT_LT(test_acc, 1.0);
    EXPECT_EQ(predicted["test_acc"].get<double>(), test_acc);
    EXPECT_EQ(trained["outputs"]["test_acc"].get<double>(), test_acc);
    EXPECT_EQ(predicted["ranks"], ranks);

    // Both predictions files: the same logits, arg-max = prediction, and that prediction's test accuracy.
    io::H5File from_train = io::H5File::open_read(dir.file("train.h5")),
               from_predict = io::H5File::open_read(dir.file("p.h5"));
    const Tensor logits = from_predict.read_checked("/logits", DType::kF32, 800);
    EXPECT_EQ(logits.cols(), 4);
    EXPECT_EQ(from_train.read("/logits").to_vector<float>(), logits.to_vector<float>());
    const std::vector<int32_t> prediction =
        from_predict.read_checked("/prediction", DType::kI32, 800).to_vector<int32_t>();
    EXPECT_EQ(from_train.read("/prediction").to_vector<int32_t>(), prediction);
    const std::vector<int32_t> labels =
        from_predict.read_checked("/label", DType::kI32, 800).to_vector<int32_t>();
    const std::vector<uint8_t> split =
        from_predict.read_checked("/split", DType::kU8, 800).to_vector<uint8_t>();
    const float* z = logits.data<float>();
    int64_t correct = 0, tests = 0, in_a_split = 0;
    for (int64_t v = 0; v < 800; ++v) {
      EXPECT_EQ(std::max_element(z + v * 4, z + v * 4 + 4) - (z + v * 4), prediction[v]) << "node " << v;
      in_a_split += split[v] != 0;
      if (split[v] != 3) continue;
      ++tests;
      correct += prediction[v] == labels[v];
    }
    EXPECT_EQ(in_a_split, 800) << "the synthetic split covers every node";
    EXPECT_EQ(static_cast<double>(correct) / static_cast<double>(tests), test_acc);
    EXPECT_EQ(from_predict.attr_string("format"), "tango-predictions");
    EXPECT_EQ(from_predict.attr_int("num_nodes"), 800);

    // Embeddings: the last hidden layer (hidden 8, GAT 2 heads x 8), the same from both programs.
    const Tensor embeddings =
        io::H5File::open_read(dir.file("p-e.h5")).read_checked("/embeddings", DType::kF32, 800);
    EXPECT_EQ(embeddings.cols(), model == "gat" ? 16 : 8);
    EXPECT_EQ(io::H5File::open_read(dir.file("train-e.h5")).read("/embeddings").to_vector<float>(),
              embeddings.to_vector<float>());
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TrainedModel, ::testing::Values("gcn", "sage", "gat"));

TEST(TrainedModelInput, BadModelFilesAreInputErrorsAndLeaveNoOutput) {
  testing::TempDir dir;
  const std::string model = dir.file("m.safetensors");
  ASSERT_EQ(testing::run_command(train_command("sage", 1) + " --save-model " + model).exit_code, 0);
  const std::string out = dir.file("p.h5");
  auto expect_refused = [&](const std::string& command, const std::vector<std::string>& parts) {
    const testing::CommandResult run = testing::run_command(command + " --out " + out);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_EQ(error_lines(run.output), 1) << run.output;
    for (const std::string& part : parts)
      EXPECT_NE(run.output.find(part), std::string::npos) << part << "\n" << run.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << command;
  };
  // Another feature width (12 instead of 24).
  const std::string narrow = "synthetic:nodes=300,avg_degree=6,classes=4,features=12,seed=5";
  expect_refused(kEnv + TANGO_PREDICT_BIN + " --model " + model + " --dataset " + narrow,
                 {"tango-predict: error: model file '" + model + "' takes 24 input features", "has 12"});
  // A partition of that other dataset, on 4 ranks.
  const testing::CommandResult partition = testing::run_command(kEnv + TANGO_PARTITION_BIN + " " + narrow +
                                                                " --parts 4 --out " + dir.file("parts"));
  ASSERT_EQ(partition.exit_code, 0) << partition.output;
  expect_refused(kMpirun + TANGO_PREDICT_BIN + " --model " + model + " --parts " + dir.file("parts"),
                 {"takes 24 input features", "partition '" + dir.file("parts") + "' has 12"});
  // A truncated model file.
  std::string bytes;
  {
    std::ifstream in(model, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string truncated = dir.file("truncated.safetensors");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_refused(predict_command(truncated, 1), {truncated, "truncated"});
  // Not a safetensors file at all (an HDF5 file).
  ASSERT_EQ(
      testing::run_command(kEnv + TANGO_TRAIN_BIN + " --dataset " + narrow +
                           " --epochs 1 --quiet --device cpu --predictions " + dir.file("not-a-model.h5"))
          .exit_code,
      0);
  expect_refused(predict_command(dir.file("not-a-model.h5"), 1),
                 {"not-a-model.h5", "not a safetensors file"});
  // A model of another architecture under a valid header: GCN's weights where the metadata says SAGE.
  io::SafetensorsFile file = io::read_safetensors(model);
  file.metadata["model"] = "gcn";
  io::write_safetensors(dir.file("relabelled.safetensors"), file);
  expect_refused(predict_command(dir.file("relabelled.safetensors"), 1),
                 {"relabelled.safetensors", "convs.0.lin.weight", "another architecture"});
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

// The model file records its training dataset (io/dataset_identity.h); tango-predict accepts that dataset
// through --dataset or a partition of it, and refuses another of the same shapes (every label moved one node
// on; another seed of the generator, so another edge count; a partition of either) unless
// --allow-other-dataset, which still checks the shapes. A model file without the record (PyG weights) is
// applied with a warning that the data cannot be checked.
TEST(TrainedModelDataset, PredictAcceptsTheTrainingDatasetOnlyUnlessAllowed) {
  testing::TempDir dir;
  const std::string a = dir.file("a.h5"), b = dir.file("b.h5");
  io::Dataset dataset = io::load_dataset(kGraph);
  io::write_hdf5_dataset(dataset, a);
  std::vector<int32_t> labels = dataset.labels.to_vector<int32_t>();
  std::rotate(labels.begin(), labels.begin() + 1, labels.end());  // same classes, other labels
  dataset.labels = Tensor::from(labels);
  io::write_hdf5_dataset(dataset, b);
  for (const auto& [file, parts] : {std::pair{a, dir.file("parts-a")}, std::pair{b, dir.file("parts-b")}}) {
    const testing::CommandResult partition =
        testing::run_command(kEnv + TANGO_PARTITION_BIN + " " + file + " --parts 4 --out " + parts);
    ASSERT_EQ(partition.exit_code, 0) << partition.output;
  }
  const std::string model = dir.file("m.safetensors");
  const testing::CommandResult train = testing::run_command(
      kEnv + TANGO_TRAIN_BIN + " --dataset " + a + " --epochs 5 --quiet --device cpu --save-model " + model);
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const io::SafetensorsFile saved = io::read_safetensors(model);
  EXPECT_EQ(saved.metadata.at("dataset_nodes"), "800");
  EXPECT_EQ(saved.metadata.at("dataset_edges"), std::to_string(dataset.graph.num_edges()));
  EXPECT_EQ(saved.metadata.at("dataset_checksum").size(), 16u);

  const std::string out = dir.file("p.h5");
  auto predict = [&](const std::string& model_file, const std::string& input, const std::string& flags = "") {
    std::filesystem::remove(out);
    const bool parts = input.find("parts-") != std::string::npos;
    return testing::run_command((parts ? kMpirun : kEnv) + TANGO_PREDICT_BIN + " --model " + model_file +
                                (parts ? " --parts " : " --dataset ") + input + " --device cpu --out " + out +
                                flags);
  };
  auto expect_accepted = [&](const testing::CommandResult& run) {
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_TRUE(std::filesystem::exists(out)) << run.output;
  };
  auto expect_refused = [&](const testing::CommandResult& run, const std::vector<std::string>& parts) {
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_EQ(error_lines(run.output), 1) << run.output;
    for (const std::string& part : parts)
      EXPECT_NE(run.output.find(part), std::string::npos) << part << "\n" << run.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << run.output;
  };

  // The training dataset, whole and as a partition: accepted without a warning. The logits of 1 rank
  // and of 4 (the same up to float rounding).
  std::map<std::string, std::vector<float>> logits;
  for (const std::string& input : {a, dir.file("parts-a")}) {
    SCOPED_TRACE(input);
    const testing::CommandResult run = predict(model, input);
    expect_accepted(run);
    EXPECT_EQ(run.output.find("warn"), std::string::npos) << run.output;
    logits[input == a ? "1" : "4"] = io::H5File::open_read(out).read("/logits").to_vector<float>();
  }

  // The same shapes, another dataset: refused, whole and as a partition, naming the file and the difference.
  const std::string wanted = "model file '" + model + "' was trained on dataset";
  expect_refused(predict(model, b), {wanted, "dataset '" + b + "' is another dataset",
                                     "the same node and edge counts", "--allow-other-dataset"});
  expect_refused(
      predict(model, dir.file("parts-b")),
      {wanted, "partition '" + dir.file("parts-b") + "' is another dataset", "same node and edge"});
  const std::string reseeded = "synthetic:nodes=800,avg_degree=8,classes=4,features=24,homophily=0.8,seed=4";
  const testing::CommandResult other_seed = predict(model, reseeded);
  expect_refused(other_seed, {wanted, "dataset '" + reseeded + "' is another dataset", "edges, not"});

  // --allow-other-dataset: accepted (the predictions carry the other labels), shapes still checked.
  expect_accepted(predict(model, b, " --allow-other-dataset"));
  EXPECT_EQ(io::H5File::open_read(out).read("/label").to_vector<int32_t>(), labels);
  EXPECT_EQ(io::H5File::open_read(out).read("/logits").to_vector<float>(), logits["1"])
      << "the same features, graph";
  expect_accepted(predict(model, dir.file("parts-b"), " --allow-other-dataset"));
  expect_refused(predict(model, "synthetic:nodes=300,avg_degree=6,classes=4,features=12,seed=5",
                         " --allow-other-dataset"),
                 {"takes 24 input features", "has 12"});

  // No record of the training dataset (as PyG exports write): a warning, and the same predictions.
  io::SafetensorsFile unrecorded = saved;
  for (const char* key : {"dataset_name", "dataset_nodes", "dataset_edges", "dataset_checksum"})
    unrecorded.metadata.erase(key);
  write_safetensors(dir.file("unrecorded.safetensors"), unrecorded);
  for (const std::string& input : {b, dir.file("parts-a")}) {
    SCOPED_TRACE(input);
    const testing::CommandResult run = predict(dir.file("unrecorded.safetensors"), input);
    const bool parts = input != b;
    expect_accepted(run);
    EXPECT_NE(run.output.find("[warning] model file '" + dir.file("unrecorded.safetensors") +
                              "' records no training dataset"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("cannot be checked"), std::string::npos) << run.output;
    EXPECT_EQ(io::H5File::open_read(out).read("/logits").to_vector<float>(), logits[parts ? "4" : "1"]);
  }
  // A record in part is a damaged file.
  io::SafetensorsFile partial = saved;
  partial.metadata.erase("dataset_checksum");
  write_safetensors(dir.file("partial.safetensors"), partial);
  expect_refused(predict(dir.file("partial.safetensors"), a), {"partial.safetensors", "in part"});
}

TEST(TrainedModelInput, MissingOutputFolderIsAnInputErrorBeforeTraining) {
  testing::TempDir dir;
  const testing::CommandResult run =
      testing::run_command(train_command("gcn", 1, 1000000) + " --predictions " + dir.file("no/p.h5"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("tango-train: error: --predictions"), std::string::npos) << run.output;
}

// The best epoch's weights survive a resume: 3 epochs + resume to 6 saves what 6 straight epochs save, and
// a resume with nothing left to run (3 + 0) saves what the 3-epoch run saved (its best came before).
TEST(TrainedModelResume, ResumedRunSavesTheBestEpochsWeights) {
  testing::TempDir dir;
  auto run = [&](int epochs, const std::string& checkpoints, bool resume, const std::string& model) {
    const testing::CommandResult r = testing::run_command(
        train_command("gcn", 1, epochs) + " --save-model " + model +
        (checkpoints.empty() ? "" : " --checkpoint-dir " + checkpoints) + (resume ? " --resume" : ""));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  };
  auto tensors = [](const std::string& path) {
    std::map<std::string, std::vector<float>> values;
    for (const auto& [name, entry] : io::read_safetensors(path).tensors)
      values[name] = entry.values.to_vector<float>();
    return values;
  };
  run(6, "", false, dir.file("straight.safetensors"));
  run(3, dir.file("ckpt"), false, dir.file("first3.safetensors"));
  run(3, dir.file("ckpt"), true, dir.file("again3.safetensors"));
  EXPECT_EQ(tensors(dir.file("again3.safetensors")), tensors(dir.file("first3.safetensors")));
  run(6, dir.file("ckpt"), true, dir.file("resumed.safetensors"));
  EXPECT_EQ(tensors(dir.file("resumed.safetensors")), tensors(dir.file("straight.safetensors")));
  int side_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("ckpt")))
    side_files += entry.path().filename().string().starts_with("best-weights-");
  EXPECT_EQ(side_files, 1) << "only the final best's weights stay beside the checkpoints";
}

}  // namespace
}  // namespace tango::trainer
