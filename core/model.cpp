#include "core/model.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/emitter.h"
#include "core/ops.h"

namespace kvscope::core {

using trace::Axis;
using trace::Op;
using trace::Phase;

// llama2.c's RunState: every buffer of a pass, sized once by reserve().
class RunState {
 public:
  int batch = 0, max_tokens = 0, max_len = 0;
  Matrix x, xn, q, k, v, qr, kr, attn, proj, gate, up, down, out_norm, logits;
  std::vector<float> scores;   // [B, nh, T, S]
  std::vector<float> mask;     // [T, S]
  std::vector<int32_t> positions;    // [B, T]
  std::vector<int32_t> next_tokens;  // [B]
  std::vector<float> last_logits;    // [B, V]
  int logits_rows = 0;               // rows per sequence of the last logits
  ops::RopeTable rope;
};

LlamaModel::LlamaModel(LlamaConfig config, std::optional<LlamaWeights> weights)
    : config_(std::move(config)), weights_(std::move(weights)), state_(std::make_unique<RunState>()) {}
LlamaModel::~LlamaModel() = default;
LlamaModel::LlamaModel(LlamaModel&&) noexcept = default;

void LlamaModel::reserve(int batch, int max_tokens, int max_len) {
  RunState& s = *state_;
  if (batch == s.batch && max_tokens <= s.max_tokens && max_len <= s.max_len) return;
  s.batch = batch;
  s.max_tokens = max_tokens;
  s.max_len = max_len;
  s.positions.assign(static_cast<size_t>(batch) * max_tokens, 0);
  s.next_tokens.assign(static_cast<size_t>(batch), 0);
  if (meta()) return;  // shapes only: no activations
  const LlamaConfig& c = config_;
  const int rows = batch * max_tokens, hd = c.head_size();
  const int qdim = c.num_attention_heads * hd, kvdim = c.num_key_value_heads * hd;
  s.x.resize(rows, c.hidden_size);
  s.xn.resize(rows, c.hidden_size);
  s.q.resize(rows, qdim);
  s.qr.resize(rows, qdim);
  s.k.resize(rows, kvdim);
  s.kr.resize(rows, kvdim);
  s.v.resize(rows, kvdim);
  s.attn.resize(rows, qdim);
  s.proj.resize(rows, c.hidden_size);
  s.gate.resize(rows, c.intermediate_size);
  s.up.resize(rows, c.intermediate_size);
  s.down.resize(rows, c.hidden_size);
  s.out_norm.resize(rows, c.hidden_size);
  s.logits.resize(rows, c.vocab_size);
  s.scores.assign(static_cast<size_t>(batch) * c.num_attention_heads * max_tokens * max_len, 0.0f);
  s.mask.assign(static_cast<size_t>(max_tokens) * max_len, 0.0f);
  s.last_logits.assign(static_cast<size_t>(batch) * c.vocab_size, 0.0f);
  s.rope = ops::rope_table(hd, c.rope_theta, max_len);
}

std::span<const float> LlamaModel::last_logits(int b) const {
  if (meta()) return {};
  const size_t v = static_cast<size_t>(config_.vocab_size);
  return std::span<const float>(state_->last_logits).subspan(static_cast<size_t>(b) * v, v);
}

namespace {
// The seed's names differ by phase: prefill_query_states, query_states (decode), query_states (uncached).
const char* pick(Phase p, const char* prefill, const char* decode, const char* full) {
  return p == Phase::Prefill ? prefill : p == Phase::Decode ? decode : full;
}
}  // namespace

PassOutput LlamaModel::forward(const PassInput& in, KvCache* cache, trace::Sink* sink) {
  const LlamaConfig& c = config_;
  RunState& s = *state_;
  const Phase ph = in.phase;
  const bool cached = ph != Phase::Full;
  const bool compute = !meta();
  const int B = in.batch, T = in.tokens, rows = B * T;
  const int nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_size(), n_rep = c.kv_groups();
  const int H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int qdim = nh * hd, kvdim = nkv * hd;
  const int P = cached ? cache->length() : 0;  // positions already cached
  const int S = P + T;                         // positions attended to
  if (cached && !cache) throw std::logic_error("a cached pass needs a KV cache");
  if (B != s.batch || T > s.max_tokens || S > s.max_len)
    throw std::logic_error("forward pass larger than reserved: call reserve() first");

  Emitter emit(sink, in.step, ph, B, meta());
  // Axis labels of this phase: the new tokens, and the positions they attend to.
  const Axis tok = ph == Phase::Prefill ? Axis::PrefillTokens : ph == Phase::Decode ? Axis::PredictTokens : Axis::AllTokens;
  const Axis ctx = ph == Phase::Prefill ? Axis::PrefillTokens : Axis::AllTokens;
  // Without GQA the kv heads are the heads, and the seed labels them so.
  const Axis kv_axis = nkv == nh ? Axis::Heads : Axis::KvHeads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t cache_b = cached ? cache->layer_stride_b() : 0;
  const int cache_len = cached ? cache->max_len() : 0;

  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) s.positions[static_cast<size_t>(b * T + t)] = P + t;

  if (compute)
    for (int r = 0; r < rows; ++r) s.x.row(r) = weights_->embed_tokens.row(in.ids[static_cast<size_t>(r)]);

  int hidden = in.ids_event;  // the event the next layer reads
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    emit.layer = l;
    const LayerWeights* w = compute ? &weights_->layers[static_cast<size_t>(l)] : nullptr;

    const int positions = emit.ids(pick(ph, "prefill_position_ids", "position_ids", "position_ids"), Op::Position,
                                   s.positions.data(), T, {{T, 1, tok}}, {cached ? cache->key_event[l] : -1});
    const int embeds = emit(pick(ph, "prefill_input_embeds", "predict_input_embeds", "input_embeds"),
                            l == 0 ? Op::Embedding : Op::Identity, s.x.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}},
                            {hidden});

    if (compute) ops::rms_norm(s.x, w->input_layernorm, static_cast<float>(c.rms_norm_eps), s.xn, rows);
    const int normed = emit(pick(ph, "prefill_input_layernormed", "input_layernormed", "input_layernormed"), Op::RmsNorm,
                            s.xn.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}}, {embeds});

    if (compute) {
      ops::linear(s.xn, w->q_proj, s.q, rows);
      ops::linear(s.xn, w->k_proj, s.k, rows);
      ops::linear(s.xn, w->v_proj, s.v, rows);
    }
    // q, k, v live as [B, T, heads, hd]; the trace shows HF's [B, heads, T, hd] through strides.
    const int query = emit(pick(ph, "prefill_query_states", "query_states", "query_states"), Op::Linear, s.q.data(),
                           T * qdim, {{nh, hd, Axis::Heads}, {T, qdim, tok}, {hd, 1, Axis::HeadDim}}, {normed});
    const int key = emit(pick(ph, "prefill_key_states", "more_key_states", "key_states"), Op::Linear, s.k.data(),
                         T * kvdim, {{nkv, hd, kv_axis}, {T, kvdim, tok}, {hd, 1, Axis::HeadDim}}, {normed});
    const int value = emit(pick(ph, "prefill_value_states", "more_value_states", "value_states"), Op::Linear, s.v.data(),
                           T * kvdim, {{nkv, hd, kv_axis}, {T, kvdim, tok}, {hd, 1, Axis::HeadDim}}, {normed});

    if (compute)
      for (int r = 0; r < rows; ++r) {
        const int pos = s.positions[static_cast<size_t>(r)];
        ops::rope_row(s.q.row(r).data(), s.qr.row(r).data(), nh, hd, s.rope, pos);
        ops::rope_row(s.k.row(r).data(), s.kr.row(r).data(), nkv, hd, s.rope, pos);
      }
    const int pos_query = emit(pick(ph, "prefill_pos_query_states", "pos_query_states", "pos_query_states"), Op::Rope,
                               s.qr.data(), T * qdim, {{nh, hd, Axis::Heads}, {T, qdim, tok}, {hd, 1, Axis::HeadDim}},
                               {query, positions});
    const int pos_key = emit(pick(ph, "prefill_pos_key_states", "pos_more_key_states", "pos_key_states"), Op::Rope,
                             s.kr.data(), T * kvdim, {{nkv, hd, kv_axis}, {T, kvdim, tok}, {hd, 1, Axis::HeadDim}},
                             {key, positions});

    // The keys and values attended to: the cache (new rows appended) or, uncached, this pass's own.
    const float* keys_data = s.kr.data();
    const float* values_data = s.v.data();
    int64_t kv_b = T * kvdim, kv_head = hd, kv_pos = kvdim;
    int keys = pos_key, values = value;
    if (cached) {
      if (compute)
        for (int b = 0; b < B; ++b)
          for (int h = 0; h < nkv; ++h)
            for (int t = 0; t < T; ++t) {
              const int64_t src = static_cast<int64_t>(b * T + t) * kvdim + h * hd;
              std::copy_n(s.kr.data() + src, hd, cache->keys(l, b, h) + static_cast<int64_t>(P + t) * hd);
              std::copy_n(s.v.data() + src, hd, cache->values(l, b, h) + static_cast<int64_t>(P + t) * hd);
            }
      keys_data = compute ? cache->keys(l, 0, 0) : nullptr;
      values_data = compute ? cache->values(l, 0, 0) : nullptr;
      kv_b = cache_b;
      kv_head = static_cast<int64_t>(cache_len) * hd;
      kv_pos = hd;
      if (ph == Phase::Decode) {
        keys = emit("pos_key_states", Op::Concat, keys_data, kv_b, {{nkv, kv_head, kv_axis}, {S, kv_pos, ctx}, {hd, 1, Axis::HeadDim}},
                    {cache->key_event[l], pos_key});
        values = emit("value_states", Op::Concat, values_data, kv_b,
                      {{nkv, kv_head, kv_axis}, {S, kv_pos, ctx}, {hd, 1, Axis::HeadDim}}, {cache->value_event[l], value});
      }
      cache->key_event[l] = keys;
      cache->value_event[l] = values;
    }
    if (n_rep > 1) {
      keys = emit.repeated(pick(ph, "prefill_repeated_key_states", "repeated_key_states", "repeated_key_states"), keys_data,
                           kv_b, {{nh, kv_head, Axis::Heads}, {S, kv_pos, ctx}, {hd, 1, Axis::HeadDim}}, 0, n_rep, {keys});
      values = emit.repeated(pick(ph, "prefill_repeated_value_states", "repeated_value_states", "repeated_value_states"),
                             values_data, kv_b, {{nh, kv_head, Axis::Heads}, {S, kv_pos, ctx}, {hd, 1, Axis::HeadDim}}, 0,
                             n_rep, {values});
    }

    // scores[b, h] = q_h K_{h / n_rep}^T / sqrt(hd): a matrix-vector product per head when T = 1.
    const int64_t head_scores = static_cast<int64_t>(T) * S;
    if (compute)
      for (int b = 0; b < B; ++b)
        for (int h = 0; h < nh; ++h) {
          const ops::ConstStridedMap qh(s.qr.data() + static_cast<int64_t>(b) * T * qdim + h * hd, T, hd,
                                        Eigen::OuterStride<>(qdim));
          const ops::ConstStridedMap kh(keys_data + b * kv_b + (h / n_rep) * kv_head, S, hd, Eigen::OuterStride<>(kv_pos));
          Eigen::Map<Matrix> sc(s.scores.data() + (static_cast<int64_t>(b) * nh + h) * head_scores, T, S);
          sc.noalias() = (qh * kh.transpose()) * scale;
        }
    const int unmasked = emit(pick(ph, "prefill_unmasked_attn_weights", "unmasked_attn_weights", "unmasked_attn_weights"),
                              Op::Matmul, s.scores.data(), nh * head_scores,
                              {{nh, head_scores, Axis::Heads}, {T, S, tok}, {S, 1, ctx}}, {pos_query, keys});
    int weights_in = unmasked;
    if (ph != Phase::Decode) {
      // Query t sits at position P + t and sees keys up to it; HF adds the lowest float elsewhere.
      if (compute)
        for (int t = 0; t < T; ++t)
          for (int j = 0; j < S; ++j)
            s.mask[static_cast<size_t>(t * S + j)] = j <= P + t ? 0.0f : std::numeric_limits<float>::lowest();
      const int mask = emit(pick(ph, "prefill_causal_mask", "causal_mask", "causal_mask"), Op::Mask, s.mask.data(), 0,
                            {{1, 0, Axis::MaskHeads}, {T, S, tok}, {S, 1, ctx}}, {});
      if (compute)
        for (int64_t bh = 0; bh < static_cast<int64_t>(B) * nh; ++bh) {
          Eigen::Map<Eigen::ArrayXf> sc(s.scores.data() + bh * head_scores, head_scores);
          sc += Eigen::Map<const Eigen::ArrayXf>(s.mask.data(), head_scores);
        }
      weights_in = emit(pick(ph, "prefill_masked_attn_weights", "masked_attn_weights", "masked_attn_weights"), Op::Add,
                        s.scores.data(), nh * head_scores, {{nh, head_scores, Axis::Heads}, {T, S, tok}, {S, 1, ctx}},
                        {unmasked, mask});
    }
    if (compute) ops::softmax_rows(s.scores.data(), static_cast<int64_t>(B) * nh * T, S);
    const int probs = emit(pick(ph, "prefill_attn_weights", "attn_weights", "attn_weights"), Op::Softmax, s.scores.data(),
                           nh * head_scores, {{nh, head_scores, Axis::Heads}, {T, S, tok}, {S, 1, ctx}}, {weights_in});

    // Written straight into [B, T, heads, hd], so the transpose and the reshape are views, as in HF.
    if (compute)
      for (int b = 0; b < B; ++b)
        for (int h = 0; h < nh; ++h) {
          Eigen::Map<const Matrix> ph_(s.scores.data() + (static_cast<int64_t>(b) * nh + h) * head_scores, T, S);
          const ops::ConstStridedMap vh(values_data + b * kv_b + (h / n_rep) * kv_head, S, hd, Eigen::OuterStride<>(kv_pos));
          ops::StridedMap out(s.attn.data() + static_cast<int64_t>(b) * T * qdim + h * hd, T, hd, Eigen::OuterStride<>(qdim));
          out.noalias() = ph_ * vh;
        }
    const int tmp1 = emit(pick(ph, "prefill_attn_tmp_output1", "attn_tmp_output1", "attn_tmp_output1"), Op::Matmul,
                          s.attn.data(), T * qdim, {{nh, hd, Axis::Heads}, {T, qdim, tok}, {hd, 1, Axis::HeadDim}},
                          {probs, values});
    const int tmp2 = emit(pick(ph, "prefill_attn_tmp_output2", "attn_tmp_output2", "attn_tmp_output2"), Op::Transpose,
                          s.attn.data(), T * qdim, {{T, qdim, tok}, {nh, hd, Axis::Heads}, {hd, 1, Axis::HeadDim}}, {tmp1});
    const int tmp3 = emit(pick(ph, "prefill_attn_tmp_output3", "attn_tmp_output3", "attn_tmp_output3"), Op::Reshape,
                          s.attn.data(), T * qdim, {{T, qdim, tok}, {qdim, 1, Axis::HeadsTimesHeadDim}}, {tmp2});

    if (compute) ops::linear(s.attn, w->o_proj, s.proj, rows);
    const int projected = emit(pick(ph, "prefill_attn_projected", "attn_projected", "attn_projected"), Op::Linear,
                               s.proj.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}}, {tmp3});
    if (compute) s.x.topRows(rows) += s.proj.topRows(rows);
    const int attn_output = emit(pick(ph, "prefill_attn_output", "attn_output", "attn_output"), Op::Add, s.x.data(), T * H,
                                 {{T, H, tok}, {H, 1, Axis::Hidden}}, {embeds, projected});

    if (compute) ops::rms_norm(s.x, w->post_attention_layernorm, static_cast<float>(c.rms_norm_eps), s.xn, rows);
    const int post_normed =
        emit(pick(ph, "prefill_attn_output_layernormed", "attn_output_layernormed", "attn_output_layernormed"),
             Op::RmsNorm, s.xn.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}}, {attn_output});

    if (compute) {
      ops::linear(s.xn, w->gate_proj, s.gate, rows);
      ops::linear(s.xn, w->up_proj, s.up, rows);
    }
    const int gate = emit(pick(ph, "prefill_gate_projected", "gate_projected", "gate_projected"), Op::Linear,
                          s.gate.data(), T * I, {{T, I, tok}, {I, 1, Axis::Intermediate}}, {post_normed});
    const int up = emit(pick(ph, "prefill_up_projected", "up_projected", "up_projected"), Op::Linear, s.up.data(), T * I,
                        {{T, I, tok}, {I, 1, Axis::Intermediate}}, {post_normed});
    if (compute) ops::silu_mul(s.gate, s.up, rows);
    const int activated = emit(pick(ph, "prefill_activated", "activated", "activated"), Op::SiluMul, s.gate.data(), T * I,
                               {{T, I, tok}, {I, 1, Axis::Intermediate}}, {gate, up});
    if (compute) ops::linear(s.gate, w->down_proj, s.down, rows);
    const int down = emit(pick(ph, "prefill_down_projected", "down_projected", "down_projected"), Op::Linear,
                          s.down.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}}, {activated});
    if (compute) s.x.topRows(rows) += s.down.topRows(rows);
    hidden = emit(pick(ph, "prefill_layer_output", "layer_output", "layer_output"), Op::Add, s.x.data(), T * H,
                  {{T, H, tok}, {H, 1, Axis::Hidden}}, {attn_output, down});
  }
  emit.layer = -1;
  if (cached) cache->advance(T);

  PassOutput out;
  if (!in.predict) return out;
  // HF computes every row's logits; the next token comes from each sequence's last row.
  if (compute) {
    ops::rms_norm(s.x, weights_->norm, static_cast<float>(c.rms_norm_eps), s.out_norm, rows);
    ops::linear(s.out_norm, weights_->head(), s.logits, rows);
  }
  const int out_normed = emit(pick(ph, "prefill_output_layernormed", "output_layernormed", "output_layernormed"),
                              Op::RmsNorm, s.out_norm.data(), T * H, {{T, H, tok}, {H, 1, Axis::Hidden}}, {hidden});
  const int logits = emit(pick(ph, "prefill_logits", "logits", "logits"), Op::Linear, s.logits.data(),
                          static_cast<int64_t>(T) * V, {{T, V, tok}, {V, 1, Axis::Vocab}}, {out_normed});
  for (int b = 0; b < B; ++b) {
    if (!compute) break;
    const float* last = s.logits.row(b * T + T - 1).data();
    std::copy_n(last, V, s.last_logits.data() + static_cast<int64_t>(b) * V);
    s.next_tokens[static_cast<size_t>(b)] = ops::argmax(last, V);
  }
  out.next_tokens = std::span<const int32_t>(s.next_tokens.data(), static_cast<size_t>(B));
  out.next_tokens_event = emit.ids(pick(ph, "prefill_next_tokens", "next_tokens", "next_tokens"), Op::Argmax,
                                   s.next_tokens.data(), 1, {{B, 1, Axis::TokenPerSequence}}, {logits}, false);
  return out;
}

}  // namespace kvscope::core
