// The trained-model file (tango-train --save-model, tango-predict --model): safetensors (io/safetensors.h)
// whose tensors carry the names and layouts of the equivalent PyTorch Geometric model's state_dict(), so
//   model.load_state_dict(safetensors.torch.load_file(F))
// works on bench/pyg_train.py's Net (a ModuleList `convs`, one conv per layer; dropout before every layer,
// the activation between layers). This file is the one place of that mapping. Layer L of Tango (its
// Parameter names, trainer/layers/*.h) against PyG (torch_geometric 2.8, torch.nn.Linear weights are
// [out, in], Tango's y = x W keeps W as [in, out], so every weight is transposed):
//   GCN  GCNConv(in, out, cached=True)
//        layerL.weight          [in, out]   convs.L.lin.weight  [out, in]
//        layerL.bias            [out]       convs.L.bias        [out]
//   SAGE SAGEConv(in, out, aggr="mean", root_weight=True): out = lin_l(mean of neighbours) + lin_r(x)
//        layerL.neighbour_weight [in, out]  convs.L.lin_l.weight [out, in]
//        layerL.bias             [out]      convs.L.lin_l.bias   [out]     (lin_l carries the bias)
//        layerL.root_weight      [in, out]  convs.L.lin_r.weight [out, in] (lin_r has none)
//   GAT  GATConv(in, D, heads=H, concat=True) hidden layers, GATConv(in, C, heads=1, concat=False) output
//        layerL.weight          [in, H*D]   convs.L.lin.weight  [H*D, in]
//        layerL.attention_src   [H, D]      convs.L.att_src     [1, H, D]
//        layerL.attention_dst   [H, D]      convs.L.att_dst     [1, H, D]
//        layerL.bias            [H*D] / [D] convs.L.bias        [H*D] (concat) / [D] (mean of heads)
//   MLP  torch.nn.Linear(in, out)
//        layerL.weight          [in, out]   convs.L.weight      [out, in]
//        layerL.bias            [out]       convs.L.bias        [out]
// The header's __metadata__ (strings) describes the architecture, which tango-predict rebuilds from it:
//   format "tango-model", format_version "1", model (gcn|sage|gat|mlp), layers, in_features, hidden (per
//   head for GAT), heads, num_classes, activation (relu|elu), normalize_features ("true": inputs are
//   row-normalised, as --normalize-features; tango-predict applies it), widths ("1433,64,7": every layer's
//   input width, then the classes) and pyg (the PyG convs it equals, for a reader).
// tango-train adds how the weights were made: best_epoch, best_valid_acc, test_acc and tango_config (the
// resolved training config as JSON), and the dataset it was trained on (io/dataset_identity.h, the identity
// checkpoints record): dataset_name (for messages), dataset_nodes, dataset_edges and dataset_checksum (16
// hex digits), which tango-predict compares with the data it is given. Another file (PyG-trained weights)
// needs only the architecture keys; without the dataset keys the data cannot be checked.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "io/dataset_identity.h"
#include "io/safetensors.h"
#include "trainer/config.h"
#include "trainer/model.h"

namespace tango::trainer {

// What a model file's architecture is: enough to build the Model and to check a dataset against it.
struct ModelSpec {
  ModelKind model = ModelKind::kGCN;
  int layers = 2;
  int64_t in_features = 0;
  int hidden = 64;
  int heads = 1;
  int32_t num_classes = 0;
  std::string activation = "relu";
  bool normalize_features = false;

  // The architecture part of a training config (model, layers, hidden, heads, activation, normalisation).
  static ModelSpec of(const TrainConfig& config, int64_t in_features, int32_t num_classes);
  // Sets those fields of `config`.
  void apply_to(TrainConfig& config) const;
  std::map<std::string, std::string> metadata() const;
};

// The dataset_* keys of the __metadata__ that record `dataset` (strings, as safetensors wants).
std::map<std::string, std::string> dataset_metadata(const io::DatasetIdentity& dataset);

// The model file of `weights` (Tango names and layouts, CPU tensors, e.g. a Model's parameters) with the
// architecture `spec` and `extra` metadata. Written atomically.
void save_model_file(const std::string& path, const ModelSpec& spec,
                     const std::map<std::string, Tensor>& weights,
                     const std::map<std::string, std::string>& extra = {});

// A model file read and checked: its architecture (from __metadata__, checked against the tensors) and
// its weights under Tango's names and layouts. Input errors name the file and the mismatch: not a
// safetensors file, a metadata key missing or invalid, a tensor missing, unexpected or of another shape.
struct LoadedModel {
  ModelSpec spec;
  std::optional<io::DatasetIdentity> dataset;  // the training dataset, when the file records one
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> weights;  // "layer0.weight" -> [in, out], ...
};
LoadedModel load_model_file(const std::string& path);

// Copies `weights` (Tango names, CPU) into the model's parameters, wherever they live; every parameter must
// be there with its shape.
void set_weights(Model& model, const std::map<std::string, Tensor>& weights, const std::string& origin);

// The model's parameters as CPU copies by Tango name.
std::map<std::string, Tensor> weights_of(Model& model);

}  // namespace tango::trainer
