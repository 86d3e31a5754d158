#pragma once
// The single source of the seed's tensor names. Every tensor the model emits has a phase-independent key
// (the computation that makes it) and, per phase, the name seed 000 gives it: the prefill of a cached run
// says `prefill_query_states`, its decode step and an uncached pass say `query_states`.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kvscope::trace {

enum class Phase { Prefill, Decode, Full };
std::string_view phase_name(Phase p);
std::optional<Phase> phase_from_name(std::string_view name);

// What a tensor is to the trace's consumers (graph, compare, recorder), set where it is emitted.
enum class Role {
  Intermediate,  // any other tensor of the forward pass
  Text,          // the prompt as the user typed it, before the tokenizer
  Input,         // token ids entering the model
  CacheHistory,  // a layer's keys or values as the cache holds them: what attention reads
  CacheAppend,   // the new keys or values written into the cache this step
  Logits,
  NextTokens,
};
std::string_view role_name(Role r);
std::optional<Role> role_from_name(std::string_view name);

// The keys, in forward-pass order. Lower case on purpose: each enumerator is spelled as its key, so one
// grep of a key finds both its row below and the emit that makes the tensor.
enum class Tensor {
  // generation, outside the layers
  input_string,
  prompt_ids,
  last_prompt_ids,
  input_ids,
  // each decoder layer
  position_ids,
  input_embeds,
  input_layernormed,
  query_states,
  key_states,
  value_states,
  pos_query_states,
  pos_key_states,
  cached_key_states,
  cached_value_states,
  repeated_key_states,
  repeated_value_states,
  unmasked_attn_weights,
  causal_mask,
  masked_attn_weights,
  attn_weights,
  attn_tmp_output1,
  attn_tmp_output2,
  attn_tmp_output3,
  attn_projected,
  attn_output,
  attn_output_layernormed,
  gate_projected,
  up_projected,
  activated,
  down_projected,
  layer_output,
  // after the layers
  output_layernormed,
  logits,
  next_tokens,
};

struct TensorName {
  Tensor tensor;
  std::string_view key;
  std::array<std::string_view, 3> names;  // by Phase: prefill, decode, full; empty where the phase has none
  std::array<Role, 3> roles;              // by Phase
  bool in_layer;                          // emitted once per decoder layer
};

std::span<const TensorName> tensor_names();
const TensorName& tensor_name(Tensor t);
std::string_view name_in(Tensor t, Phase phase);
Role role_in(Tensor t, Phase phase);

// What computes a tensor, in one line for tooltips (HF LlamaForCausalLM's terms, e.g. attn_weights
// `softmax(QKᵀ/√d + mask)`); formula_of is empty for a key the table does not have.
std::string_view formula(Tensor t);
std::string_view formula_of(std::string_view key);

// The HF parameter a tensor is computed from, for layer `layer`: query_states -> "model.layers.3.self_attn.
// q_proj.weight", logits -> "lm_head.weight" (the embeddings when they are tied: the caller knows), input_embeds
// -> "model.embed_tokens.weight" in layer 0 only. Empty for tensors no weight enters (scores, activations, ...).
std::string weight_of(std::string_view key, int layer);

// The key and role of a tensor by its seed name in a phase (for traces written before events carried
// them); nullopt for a name the table does not have.
struct Classified {
  std::string_view key;
  Role role;
};
std::optional<Classified> classify(Phase phase, std::string_view name);

}  // namespace kvscope::trace
