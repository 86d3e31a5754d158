#include "app/gui/logic/font_files.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "trace/text_format.h"

namespace kvscope::gui {

namespace {
std::optional<FontFile> first_existing(const std::vector<FontFile>& candidates) {
  std::error_code ec;
  for (const auto& f : candidates)
    if (std::filesystem::is_regular_file(f.path, ec)) return f;
  return std::nullopt;
}
}  // namespace

std::optional<FontFile> find_cjk_font() {
  if (const char* env = std::getenv("KVSCOPE_CJK_FONT"); env && *env) {
    if (auto f = first_existing({{env, 0}})) return f;
  }
  // Face 2 of Noto Sans CJK's collection is the Simplified Chinese one, the seed's script.
  return first_existing({
      {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
      {"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0},
      {"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0},
      {"/usr/share/fonts/truetype/arphic/uming.ttc", 0},
  });
}

std::optional<FontFile> find_text_font() {
  return first_existing({{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0}});
}

std::vector<unsigned> non_ascii_codepoints(const std::string& s) {
  std::vector<unsigned> out;
  std::set<unsigned> seen;
  for (size_t i = 0; i < s.size();) {
    const unsigned cp = trace::next_code_point(s, i);
    if (cp >= 0x80 && seen.insert(cp).second) out.push_back(cp);
  }
  return out;
}

}  // namespace kvscope::gui
