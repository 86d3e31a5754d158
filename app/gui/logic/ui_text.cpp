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
    Entry{"Drag to resize", "拖动以调整大小"},
    Entry{"Work", "计算量"},
    Entry{"Hide", "隐藏"},
    Entry{"Show", "显示"},
    Entry{"Space: step   R: reset   F: fit   C: counterpart   ?: help   drag: pan   wheel: zoom",
          "空格: 单步   R: 重置   F: 适配   C: 对应张量   ?: 帮助   拖动: 平移   滚轮: 缩放"},
    Entry{"Help", "帮助"},
    Entry{"Keys", "按键"},
    Entry{"generate one more token in both runs", "两个运行各再生成一个token"},
    Entry{"reset the generation", "重新开始生成"},
    Entry{"fit the graph to its pane", "让图适配窗格"},
    Entry{"show the selected tensor on the other side", "在另一侧显示所选张量"},
    Entry{"this help; Esc closes it", "本帮助；按 Esc 关闭"},
    Entry{"Mouse", "鼠标"},
    Entry{"click", "点击"},
    Entry{"inspect a tensor", "查看一个张量"},
    Entry{"drag", "拖动"},
    Entry{"pan the pane", "平移窗格"},
    Entry{"wheel", "滚轮"},
    Entry{"zoom around the pointer", "以指针为中心缩放"},
    Entry{"hover", "悬停"},
    Entry{"a node's op, shape and formula; an edge's tensor", "节点的运算、形状和公式；边所传递的张量"},
    Entry{"minimap", "小地图"},
    Entry{"click or drag to move the view", "点击或拖动以移动视图"},
    Entry{"What the marks mean", "标记的含义"},
    Entry{"purple border", "紫色边框"},
    Entry{"a layer's keys or values as the KV cache holds them", "KV 缓存中保存的某层的 key 或 value"},
    Entry{"purple edge", "紫色边"},
    Entry{"a row written into the cache, or rows read from it", "写入缓存的一行，或从缓存读出的若干行"},
    Entry{"orange outline", "橙色外框"},
    Entry{"its shape changed since the previous step (hover: how)", "形状与上一步相比有变化（悬停查看）"},
    Entry{"red corner", "红色角标"},
    Entry{"its shape differs in the other run for the same token (hover: how)",
          "同一个token在另一次运行中的形状不同（悬停查看）"},
    Entry{"blue border", "蓝色边框"},
    Entry{"the selected tensor's counterpart on the other side", "所选张量在另一侧的对应张量"},
    Entry{
        "Both runs produce the same tokens. The cached run feeds one new token per step and reads the keys and values "
        "of earlier tokens from its cache; the uncached run recomputes them for the whole sequence at every step.",
        "两次运行生成相同的token。带缓存的运行每步只输入一个新token，并从缓存读取之前token的 key 和 "
        "value；不带缓存的运行每一步都为整个序列重新计算它们。"},
    Entry{"Inspector", "检查器"},
    Entry{"Click a node to inspect it.", "点击一个节点查看它。"},
    // graph panes
    Entry{"Centre the pane on this tensor", "让窗格以这个张量为中心"},
    Entry{"Counterpart", "对应张量"},
    Entry{"Show the same tensor in the other run (C)", "在另一次运行中显示同一个张量 (C)"},
    Entry{"layer", "层"},
    Entry{"op", "运算"},
    Entry{"text", "文本"},
    Entry{"shape", "形状"},
    Entry{"held in the KV cache: read again at every later step", "保存在 KV 缓存中：之后每一步都会再次读取"},
    Entry{"computed at step", "计算于第几步:"},
    Entry{"used by this one", "在本步使用"},
    Entry{"changed since the previous step", "与上一步相比的变化"},
    Entry{"differs from the", "不同于"},
    Entry{"the layer's output is the next layer's input: the folded view draws one layer",
          "本层的输出是下一层的输入：折叠视图只画一层"},
    Entry{"carries", "传递"},
    Entry{"no step yet", "尚未运行"},
    Entry{"fills the cache, predicts no token", "填充缓存，不预测token"},
    Entry{"predicts token", "预测第几个token:"},
    Entry{"step", "步"},
    Entry{"tensors", "个张量"},
    Entry{"folded", "折叠"},
    Entry{"cached run", "带缓存的运行"},
    Entry{"uncached run", "不带缓存的运行"},
    Entry{"The whole graph: click or drag to move the view", "整张图：点击或拖动以移动视图"},
    Entry{"The uncached run starts with the first predicted token.", "不带缓存的运行从第一个预测的token开始。"},
    Entry{"Press Prefill or Step to run the model.", "按 预填充 或 单步 运行模型。"},
    Entry{"Loading %s: %s (%.1f s)", "正在加载 %s：%s（%.1f 秒）"},
    Entry{"opening the file", "打开文件"},
    Entry{"reading the weights", "读取权重"},
    Entry{"checking the weights for NaN and infinity", "检查权重中的 NaN 和无穷大"},
    Entry{"drawing random weights", "生成随机权重"},
    Entry{"Loading cancelled; still showing %s", "已取消加载；仍显示 %s"},
    Entry{"embedding", "词嵌入"},
    Entry{"final norm and lm_head", "最终归一化和 lm_head"},
    Entry{"layer %d of %d", "第 %d 层，共 %d 层"},
    Entry{"Computing: %s, %s (%.1f s)", "正在计算：%s，%s（%.1f 秒）"},
    Entry{"; %d more steps queued", "；还有 %d 步在排队"},
    Entry{"more when the step is done", "本步完成后显示更多"},
    Entry{"Cancel", "取消"},
    Entry{"Stop loading and open the default model instead", "停止加载，改为打开默认模型"},
    Entry{"Queue one more step after the one computing (Space)", "在正在计算的一步之后再排队一步（空格）"},
    Entry{"Stop loading; the model shown stays", "停止加载；保留当前模型"},
    Entry{"this step: %d tokens in | %s | KV cache %s", "本步: 输入 %d 个token | %s | KV 缓存 %s"},
    Entry{
        "Tokens the step ran through the model, multiply-accumulates it did, and the bytes the KV cache holds after it",
        "本步送入模型的token数、做的乘加次数，以及之后 KV 缓存占用的字节数"},
    // model and run controls
    Entry{"find a tensor", "查找张量"},
    Entry{"Type part of a tensor's name; Enter selects the first match", "输入张量名称的一部分；回车选中第一个匹配"},
    Entry{"no tensor of that name is drawn", "图中没有这个名字的张量"},
    Entry{"< Settings", "< 设置"},
    Entry{"Settings >", "设置 >"},
    Entry{"Show or hide the settings: model, prompt, view options, export, colours",
          "显示或隐藏设置：模型、提示词、视图选项、导出、颜色"},
    Entry{"Reset", "重置"},
    Entry{"Start the generation again (R)", "重新开始生成 (R)"},
    Entry{"Prefill", "预填充"},
    Entry{"Run the prompt through the cached model: it fills the KV cache", "用带缓存的模型处理提示词：填充 KV 缓存"},
    Entry{"Step", "单步"},
    Entry{"Generate one more token in both runs (Space)", "两个运行各再生成一个token (空格)"},
    Entry{"Pause", "暂停"},
    Entry{"Play", "播放"},
    Entry{"Step automatically at the speed set in Settings", "按设置中的速度自动单步"},
    Entry{"Run to", "运行到"},
    Entry{"How many tokens Run to generates in all", "运行到 总共生成多少个token"},
    Entry{"both", "两者"},
    Entry{"Fit", "适配"},
    Entry{"Fit the graph to its pane at a readable size (F)", "以可读的大小让图适配窗格 (F)"},
    Entry{"Keys, mouse and what the colours mean (?)", "按键、鼠标和颜色的含义 (?)"},
    Entry{"Inspector >", "检查器 >"},
    Entry{"< Inspector", "< 检查器"},
    Entry{"Show or hide the inspector", "显示或隐藏检查器"},
    Entry{"One representative layer instead of every layer", "只显示一个代表层，而不是每一层"},
    Entry{"Chinese axis labels", "中文维度标签"},
    Entry{"with the prefill step (seed 000)", "同时显示预填充步 (seed 000)"},
    Entry{"steps/s", "步/秒"},
    Entry{"How fast Play steps", "播放的速度"},
    Entry{"Interface", "界面"},
    Entry{"dark theme", "深色主题"},
    Entry{"Op colours", "运算颜色"},
    Entry{"Purple border: the KV cache. Orange outline: shape changed since the previous step. Red corner: shape "
          "differs in the other run. Hover a node for details; ? for help.",
          "紫色边框：KV 缓存。橙色外框：形状与上一步不同。红色角标：形状与另一次运行不同。悬停节点查看详情；按 ? "
          "查看帮助。"},
    Entry{"prompt (text)", "提示词（文本）"},
    Entry{"prompt (token ids)", "提示词（token id）"},
    Entry{"ids", "id"},
    Entry{"Scenarios", "场景"},
    Entry{"model", "模型"},
    Entry{"model path", "模型路径"},
    Entry{"an HF model directory, a GGUF file or a llama2.c checkpoint; Enter, then Load",
          "HF 模型目录、GGUF 文件或 llama2.c 检查点；按回车，再点加载"},
    Entry{"seed", "随机种子"},
    Entry{"prompt len", "提示词长度"},
    Entry{"a random prompt of this many ids, when the prompt field is empty",
          "提示词为空时，使用这么多个随机 id 作为提示词"},
    Entry{"batch", "批大小"},
    Entry{"new tokens", "新token数"},
    Entry{"prefill all prompt tokens", "预填充全部提示词token"},
    Entry{"meta (shapes only)", "meta（只算形状）"},
    Entry{"Load", "加载"},
    Entry{"Export the view", "导出视图"},
    Entry{"format", "格式"},
    Entry{"path", "路径"},
    Entry{"Export", "导出"},
    Entry{"generated", "已生成"},
    Entry{"prompt", "提示词"},
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
