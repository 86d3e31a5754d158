#include "app/gui/ui/fonts.h"

#include <imgui_impl_opengl3.h>

#include "app/gui/logic/font_files.h"

namespace kvscope::gui {

namespace {
constexpr float kUiFontPixels = 16.0f;

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

  const float pixels = kUiFontPixels * scale_;
  const auto text_font = find_text_font();
  if (text_font) {
    ImFontConfig cfg;
    cfg.FontNo = text_font->face;
    atlas.AddFontFromFileTTF(text_font->path.c_str(), pixels, &cfg, ranges_.Data);
  } else {
    ImFontConfig cfg;
    cfg.SizePixels = pixels;
    atlas.AddFontDefault(&cfg);
  }
  note_.clear();
  if (auto cjk = find_cjk_font()) {
    ImFontConfig cfg;
    cfg.MergeMode = true;
    cfg.FontNo = cjk->face;
    cfg.OversampleH = 1;  // CJK glyphs are dense; sub-pixel oversampling only doubles the texture
    atlas.AddFontFromFileTTF(cjk->path.c_str(), pixels, &cfg, ranges_.Data);
  } else {
    note_ =
        "No CJK font found: Chinese labels show as '?'. Install fonts-noto-cjk or fonts-wqy-microhei, "
        "or set KVSCOPE_CJK_FONT to a .ttf/.ttc file.";
  }
  atlas.Build();
}

float Fonts::measure_graph_text(std::string_view text) const {
  ImFont* font = ImGui::GetIO().Fonts->Fonts[0];
  return font->CalcTextSizeA(graph_font_size(), FLT_MAX, 0.0f, text.data(), text.data() + text.size()).x;
}

}  // namespace kvscope::gui
