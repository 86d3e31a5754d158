#include "trace/tensor_names.h"

#include <string>
#include <utility>

#include <stdexcept>
#include <string>

namespace kvscope::trace {

namespace {

using R = Role;
using T = Tensor;
constexpr std::array<Role, 3> kPlain{R::Intermediate, R::Intermediate, R::Intermediate};
constexpr std::array<Role, 3> kIds{R::Input, R::Input, R::Input};
// Written into the cache: in the prefill they are the whole cache that attention reads; in a decode step
// they are the rows appended to it; an uncached pass keeps nothing.
constexpr std::array<Role, 3> kCacheWrite{R::CacheHistory, R::CacheAppend, R::Intermediate};
constexpr std::array<Role, 3> kCacheRead{R::CacheHistory, R::CacheHistory, R::CacheHistory};

// clang-format off
constexpr std::array kNames{
    //           key                        prefill                           decode                   full
    TensorName{T::input_string, "input_string", {"input_string", "", "input_string"}, {R::Text, R::Text, R::Text}, false},
    TensorName{T::prompt_ids, "prompt_ids", {"input_ids", "", ""}, kIds, false},
    TensorName{T::last_prompt_ids, "last_prompt_ids", {"predict_input_ids", "", ""}, kIds, false},
    TensorName{T::input_ids, "input_ids", {"prefill_input_ids", "predict_input_ids", "input_ids"}, kIds, false},
    TensorName{T::position_ids, "position_ids", {"prefill_position_ids", "position_ids", "position_ids"}, kPlain, true},
    TensorName{T::input_embeds, "input_embeds", {"prefill_input_embeds", "predict_input_embeds", "input_embeds"}, kPlain, true},
    TensorName{T::input_layernormed, "input_layernormed", {"prefill_input_layernormed", "input_layernormed", "input_layernormed"}, kPlain, true},
    TensorName{T::query_states, "query_states", {"prefill_query_states", "query_states", "query_states"}, kPlain, true},
    TensorName{T::key_states, "key_states", {"prefill_key_states", "more_key_states", "key_states"}, kPlain, true},
    TensorName{T::value_states, "value_states", {"prefill_value_states", "more_value_states", "value_states"}, kCacheWrite, true},
    TensorName{T::pos_query_states, "pos_query_states", {"prefill_pos_query_states", "pos_query_states", "pos_query_states"}, kPlain, true},
    TensorName{T::pos_key_states, "pos_key_states", {"prefill_pos_key_states", "pos_more_key_states", "pos_key_states"}, kCacheWrite, true},
    TensorName{T::cached_key_states, "cached_key_states", {"", "pos_key_states", ""}, kCacheRead, true},
    TensorName{T::cached_value_states, "cached_value_states", {"", "value_states", ""}, kCacheRead, true},
    TensorName{T::repeated_key_states, "repeated_key_states", {"prefill_repeated_key_states", "repeated_key_states", "repeated_key_states"}, kPlain, true},
    TensorName{T::repeated_value_states, "repeated_value_states", {"prefill_repeated_value_states", "repeated_value_states", "repeated_value_states"}, kPlain, true},
    TensorName{T::unmasked_attn_weights, "unmasked_attn_weights", {"prefill_unmasked_attn_weights", "unmasked_attn_weights", "unmasked_attn_weights"}, kPlain, true},
    TensorName{T::causal_mask, "causal_mask", {"prefill_causal_mask", "", "causal_mask"}, kPlain, true},
    TensorName{T::masked_attn_weights, "masked_attn_weights", {"prefill_masked_attn_weights", "", "masked_attn_weights"}, kPlain, true},
    TensorName{T::attn_weights, "attn_weights", {"prefill_attn_weights", "attn_weights", "attn_weights"}, kPlain, true},
    TensorName{T::attn_tmp_output1, "attn_tmp_output1", {"prefill_attn_tmp_output1", "attn_tmp_output1", "attn_tmp_output1"}, kPlain, true},
    TensorName{T::attn_tmp_output2, "attn_tmp_output2", {"prefill_attn_tmp_output2", "attn_tmp_output2", "attn_tmp_output2"}, kPlain, true},
    TensorName{T::attn_tmp_output3, "attn_tmp_output3", {"prefill_attn_tmp_output3", "attn_tmp_output3", "attn_tmp_output3"}, kPlain, true},
    TensorName{T::attn_projected, "attn_projected", {"prefill_attn_projected", "attn_projected", "attn_projected"}, kPlain, true},
    TensorName{T::attn_output, "attn_output", {"prefill_attn_output", "attn_output", "attn_output"}, kPlain, true},
    TensorName{T::attn_output_layernormed, "attn_output_layernormed", {"prefill_attn_output_layernormed", "attn_output_layernormed", "attn_output_layernormed"}, kPlain, true},
    TensorName{T::gate_projected, "gate_projected", {"prefill_gate_projected", "gate_projected", "gate_projected"}, kPlain, true},
    TensorName{T::up_projected, "up_projected", {"prefill_up_projected", "up_projected", "up_projected"}, kPlain, true},
    TensorName{T::activated, "activated", {"prefill_activated", "activated", "activated"}, kPlain, true},
    TensorName{T::down_projected, "down_projected", {"prefill_down_projected", "down_projected", "down_projected"}, kPlain, true},
    TensorName{T::layer_output, "layer_output", {"prefill_layer_output", "layer_output", "layer_output"}, kPlain, true},
    TensorName{T::output_layernormed, "output_layernormed", {"prefill_output_layernormed", "output_layernormed", "output_layernormed"}, kPlain, false},
    TensorName{T::logits, "logits", {"prefill_logits", "logits", "logits"}, {R::Logits, R::Logits, R::Logits}, false},
    TensorName{T::next_tokens, "next_tokens", {"prefill_next_tokens", "next_tokens", "next_tokens"}, {R::NextTokens, R::NextTokens, R::NextTokens}, false},
};
// clang-format on

constexpr bool rows_in_enum_order() {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (static_cast<size_t>(kNames[i].tensor) != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "tensor_name(t) indexes the table by the enum");

// One line per key, in enum order, for tooltips: what HF LlamaForCausalLM computes, in its own terms
// (x is the tensor the row reads; d the head size). A phase-independent key gets the general form, e.g.
// attn_weights keeps `+ mask` although a decode step adds none.
constexpr std::array<std::string_view, kNames.size()> kFormulas{
    "the prompt as typed",                                             // input_string
    "tokenize(input_string)",                                          // prompt_ids
    "prompt_ids[:, -1:]",                                              // last_prompt_ids
    "prompt_ids (or all but the last), then next_tokens",              // input_ids
    "past_len + arange(T)",                                            // position_ids
    "embed_tokens[input_ids] in layer 0, else previous layer_output",  // input_embeds
    "x / rms(x) · w",                                                  // input_layernormed
    "x W_qᵀ",                                                          // query_states
    "x W_kᵀ",                                                          // key_states
    "x W_vᵀ",                                                          // value_states
    "q·cos + rotate_half(q)·sin",                                      // pos_query_states
    "k·cos + rotate_half(k)·sin",                                      // pos_key_states
    "concat(past K, new K)",                                           // cached_key_states
    "concat(past V, new V)",                                           // cached_value_states
    "repeat_kv(K, n_heads / n_kv_heads)",                              // repeated_key_states
    "repeat_kv(V, n_heads / n_kv_heads)",                              // repeated_value_states
    "QKᵀ/√d",                                                          // unmasked_attn_weights
    "0 where key pos ≤ query pos, else −∞",                            // causal_mask
    "QKᵀ/√d + mask",                                                   // masked_attn_weights
    "softmax(QKᵀ/√d + mask)",                                          // attn_weights
    "attn_weights · V",                                                // attn_tmp_output1
    "(attn_weights · V).transpose(1, 2)",                              // attn_tmp_output2
    "reshape to [B, T, n_heads · d]",                                  // attn_tmp_output3
    "o W_oᵀ",                                                          // attn_projected
    "x + attn_projected",                                              // attn_output
    "h / rms(h) · w_post",                                             // attn_output_layernormed
    "x W_gateᵀ",                                                       // gate_projected
    "x W_upᵀ",                                                         // up_projected
    "silu(gate) ⊙ up",                                                 // activated
    "a W_downᵀ",                                                       // down_projected
    "h + down_projected",                                              // layer_output
    "h / rms(h) · w_norm",                                             // output_layernormed
    "h W_lmᵀ",                                                         // logits
    "argmax(logits[:, -1])",                                           // next_tokens
};

constexpr std::array<std::string_view, 7> kRoleNames{"intermediate", "text",   "input",      "cache_history",
                                                     "cache_append", "logits", "next_tokens"};

}  // namespace

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::Prefill: return "prefill";
    case Phase::Decode: return "decode";
    case Phase::Full: return "full";
  }
  return "?";
}

std::optional<Phase> phase_from_name(std::string_view name) {
  for (Phase p : {Phase::Prefill, Phase::Decode, Phase::Full})
    if (phase_name(p) == name) return p;
  return std::nullopt;
}

std::string_view role_name(Role r) { return kRoleNames[static_cast<size_t>(r)]; }

std::optional<Role> role_from_name(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

std::span<const TensorName> tensor_names() { return kNames; }

const TensorName& tensor_name(Tensor t) { return kNames[static_cast<size_t>(t)]; }

std::string_view name_in(Tensor t, Phase phase) {
  const std::string_view name = tensor_name(t).names[static_cast<size_t>(phase)];
  // A programming error: the forward pass emitted a tensor that its phase does not have.
  if (name.empty())
    throw std::logic_error(std::string(tensor_name(t).key) + " has no name in the " + std::string(phase_name(phase)) +
                           " phase");
  return name;
}

std::string_view formula(Tensor t) { return kFormulas[static_cast<size_t>(t)]; }

std::string_view formula_of(std::string_view key) {
  for (const TensorName& row : kNames)
    if (row.key == key) return formula(row.tensor);
  return {};
}

std::string weight_of(std::string_view key, int layer) {
  static constexpr std::pair<std::string_view, std::string_view> kLayerWeights[] = {
      {"input_layernormed", "input_layernorm"}, {"query_states", "self_attn.q_proj"},
      {"key_states", "self_attn.k_proj"},       {"value_states", "self_attn.v_proj"},
      {"attn_projected", "self_attn.o_proj"},   {"attn_output_layernormed", "post_attention_layernorm"},
      {"gate_projected", "mlp.gate_proj"},      {"up_projected", "mlp.up_proj"},
      {"down_projected", "mlp.down_proj"},
  };
  if (key == "input_embeds") return layer == 0 ? "model.embed_tokens.weight" : "";
  if (key == "output_layernormed") return "model.norm.weight";
  if (key == "logits") return "lm_head.weight";
  for (const auto& [k, part] : kLayerWeights)
    if (k == key) return "model.layers." + std::to_string(layer) + "." + std::string(part) + ".weight";
  return "";
}

Role role_in(Tensor t, Phase phase) { return tensor_name(t).roles[static_cast<size_t>(phase)]; }

std::optional<Classified> classify(Phase phase, std::string_view name) {
  const auto p = static_cast<size_t>(phase);
  for (const TensorName& row : kNames)
    if (row.names[p] == name) return Classified{row.key, row.roles[p]};
  return std::nullopt;
}

}  // namespace kvscope::trace
