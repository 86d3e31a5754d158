#include "app/gui/logic/ui_text.h"

#include <array>
#include <string_view>
#include <unordered_map>

namespace kvscope::gui {

namespace {

using Entry = std::pair<std::string_view, std::string_view>;

// English as the panels write it, then Chinese. Grouped by panel; keep each group's entries together.
constexpr std::array kTable{
    // app layout, status bar, help
    Entry{"Inspector", "检查器"}, Entry{"Click a node to inspect it.", "点击一个节点查看它。"},
    // graph panes
    // model and run controls
    Entry{"Model", "模型"}, Entry{"View", "视图"},
    // inspector and charts
    // KV cache panel
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

}  // namespace kvscope::gui
