#pragma once
// The meaning of one tensor axis, with its English label and the Chinese label of the seed notes.
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
  TokenPerSequence  // next_tokens: one id per sequence
};

std::string_view axis_label_en(Axis a);
std::string_view axis_label_zh(Axis a);

}  // namespace kvscope::trace
