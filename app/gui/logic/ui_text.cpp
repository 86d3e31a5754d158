#include "app/gui/logic/ui_text.h"

#include <array>
#include <cctype>
#include <string_view>
#include <unordered_map>

namespace kvscope::gui {

namespace {

using Entry = std::pair<std::string_view, std::string_view>;

// English as the panels write it, then Chinese. Grouped by panel; keep each group's entries together.
constexpr std::array kTable{
    // app layout, status bar, help
    Entry{"Inspector", "检查器"},
    Entry{"Click a node to inspect it.", "点击一个节点查看它。"},
    // graph panes
    // model and run controls
    Entry{"Model", "模型"},
    Entry{"View", "视图"},
    // inspector and charts
    Entry{"weights (once per pass) + KV cache rows read; activations not counted",
          "权重(每次前向读一遍)+ 读取的KV缓存行;不计激活值"},
    Entry{"cumulative MACs", "累计乘加次数 (MACs)"},
    Entry{"bytes read per token", "每个token读取的字节"},
    Entry{"KV cache in use", "已占用的KV缓存"},
    Entry{"cached", "有缓存"},
    Entry{"uncached", "无缓存"},
    Entry{"token %d: cached %s, uncached %s", "第%d个token:有缓存 %s,无缓存 %s"},
    Entry{"token %d: cached %s", "第%d个token:有缓存 %s"},
    Entry{"no tokens yet: press Step", "还没有token:请按 Step"},
    Entry{"generated token", "生成的token"},
    Entry{"Time %d runs", "计时 %d 次"},
    Entry{"Replays the whole generation %d times in each mode, without tracing, and shows the median wall-clock time. "
          "One timed run says more about the machine's load than about the cache.",
          "两种模式各重放整个生成过程 %d "
          "次(不记录trace),显示挂钟时间的中位数。只计时一次,反映的多是机器的负载,而不是缓存的作用。"},
    Entry{"timing %d runs of each mode...", "正在计时:每种模式 %d 次..."},
    Entry{"median of %d runs: cached %.2f ms, uncached %.2f ms (wall clock, %d tokens)",
          "%d 次运行的中位数:有缓存 %.2f ms,无缓存 %.2f ms(挂钟时间,%d 个token)"},
    Entry{"each run, ms (cached | uncached):", "每次运行的 ms(有缓存 | 无缓存):"},
    Entry{"the charts count work; time is measured only on request", "图表统计的是计算量;时间只在点击计时后测量"},
    Entry{"meta run: shapes only, nothing is computed, so there is no time to measure",
          "meta 运行:只有形状,没有实际计算,所以没有时间可测"},
    Entry{"probability (softmax output), fixed scale 0 to 1", "概率(softmax 输出),固定刻度 0 到 1"},
    Entry{"value, diverging around 0 (scale: this tensor's range)", "数值,以 0 为中心的双色刻度(范围:整个张量)"},
    Entry{"value (scale: this tensor's range)", "数值(刻度范围:整个张量)"},
    Entry{"masked: %d cells (a score of -inf, a weight of 0 after softmax)",
          "被遮蔽:%d 个格子(分数为 -inf,softmax 后权重为 0)"},
    Entry{"the heatmap shows one 2-D slice; this picks it (%s)", "热图显示一个二维切片,这里选择哪一个(%s)"},
    Entry{"head %d of %d", "第 %d 个头,共 %d 个"},
    Entry{"kv head %d of %d", "第 %d 个kv头,共 %d 个"},
    Entry{"sequence %d of %d", "第 %d 个序列,共 %d 个"},
    Entry{"%s %d of %d", "%s:第 %d 个,共 %d 个"},
    Entry{"%s run", "%s运行"},
    Entry{"Focus", "聚焦"},
    Entry{"inputs", "输入"},
    Entry{"consumers", "使用者"},
    Entry{"min %.4g  max %.4g", "最小 %.4g  最大 %.4g"},
    Entry{"mean %.4g  std %.4g", "均值 %.4g  标准差 %.4g"},
    Entry{"histogram", "直方图"},
    // KV cache panel
    Entry{"KV cache", "KV 缓存"},
    Entry{"The cache is empty: press Prefill or Step.", "缓存为空:请按 Prefill(预填充)或 Step(单步)。"},
    Entry{"row %d", "第 %d 行"},
    Entry{"rows %d–%d", "第 %d–%d 行"},
    Entry{"in its one layer", "仅 1 层"},
    Entry{"in each of %d layers", "每层都是,共 %d 层"},
    Entry{" (× batch %d)", "(× 批大小 %d)"},
    Entry{"step %d (prefill) appended %s %s and read %s", "第 %d 步(预填充)追加了%s(%s),并读取了%s"},
    Entry{"step %d appended %s %s and read %s", "第 %d 步追加了%s(%s),并读取了%s"},
    Entry{"; the uncached run starts with the first generated token", ";无缓存的运行从第一个生成的 token 开始"},
    Entry{"; uncached recomputed %s: the same K/V work", ";无缓存的运行重算了%s:K/V 计算量相同"},
    Entry{"; uncached recomputed %s: %s× the K/V work", ";无缓存的运行重算了%s:K/V 计算量是 %s 倍"},
    Entry{"step %d (no cache) recomputed %s %s and read them", "第 %d 步(无缓存)重算了%s(%s),并读取了它们"},
    Entry{" × batch %d", " × 批大小 %d"},
    Entry{"cache: %s used of %s reserved", "缓存:已用 %s,预留 %s"},
    Entry{"no cache: %s of K,V computed again", "无缓存:重算了 %s 的 K,V"},
    Entry{"= %d layers × K,V × %d kv heads × %d of %d positions × %d dims × %d B%s",
          "= %d 层 × K,V × %d 个 kv 头 × %d/%d 个位置 × %d 维 × %d B%s"},
    Entry{"= %d layers × K,V × %d kv heads × %d positions × %d dims × %d B%s",
          "= %d 层 × K,V × %d 个 kv 头 × %d 个位置 × %d 维 × %d B%s"},
    Entry{"layer %d, position %d", "第 %d 层,位置 %d"},
    Entry{"layer %d, position %d ('%s')", "第 %d 层,位置 %d('%s')"},
    Entry{"written this step", "本步写入"},
    Entry{"written at step %d", "第 %d 步写入"},
    Entry{"held", "保存在缓存中"},
    Entry{"computed again this step (no cache)", "本步重新计算(无缓存)"},
    Entry{"read this step", "本步读取"},
    Entry{"reserved, not written yet", "已预留,尚未写入"},
    Entry{"not in the sequence yet", "尚不在序列中"},
    Entry{"append %s", "追加%s"},
    Entry{"read %s", "读取%s"},
    Entry{"with cache", "有缓存"},
    Entry{"no cache", "无缓存"},
    Entry{"in cache", "在缓存中"},
    Entry{"layers %d–%d do the same: one row stands for them", "第 %d–%d 层相同:用一行表示"},
    Entry{"recomputed (no cache)", "重新计算(无缓存)"},
    Entry{"empty", "空"},
    Entry{"Each cell: one position of one layer, its keys and values for every kv head.",
          "每格:一层中的一个位置,包含所有 kv 头的键和值。"},
};

UiLanguage g_language = UiLanguage::En;

const std::unordered_map<std::string_view, const char*>& zh_of() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string_view, const char*>;
    for (const Entry& e : kTable) (*m)[e.first] = e.second.data();
    return m;
  }();
  return *map;
}

}  // namespace

const char* ui_language_name(UiLanguage l) { return l == UiLanguage::Zh ? "zh" : "en"; }
void set_ui_language(UiLanguage l) { g_language = l; }
UiLanguage ui_language() { return g_language; }

const char* tr(const char* en) {
  if (g_language == UiLanguage::En) return en;
  const auto& map = zh_of();
  const auto it = map.find(en);
  return it == map.end() ? en : it->second;
}

std::span<const std::pair<std::string_view, std::string_view>> ui_translations() { return kTable; }

std::string in_app_words(std::string message) {
  // Longer flags first, so "--prompt-len" is not read as "--prompt" followed by "-len".
  static constexpr std::pair<std::string_view, std::string_view> kFields[] = {
      {"--prompt-len", "prompt len"},
      {"--prompt", "the prompt"},
      {"--ids", "the prompt's ids"},
      {"--tokenizer", "the tokenizer"},
      {"--new-tokens", "new tokens"},
      {"--batch", "batch"},
      {"--model", "model"},
      {"--seed", "seed"},
      {"--meta", "meta"},
      {"--stop-at-eos", "stop at end of text"},
  };
  for (const auto& [flag, field] : kFields) {
    size_t at = message.find(flag);
    while (at != std::string::npos) {
      const size_t end = at + flag.size();
      const bool longer = end < message.size() &&
                          (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-');
      if (!longer) message.replace(at, flag.size(), field);
      at = message.find(flag, at + (longer ? flag.size() : field.size()));
    }
  }
  return message;
}

}  // namespace kvscope::gui
