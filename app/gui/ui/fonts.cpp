#include "app/gui/ui/fonts.h"

#include <imgui_impl_opengl3.h>

#include "app/gui/logic/font_files.h"

namespace kvscope::gui {

namespace {
constexpr float kUiFontPixels = 16.0f;
// The graph's text at these sizes: from the readable minimum up to a close zoom.
constexpr float kGraphFontPixels[] = {8, 11, 14, 18, 24, 32};

// Always in the atlas, beside Latin: the marks that make a token's whitespace visible (␣ ↵ →), SentencePiece's
// word marker ▁ and its neighbours, punctuation such as the ellipsis of a cut label, and U+FFFD, which a
// decoder writes for bytes that are not UTF-8. Token pieces appear after start-up; these must never be '?'.
constexpr ImWchar kTokenGlyphs[] = {
    0x2000, 0x206F,  // General Punctuation
    0x2190, 0x21FF,  // Arrows
    0x2420, 0x243F,  // Control Pictures
    0x2580, 0x259F,  // Block Elements
    0xFFFD, 0xFFFD,  // replacement character
    0,
};
}  // namespace

Fonts::Fonts(float scale, std::string_view initial_text) : scale_(scale) {
  for (unsigned cp : non_ascii_codepoints(std::string(initial_text)))
    if (cp <= 0xFFFF) codepoints_.insert(cp);
  build();
}

void Fonts::want(std::string_view text) {
  for (unsigned cp : non_ascii_codepoints(std::string(text)))
    if (cp <= 0xFFFF && codepoints_.insert(cp).second) stale_ = true;
}

bool Fonts::rebuild_if_needed() {
  if (!stale_) return false;
  build();
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  return true;
}

void Fonts::build() {
  stale_ = false;
  ImFontAtlas& atlas = *ImGui::GetIO().Fonts;
  atlas.Clear();
  ImFontGlyphRangesBuilder builder;
  builder.AddRanges(atlas.GetGlyphRangesDefault());
  builder.AddRanges(kTokenGlyphs);
  for (unsigned cp : codepoints_) builder.AddChar(static_cast<ImWchar>(cp));
  ranges_.clear();
  builder.BuildRanges(&ranges_);

  const auto text_font = find_text_font();
  const auto cjk = find_cjk_font();
  auto add = [&](float pixels) {
    ImFont* font = nullptr;
    if (text_font) {
      ImFontConfig cfg;
      cfg.FontNo = text_font->face;
      font = atlas.AddFontFromFileTTF(text_font->path.c_str(), pixels, &cfg, ranges_.Data);
    } else {
      ImFontConfig cfg;
      cfg.SizePixels = pixels;
      font = atlas.AddFontDefault(&cfg);
    }
    if (cjk) {
      ImFontConfig cfg;
      cfg.MergeMode = true;
      cfg.FontNo = cjk->face;
      cfg.OversampleH = 1;  // CJK glyphs are dense; sub-pixel oversampling only doubles the texture
      atlas.AddFontFromFileTTF(cjk->path.c_str(), pixels, &cfg, ranges_.Data);
    }
    return font;
  };
  add(kUiFontPixels * scale_);  // the first font is ImGui's default: the panels' text
  graph_fonts_.clear();
  for (float px : kGraphFontPixels) graph_fonts_.push_back({px * scale_, add(px * scale_)});
  note_ = cjk ? ""
              : "No CJK font found: Chinese labels show as '?'. Install fonts-noto-cjk or fonts-wqy-microhei, "
                "or set KVSCOPE_CJK_FONT to a .ttf/.ttc file.";
  atlas.Build();
}

ImFont* Fonts::graph_font(float px) const {
  // The smallest baked size not much below `px`: shrinking by up to a tenth keeps strokes; enlarging blurs less
  // than shrinking loses.
  for (const auto& [size, font] : graph_fonts_)
    if (size >= px * 0.9f) return font;
  return graph_fonts_.back().second;
}

float Fonts::measure_graph_text(std::string_view text) const {
  ImFont* font = graph_font(graph_font_size());
  return font->CalcTextSizeA(graph_font_size(), FLT_MAX, 0.0f, text.data(), text.data() + text.size()).x;
}

}  // namespace kvscope::gui
