#pragma once
// Where the fonts are: a Latin text font and a CJK font for the seed's Chinese labels, from the Debian
// packages the README installs. Absent fonts are not an error: the app falls back and says so.
#include <optional>
#include <string>
#include <vector>

namespace kvscope::gui {

struct FontFile {
  std::string path;
  int face = 0;  // index inside a .ttc collection
};

// KVSCOPE_CJK_FONT (a path) wins over the known locations of fonts-noto-cjk and fonts-wqy-microhei.
std::optional<FontFile> find_cjk_font();
std::optional<FontFile> find_text_font();  // DejaVu Sans (fonts-dejavu-core)

// Codepoints above ASCII in UTF-8 text, each once, in order of appearance.
std::vector<unsigned> non_ascii_codepoints(const std::string& utf8);

}  // namespace kvscope::gui
