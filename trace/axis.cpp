#include "trace/axis.h"

namespace kvscope::trace {

std::string_view axis_label_en(Axis a) {
  switch (a) {
    case Axis::Batch: return "batch";
    case Axis::InputTokens: return "input tokens";
    case Axis::PrefillTokens: return "prefill tokens";
    case Axis::PredictTokens: return "predicted tokens";
    case Axis::AllTokens: return "all tokens";
    case Axis::Heads: return "heads";
    case Axis::KvHeads: return "kv heads";
    case Axis::HeadDim: return "head size";
    case Axis::Hidden: return "hidden size";
    case Axis::HeadsTimesHeadDim: return "heads x head size";
    case Axis::Intermediate: return "intermediate size";
    case Axis::Vocab: return "vocab size";
    case Axis::MaskHeads: return "1 (same mask for all heads)";
    case Axis::TokenPerSequence: return "one token per sequence";
  }
  return "?";
}

// The seed note's own words (../shared/seeds/000_*.txt); axes the seed never shows get a plain translation.
std::string_view axis_label_zh(Axis a) {
  switch (a) {
    case Axis::Batch: return "批大小";
    case Axis::InputTokens: return "所有输入token的长度";
    case Axis::PrefillTokens: return "填充缓存的token序列";
    case Axis::PredictTokens: return "预测的token序列";
    case Axis::AllTokens: return "全token序列";
    case Axis::Heads: return "头的个数";
    case Axis::KvHeads: return "kv头的个数";
    case Axis::HeadDim: return "每头 hidden size";
    // The seed labels the merged heads axis by what it equals there: the model hidden size.
    case Axis::Hidden:
    case Axis::HeadsTimesHeadDim: return "模型 hidden size";
    case Axis::Intermediate: return "intermediate size";
    case Axis::Vocab: return "字典大小";
    case Axis::MaskHeads: return "固定为1,表示对所有的头使用相同的mask";
    case Axis::TokenPerSequence: return "一维数组";
  }
  return "?";
}

}  // namespace kvscope::trace
