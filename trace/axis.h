#pragma once
// The meaning of one tensor axis, with its English label and the Chinese label of the seed notes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace kvscope::trace {

enum class Axis {
  Batch,
  InputTokens,    // every prompt token, before the cache split
  PrefillTokens,  // tokens that fill the cache
  PredictTokens,  // tokens run through the decode path
  AllTokens,      // cached + new tokens, or the whole sequence of an uncached pass
  Heads,
  KvHeads,  // only used when there are fewer kv heads than heads (GQA)
  HeadDim,
  Hidden,
  HeadsTimesHeadDim,
  Intermediate,
  Vocab,
  MaskHeads,        // the mask's head axis, 1: the same mask for all heads
  TokenPerSequence  // next_tokens: one id per sequence; stays last, it sizes the label tables
};

// Tables in the enum's order, read inline: every recorded event looks up a label in each set per axis.
inline constexpr std::array<std::string_view, static_cast<std::size_t>(Axis::TokenPerSequence) + 1> kAxisLabelsEn = {
    "batch",
    "input tokens",
    "prefill tokens",
    "predicted tokens",
    "all tokens",
    "heads",
    "kv heads",
    "head size",
    "hidden size",
    "heads x head size",
    "intermediate size",
    "vocab size",
    "1 (same mask for all heads)",
    "one token per sequence",
};

// The seed note's own words (../shared/seeds/000_*.txt); axes the seed never shows get a plain translation. The
// seed labels the merged heads axis (HeadsTimesHeadDim) by what it equals there: the model hidden size.
inline constexpr std::array<std::string_view, kAxisLabelsEn.size()> kAxisLabelsZh = {
    "批大小",
    "所有输入token的长度",
    "填充缓存的token序列",
    "预测的token序列",
    "全token序列",
    "头的个数",
    "kv头的个数",
    "每头 hidden size",
    "模型 hidden size",
    "模型 hidden size",
    "intermediate size",
    "字典大小",
    "固定为1,表示对所有的头使用相同的mask",
    "一维数组",
};

// An axis added without its labels leaves an empty entry, and the build stops here.
static_assert(std::ranges::none_of(kAxisLabelsEn, &std::string_view::empty));
static_assert(std::ranges::none_of(kAxisLabelsZh, &std::string_view::empty));

inline std::string_view axis_label_en(Axis a) { return kAxisLabelsEn[static_cast<std::size_t>(a)]; }
inline std::string_view axis_label_zh(Axis a) { return kAxisLabelsZh[static_cast<std::size_t>(a)]; }

}  // namespace kvscope::trace
