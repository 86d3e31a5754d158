#pragma once
// The font atlas: DejaVu Sans for text and, merged into it, only the CJK glyphs the app actually shows
// (a whole CJK range would cost seconds of start-up and megabytes of texture).
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <imgui.h>

namespace kvscope::gui {

class Fonts {
 public:
  Fonts(float scale, std::string_view initial_text);  // before the first frame
  // Notes the glyphs of `text` the atlas lacks; the next rebuild_if_needed() adds them.
  void want(std::string_view text);
  // Between frames only (not between NewFrame and Render). True when it rebuilt: text widths changed.
  bool rebuild_if_needed();
  float graph_font_size() const { return 14.0f; }
  // The font to draw graph text of `px` pixels with: the atlas holds it at several sizes, so text is never
  // shrunk far from the size it was rasterised at (shrunk text loses its underscores and thin strokes).
  ImFont* graph_font(float px) const;
  float measure_graph_text(std::string_view text) const;
  const std::string& note() const { return note_; }  // why Chinese may not render, when it cannot

 private:
  void build();

  float scale_;
  std::set<unsigned> codepoints_;
  bool stale_ = false;
  ImVector<ImWchar> ranges_;
  std::vector<std::pair<float, ImFont*>> graph_fonts_;  // by size, ascending
  std::string note_;
};

}  // namespace kvscope::gui
