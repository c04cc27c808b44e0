// TensorTable: a model's tensors, declared once by its family (STYLE.md 15): canonical name,
// shape from the config, the stage that reads it, its role in that stage, and whether it is a
// linear weight matrix that a compressed store keeps q4/q8. The loader, the store writer, the
// weight layout and tiers, the planner's byte counts and the dummy models all read this table.
//
// Stages are the executor's units (FlexGen's InputEmbed, TransformerLayer, OutputEmbed):
// 0 = embedding, 1..L = decoder layer j = stage - 1, L + 1 = head. A tensor read by two stages
// (a tied head reads the token embedding) is listed once, at its home stage, with a `shared` use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

struct TensorSpec {
  std::string name;             // canonical: as in the checkpoint, without "model."
  std::vector<int64_t> shape;   // [rows, cols] (a linear weight: [out, in]) or [n]
  int64_t stage = 0;
  int role = 0;                 // the family's id of what the stage uses it for
  bool quantizable = false;     // stored q4/q8 under a weight quantization
  // A table embed() gathers rows from by index (the token table, OPT's position table): a step
  // reads only the rows of its tokens (ModelForward::lookup_rows), not the whole table.
  bool lookup = false;
};

// Another stage reading tensor `tensor` (an index into TensorTable::tensors) as `role`.
struct SharedUse {
  size_t tensor = 0;
  int64_t stage = 0;
  int role = 0;
};

struct TensorTable {
  int64_t num_layers = 0;
  std::vector<TensorSpec> tensors;  // store order: the global stages' tensors, then each layer's
  std::vector<SharedUse> shared;

  int64_t stage_count() const { return num_layers + 2; }
  int64_t head_stage() const { return num_layers + 1; }
  bool is_layer_stage(int64_t stage) const { return stage >= 1 && stage <= num_layers; }
  // nullptr when no tensor has that name.
  const TensorSpec* find(const std::string& name) const;
};

// The store's data file of a stage's tensors: globals.bin for the embedding and the head,
// layer_003.bin for stage 4 (decoder layer 3).
std::string store_file_of(const TensorTable& table, int64_t stage);
std::string store_layer_file(int64_t layer);
inline constexpr const char* kStoreGlobalsFile = "globals.bin";

}  // namespace strata
