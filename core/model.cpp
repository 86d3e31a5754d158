#include "core/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/emitter.h"
#include "core/memory_budget.h"
#include "core/ops.h"

namespace kvscope::core {

using trace::Axis;
using trace::Op;
using trace::Phase;
using trace::Tensor;

// llama2.c's RunState: every buffer of a pass, sized once by reserve().
class RunState {
 public:
  int batch = 0, max_tokens = 0, max_len = 0;
  Matrix x, xn, q, k, v, qr, kr, attn, proj, gate, up, down, out_norm, logits;
  std::vector<float> scores;         // [B, nh, T, S]
  std::vector<float> mask;           // [T, S]
  std::vector<int32_t> positions;    // [B, T]
  std::vector<int32_t> next_tokens;  // [B]
  std::vector<float> last_logits;    // [B, V]
  int predicted_tokens = 0;          // T of the last pass that computed logits
  ops::RopeTable rope;
  std::unique_ptr<ThreadPool> pool = std::make_unique<ThreadPool>(available_cores());
};

LlamaModel::LlamaModel(LlamaConfig config, std::optional<ModelWeights> weights)
    : config_(std::move(config)), weights_(std::move(weights)), state_(std::make_unique<RunState>()) {}
LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights)
    : LlamaModel(std::move(config), ModelWeights::adopt(std::move(weights))) {}
LlamaModel::~LlamaModel() = default;
LlamaModel::LlamaModel(LlamaModel&&) noexcept = default;

void LlamaModel::set_threads(int threads) {
  if (threads < 1) throw std::invalid_argument("threads must be at least 1, got " + std::to_string(threads));
  if (threads != state_->pool->size()) state_->pool = std::make_unique<ThreadPool>(threads);
}

int LlamaModel::threads() const { return state_->pool->size(); }

void LlamaModel::reserve(int batch, int max_tokens, int max_len) {
  RunState& s = *state_;
  if (batch == s.batch && max_tokens <= s.max_tokens && max_len <= s.max_len) return;
  const LlamaConfig& c = config_;
  const std::string what = "a pass of batch " + std::to_string(batch) + " x " + std::to_string(max_tokens) +
                           " tokens over " + std::to_string(max_len) + " positions";
  const std::string advice = "use a smaller batch or fewer tokens";
  const int64_t rows = checked_product({batch, max_tokens}, what);
  const int64_t hd = c.head_size();
  const int64_t qdim = c.num_attention_heads * hd, kvdim = c.num_key_value_heads * hd;
  // Every buffer below, in bytes, summed in 64 bits before any is allocated (shapes only: the positions).
  int64_t bytes = checked_product({rows, int64_t{sizeof(int32_t)}}, what);
  if (!meta()) {
    const int64_t per_row = 5 * int64_t{c.hidden_size} + 3 * qdim + 3 * kvdim + 2 * int64_t{c.intermediate_size} +
                            int64_t{c.vocab_size};
    int64_t floats = checked_product({rows, per_row}, what);
    floats = checked_sum(floats, checked_product({batch, c.num_attention_heads, max_tokens, max_len}, what), what);
    floats = checked_sum(floats, checked_product({max_tokens, max_len}, what), what);
    bytes = checked_sum(bytes, checked_product({floats, int64_t{sizeof(float)}}, what), what);
  }
  check_fits(bytes, what, advice);
  s.batch = batch;
  s.max_tokens = max_tokens;
  s.max_len = max_len;
  s.positions.assign(static_cast<size_t>(rows), 0);
  s.next_tokens.assign(static_cast<size_t>(batch), 0);
  if (meta()) return;  // shapes only: no activations
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

std::span<const float> LlamaModel::logits(int b) const {
  if (meta()) return {};
  const size_t rows = static_cast<size_t>(state_->predicted_tokens), v = static_cast<size_t>(config_.vocab_size);
  return std::span<const float>(state_->logits.data(), state_->logits.size())
      .subspan(static_cast<size_t>(b) * rows * v, rows * v);
}

namespace {

// The keys and values attention reads: the cache, or an uncached pass's own rows.
struct KvSource {
  const float* keys = nullptr;
  const float* values = nullptr;
  int64_t b = 0, head = 0, pos = 0;  // strides in elements: sequence, kv head, position
};

// The recurring axis arrangements of a pass over T new tokens attending to S positions. Activations are
// [B, T, features] rows; q, k and v are [B, T, heads, hd], shown as HF's [B, heads, T, hd] through
// strides, so the transposes and repeat_kv cost nothing.
struct Layouts {
  Layout ids, hidden, intermediate, vocab;  // [T], [T, H], [T, I], [T, V]
  Layout q_heads, kv_heads;                 // [nh, T, hd], [nkv, T, hd]
  Layout history, repeated;                 // [nkv, S, hd], [nh, S, hd]: the keys and values attended to
  Layout scores, mask;                      // [nh, T, S], [1, T, S]
  Layout tokens_heads, merged;              // [T, nh, hd], [T, nh * hd]
  Layout per_sequence;                      // [B]

  Layouts(const LlamaConfig& c, Phase phase, int B, int T, int S, const KvSource& kv) {
    // Axis labels of the phase: the new tokens, and the positions they attend to.
    const Axis tok = phase == Phase::Prefill  ? Axis::PrefillTokens
                     : phase == Phase::Decode ? Axis::PredictTokens
                                              : Axis::AllTokens;
    const Axis ctx = phase == Phase::Prefill ? Axis::PrefillTokens : Axis::AllTokens;
    // Without GQA the kv heads are the heads, and the seed labels them so.
    const int nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_size();
    const Axis kv_axis = nkv == nh ? Axis::Heads : Axis::KvHeads;
    const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
    const int64_t qdim = static_cast<int64_t>(nh) * hd, kvdim = static_cast<int64_t>(nkv) * hd;
    const int64_t head_scores = static_cast<int64_t>(T) * S;
    ids = Layout(T, {{T, 1, tok}});
    hidden = Layout(T * H, {{T, H, tok}, {H, 1, Axis::Hidden}});
    intermediate = Layout(T * I, {{T, I, tok}, {I, 1, Axis::Intermediate}});
    vocab = Layout(T * V, {{T, V, tok}, {V, 1, Axis::Vocab}});
    q_heads = Layout(T * qdim, {{nh, hd, Axis::Heads}, {T, qdim, tok}, {hd, 1, Axis::HeadDim}});
    kv_heads = Layout(T * kvdim, {{nkv, hd, kv_axis}, {T, kvdim, tok}, {hd, 1, Axis::HeadDim}});
    history = Layout(kv.b, {{nkv, kv.head, kv_axis}, {S, kv.pos, ctx}, {hd, 1, Axis::HeadDim}});
    repeated = Layout(kv.b, {{nh, kv.head, Axis::Heads}, {S, kv.pos, ctx}, {hd, 1, Axis::HeadDim}});
    scores = Layout(nh * head_scores, {{nh, head_scores, Axis::Heads}, {T, S, tok}, {S, 1, ctx}});
    mask = Layout(0, {{1, 0, Axis::MaskHeads}, {T, S, tok}, {S, 1, ctx}});
    tokens_heads = Layout(T * qdim, {{T, qdim, tok}, {nh, hd, Axis::Heads}, {hd, 1, Axis::HeadDim}});
    merged = Layout(T * qdim, {{T, qdim, tok}, {qdim, 1, Axis::HeadsTimesHeadDim}});
    per_sequence = Layout(-1, {{B, 1, Axis::TokenPerSequence}});
  }
};

const ModelLayer& no_layer_weights() {
  static const ModelLayer none;
  return none;
}

const ModelWeights& no_weights() {
  static const ModelWeights none;
  return none;
}

// One forward pass. The kernels below return at once in meta mode (no weights, no buffers), so the layer
// code reads like the math: compute a tensor, then name it.
class Pass {
 public:
  Pass(const LlamaConfig& c, const ModelWeights* w, RunState& s, const PassInput& in, KvCache* cache, trace::Sink* sink)
      : c_(c),
        w_(w ? *w : no_weights()),
        s_(s),
        in_(in),
        cache_(cache),
        compute_(w != nullptr),
        emit_(sink, in.step, in.phase, in.batch, !compute_),
        B_(in.batch),
        T_(in.tokens),
        P_(cache ? cache->length() : 0),
        S_(P_ + T_),
        rows_(B_ * T_),
        nh_(c.num_attention_heads),
        nkv_(c.num_key_value_heads),
        hd_(c.head_size()),
        kv_(kv_source()),
        lay_(c, in.phase, B_, T_, S_, kv_) {}

  int embed() {
    for (int r = 0; r < rows_; ++r) s_.positions[static_cast<size_t>(r)] = P_ + r % T_;
    if (compute_)
      for (int r = 0; r < rows_; ++r) w_.embed_tokens.row_to_f32(in_.ids[static_cast<size_t>(r)], s_.x.row(r).data());
    return in_.ids_event;
  }

  // One decoder layer: x += attention(norm(x)); x += mlp(norm(x)). Returns its output's event.
  int layer(int l, int hidden) {
    emit_.layer = l;
    const ModelLayer& w = compute_ ? w_.layers[static_cast<size_t>(l)] : no_layer_weights();
    const int positions = emit_.ids(Tensor::position_ids, Op::Position, s_.positions.data(), lay_.ids,
                                    {cache_ ? cache_->key_event[static_cast<size_t>(l)] : -1});
    const int embeds = emit_(Tensor::input_embeds, l == 0 ? Op::Embedding : Op::Identity, s_.x.data(), lay_.hidden,
                             {hidden});

    rms_norm(s_.x, w.input_layernorm, s_.xn);
    const int normed = emit_(Tensor::input_layernormed, Op::RmsNorm, s_.xn.data(), lay_.hidden, {embeds});
    const int projected = attention(l, w, normed, positions);
    add(s_.x, s_.proj);
    const int attn_output = emit_(Tensor::attn_output, Op::Add, s_.x.data(), lay_.hidden, {embeds, projected});

    rms_norm(s_.x, w.post_attention_layernorm, s_.xn);
    const int post_normed = emit_(Tensor::attn_output_layernormed, Op::RmsNorm, s_.xn.data(), lay_.hidden,
                                  {attn_output});
    const int down = mlp(w, post_normed);
    add(s_.x, s_.down);
    const int out = emit_(Tensor::layer_output, Op::Add, s_.x.data(), lay_.hidden, {attn_output, down});
    emit_.layer = -1;
    return out;
  }

  // Final norm, lm_head over every row (as HF computes them), and each sequence's greedy next token.
  PassOutput predict(int hidden) {
    rms_norm(s_.x, w_.norm, s_.out_norm);
    const int out_normed = emit_(Tensor::output_layernormed, Op::RmsNorm, s_.out_norm.data(), lay_.hidden, {hidden});
    linear(s_.out_norm, w_.head(), s_.logits);
    s_.predicted_tokens = T_;
    const int logits = emit_(Tensor::logits, Op::Linear, s_.logits.data(), lay_.vocab, {out_normed});
    greedy_next_tokens();
    PassOutput out;
    out.next_tokens = std::span<const int32_t>(s_.next_tokens.data(), static_cast<size_t>(B_));
    out.next_tokens_event = emit_.ids(Tensor::next_tokens, Op::Argmax, s_.next_tokens.data(), lay_.per_sequence,
                                      {logits});
    return out;
  }

 private:
  // softmax(q k^T / sqrt(hd) + mask) v, then o_proj. Returns attn_projected's event.
  int attention(int l, const ModelLayer& w, int normed, int positions) {
    linear(s_.xn, w.q_proj, s_.q);
    const int query = emit_(Tensor::query_states, Op::Linear, s_.q.data(), lay_.q_heads, {normed});
    linear(s_.xn, w.k_proj, s_.k);
    const int key = emit_(Tensor::key_states, Op::Linear, s_.k.data(), lay_.kv_heads, {normed});
    linear(s_.xn, w.v_proj, s_.v);
    const int value = emit_(Tensor::value_states, Op::Linear, s_.v.data(), lay_.kv_heads, {normed});

    rope(s_.q, s_.qr, nh_);
    const int pos_query = emit_(Tensor::pos_query_states, Op::Rope, s_.qr.data(), lay_.q_heads, {query, positions});
    rope(s_.k, s_.kr, nkv_);
    const int pos_key = emit_(Tensor::pos_key_states, Op::Rope, s_.kr.data(), lay_.kv_heads, {key, positions});

    auto [keys, values] = attended(l, pos_key, value);
    if (const int n_rep = c_.kv_groups(); n_rep > 1) {
      keys = emit_.repeated(Tensor::repeated_key_states, kv_.keys, lay_.repeated, 0, n_rep, {keys});
      values = emit_.repeated(Tensor::repeated_value_states, kv_.values, lay_.repeated, 0, n_rep, {values});
    }

    scaled_scores();
    const int unmasked = emit_(Tensor::unmasked_attn_weights, Op::Matmul, s_.scores.data(), lay_.scores,
                               {pos_query, keys});
    int logits_in = unmasked;
    if (in_.phase != Phase::Decode) {  // a decode step's one query may see every position: no mask
      causal_mask();
      const int mask = emit_(Tensor::causal_mask, Op::Mask, s_.mask.data(), lay_.mask, {});
      add_mask();
      logits_in = emit_(Tensor::masked_attn_weights, Op::Add, s_.scores.data(), lay_.scores, {unmasked, mask});
    }
    softmax();
    const int probs = emit_(Tensor::attn_weights, Op::Softmax, s_.scores.data(), lay_.scores, {logits_in});

    // Written straight into [B, T, heads, hd], so the transpose and the reshape are views, as in HF.
    weighted_values();
    const int tmp1 = emit_(Tensor::attn_tmp_output1, Op::Matmul, s_.attn.data(), lay_.q_heads, {probs, values});
    const int tmp2 = emit_(Tensor::attn_tmp_output2, Op::Transpose, s_.attn.data(), lay_.tokens_heads, {tmp1});
    const int tmp3 = emit_(Tensor::attn_tmp_output3, Op::Reshape, s_.attn.data(), lay_.merged, {tmp2});
    linear(s_.attn, w.o_proj, s_.proj);
    return emit_(Tensor::attn_projected, Op::Linear, s_.proj.data(), lay_.hidden, {tmp3});
  }

  // The events of the keys and values attention reads. A cached pass stores its new rows in the cache
  // first; a decode step then reads the whole history, the seed's concatenation.
  std::pair<int, int> attended(int l, int pos_key, int value) {
    if (!cache_) return {pos_key, value};
    const auto layer = static_cast<size_t>(l);
    cache_->write(l, s_.kr.data(), s_.v.data(), T_);
    kv_.keys = cache_->keys(l);
    kv_.values = cache_->values(l);
    int keys = pos_key, values = value;
    if (in_.phase == Phase::Decode) {
      keys = emit_(Tensor::cached_key_states, Op::Concat, kv_.keys, lay_.history, {cache_->key_event[layer], pos_key});
      values = emit_(Tensor::cached_value_states, Op::Concat, kv_.values, lay_.history,
                     {cache_->value_event[layer], value});
    }
    cache_->key_event[layer] = keys;
    cache_->value_event[layer] = values;
    return {keys, values};
  }

  // SwiGLU: down(silu(gate(x)) * up(x)). Returns down_projected's event.
  int mlp(const ModelLayer& w, int post_normed) {
    linear(s_.xn, w.gate_proj, s_.gate);
    const int gate = emit_(Tensor::gate_projected, Op::Linear, s_.gate.data(), lay_.intermediate, {post_normed});
    linear(s_.xn, w.up_proj, s_.up);
    const int up = emit_(Tensor::up_projected, Op::Linear, s_.up.data(), lay_.intermediate, {post_normed});
    silu_mul(s_.gate, s_.up);
    const int activated = emit_(Tensor::activated, Op::SiluMul, s_.gate.data(), lay_.intermediate, {gate, up});
    linear(s_.gate, w.down_proj, s_.down);
    return emit_(Tensor::down_projected, Op::Linear, s_.down.data(), lay_.hidden, {activated});
  }

  KvSource kv_source() const {
    KvSource kv;
    const int64_t kvdim = static_cast<int64_t>(nkv_) * hd_;
    if (cache_) {
      kv.b = cache_->layer_stride_b();
      kv.head = static_cast<int64_t>(cache_->max_len()) * hd_;
      kv.pos = hd_;
    } else {
      kv.keys = compute_ ? s_.kr.data() : nullptr;
      kv.values = compute_ ? s_.v.data() : nullptr;
      kv.b = T_ * kvdim;
      kv.head = hd_;
      kv.pos = kvdim;
    }
    return kv;
  }

  // --- kernels: no-ops in meta mode ---
  void rms_norm(const Matrix& x, const Vector& weight, Matrix& y) const {
    if (compute_) ops::rms_norm(x, weight, static_cast<float>(c_.rms_norm_eps), y, rows_);
  }
  void linear(const Matrix& x, const WeightMatrix& weight, Matrix& y) const {
    if (compute_) ops::linear(x, weight, y, rows_, *s_.pool);
  }
  void add(Matrix& x, const Matrix& y) const {
    if (compute_) x.topRows(rows_) += y.topRows(rows_);
  }
  void silu_mul(Matrix& gate, const Matrix& up) const {
    if (compute_) ops::silu_mul(gate, up, rows_);
  }
  void rope(const Matrix& x, Matrix& out, int heads) const {
    if (!compute_) return;
    for (int r = 0; r < rows_; ++r)
      ops::rope_row(x.row(r).data(), out.row(r).data(), heads, hd_, s_.rope, s_.positions[static_cast<size_t>(r)]);
  }

  // fn(b, h) for every sequence and head, the pairs split across the pool's threads: each head's scores, softmax
  // and weighted values are computed whole by one thread, the same way whichever it is.
  template <typename Fn>
  void for_heads(const Fn& fn) const {
    const int64_t pairs = static_cast<int64_t>(B_) * nh_;
    ThreadPool& pool = *s_.pool;
    pool.run([&](int part) {
      const int64_t last = ThreadPool::begin(pairs, part + 1, pool.size());
      for (int64_t bh = ThreadPool::begin(pairs, part, pool.size()); bh < last; ++bh)
        fn(static_cast<int>(bh / nh_), static_cast<int>(bh % nh_));
    });
  }

  // scores[b, h] = q_h K_{h / n_rep}^T / sqrt(hd), one fixed-order dot product per query and position.
  void scaled_scores() const {
    if (!compute_) return;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd_));
    const int64_t qdim = static_cast<int64_t>(nh_) * hd_, head_scores = static_cast<int64_t>(T_) * S_;
    for_heads([&](int b, int h) {
      const float* q = s_.qr.data() + b * T_ * qdim + h * hd_;
      const float* k = kv_.keys + b * kv_.b + (h / c_.kv_groups()) * kv_.head;
      float* sc = s_.scores.data() + (static_cast<int64_t>(b) * nh_ + h) * head_scores;
      for (int64_t t = 0; t < T_; ++t)
        for (int64_t j = 0; j < S_; ++j) sc[t * S_ + j] = ops::dot(q + t * qdim, k + j * kv_.pos, hd_) * scale;
    });
  }

  // Query t sits at position P + t and sees keys up to it; HF adds the lowest float elsewhere.
  void causal_mask() const {
    if (!compute_) return;
    for (int t = 0; t < T_; ++t)
      for (int j = 0; j < S_; ++j)
        s_.mask[static_cast<size_t>(t * S_ + j)] = j <= P_ + t ? 0.0f : std::numeric_limits<float>::lowest();
  }

  void add_mask() const {
    if (!compute_) return;
    const int64_t head_scores = static_cast<int64_t>(T_) * S_;
    const Eigen::Map<const Eigen::ArrayXf> mask(s_.mask.data(), head_scores);
    for (int64_t bh = 0; bh < static_cast<int64_t>(B_) * nh_; ++bh)
      Eigen::Map<Eigen::ArrayXf>(s_.scores.data() + bh * head_scores, head_scores) += mask;
  }

  void softmax() const {
    if (!compute_) return;
    const int64_t head_scores = static_cast<int64_t>(T_) * S_;
    for_heads([&](int b, int h) {
      ops::softmax_rows(s_.scores.data() + (static_cast<int64_t>(b) * nh_ + h) * head_scores, T_, S_);
    });
  }

  // attn[b, t, h] = sum over positions j, in order, of probs[t, j] * v_j.
  void weighted_values() const {
    if (!compute_) return;
    const int64_t qdim = static_cast<int64_t>(nh_) * hd_, head_scores = static_cast<int64_t>(T_) * S_;
    for_heads([&](int b, int h) {
      const float* probs = s_.scores.data() + (static_cast<int64_t>(b) * nh_ + h) * head_scores;
      const float* v = kv_.values + b * kv_.b + (h / c_.kv_groups()) * kv_.head;
      for (int64_t t = 0; t < T_; ++t) {
        float* out = s_.attn.data() + (b * T_ + t) * qdim + h * hd_;
        std::fill(out, out + hd_, 0.0f);
        for (int64_t j = 0; j < S_; ++j) ops::add_scaled(probs[t * S_ + j], v + j * kv_.pos, out, hd_);
      }
    });
  }

  // The next token comes from each sequence's last row.
  void greedy_next_tokens() const {
    if (!compute_) return;
    const int V = c_.vocab_size;
    for (int b = 0; b < B_; ++b) {
      const float* last = s_.logits.row(b * T_ + T_ - 1).data();
      std::copy_n(last, V, s_.last_logits.data() + static_cast<int64_t>(b) * V);
      s_.next_tokens[static_cast<size_t>(b)] = ops::argmax(last, V);
    }
  }

  const LlamaConfig& c_;
  const ModelWeights& w_;
  RunState& s_;
  const PassInput& in_;
  KvCache* cache_;
  const bool compute_;
  Emitter emit_;
  const int B_, T_, P_, S_, rows_;  // sequences, new tokens, cached positions, attended positions, B * T
  const int nh_, nkv_, hd_;
  KvSource kv_;
  Layouts lay_;
};

}  // namespace

PassOutput LlamaModel::forward(const PassInput& in, KvCache* cache, trace::Sink* sink) {
  const bool cached = in.phase != Phase::Full;
  if (cached && !cache) throw std::logic_error("a cached pass needs a KV cache");
  const int attended = (cached ? cache->length() : 0) + in.tokens;
  if (in.batch != state_->batch || in.tokens > state_->max_tokens || attended > state_->max_len)
    throw std::logic_error("forward pass larger than reserved: call reserve() first");

  Pass pass(config_, weights_ ? &*weights_ : nullptr, *state_, in, cached ? cache : nullptr, sink);
  int hidden = pass.embed();
  for (int l = 0; l < config_.num_hidden_layers; ++l) hidden = pass.layer(l, hidden);
  if (cached) cache->advance(in.tokens);
  return in.predict ? pass.predict(hidden) : PassOutput{};
}

}  // namespace kvscope::core
