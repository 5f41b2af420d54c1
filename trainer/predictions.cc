#include "trainer/predictions.h"

#include "kernels/masked_nll_math.h"
#include "trainer/node_table_writer.h"

namespace tango::trainer {
namespace {

constexpr int64_t kPredictionsFormatVersion = 1;

// u8 per owned row: 0 none, 1 train, 2 valid, 3 test.
Tensor split_codes(const DistGraph& host_graph) {
  Tensor codes = Tensor::zeros(DType::kU8, Shape::vec(host_graph.num_owned));
  uint8_t* out = codes.data<uint8_t>();
  const Tensor* masks[3] = {&host_graph.train_mask, &host_graph.valid_mask, &host_graph.test_mask};
  for (int s = 0; s < 3; ++s) {
    const uint8_t* mask = masks[s]->data<uint8_t>();
    for (int64_t r = 0; r < host_graph.num_owned; ++r) {
      if (mask[r]) out[r] = static_cast<uint8_t>(s + 1);
    }
  }
  return codes;
}

}  // namespace

SplitCounts predict_nodes(Model& model, const DistGraph& graph, const DistGraph& host_graph,
                          const std::vector<HaloLink*>& halos, comm::Communicator& comm,
                          const PredictionFiles& files, const std::string& model_kind) {
  Tensor last_hidden;
  const bool wants_hidden = !files.embeddings.empty();
  const Tensor logits =
      model.forward(graph, halos, /*training=*/false, /*epoch=*/0, wants_hidden ? &last_hidden : nullptr)
          .to(Device::cpu());
  const int64_t owned = host_graph.num_owned, classes = logits.cols();

  // Predicted class and the correct counts per split.
  Tensor prediction = Tensor::empty(DType::kI32, Shape::vec(owned));
  const float* z = logits.data<float>();
  int32_t* predicted = prediction.data<int32_t>();
  for (int64_t r = 0; r < owned; ++r)
    predicted[r] = static_cast<int32_t>(kernels::first_argmax(z + r * classes, classes));
  const Tensor codes = split_codes(host_graph);
  const uint8_t* split = codes.data<uint8_t>();
  const int32_t* labels = host_graph.labels.data<int32_t>();
  std::vector<int64_t> counts(6, 0);  // correct[3], total[3]
  for (int64_t r = 0; r < owned; ++r) {
    if (split[r] == 0) continue;
    counts[split[r] - 1] += predicted[r] == labels[r] ? 1 : 0;
    counts[3 + split[r] - 1] += 1;
  }
  comm.allreduce(std::span<int64_t>(counts), comm::ReduceOp::kSum);
  SplitCounts result;
  for (int s = 0; s < 3; ++s) {
    result.correct[s] = counts[s];
    result.total[s] = counts[3 + s];
  }

  const Tensor owned_ids = host_graph.global_ids.slice_rows(0, owned);
  if (!files.predictions.empty()) {
    NodeFileAttributes attributes;
    attributes.text = files.attributes;
    attributes.text["format"] = "tango-predictions";
    attributes.text["model"] = model_kind;
    attributes.text["split_codes"] = "0 none, 1 train, 2 valid, 3 test";
    attributes.numbers = {{"format_version", kPredictionsFormatVersion},
                          {"num_nodes", host_graph.num_global_nodes},
                          {"num_classes", classes}};
    write_node_tables(
        files.predictions,
        {{"/logits", logits}, {"/prediction", prediction}, {"/label", host_graph.labels}, {"/split", codes}},
        attributes, owned_ids, host_graph.num_global_nodes, comm, files.chunk_rows);
  }
  if (wants_hidden) {
    TANGO_CHECK_INPUT(last_hidden.defined(),
                      "--embeddings needs a model with a hidden layer (--layers 2 or more)");
    NodeFileAttributes attributes;
    attributes.text = files.attributes;
    attributes.text["format"] = "tango-embeddings";
    attributes.text["model"] = model_kind;
    attributes.numbers = {{"format_version", kPredictionsFormatVersion},
                          {"num_nodes", host_graph.num_global_nodes},
                          {"layer", model.num_layers() - 2}};
    write_node_tables(files.embeddings, {{"/embeddings", last_hidden.to(Device::cpu())}}, attributes,
                      owned_ids, host_graph.num_global_nodes, comm, files.chunk_rows);
  }
  return result;
}

}  // namespace tango::trainer
