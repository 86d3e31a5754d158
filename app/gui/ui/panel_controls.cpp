#include "app/gui/ui/panels.h"

#include <imgui_stdlib.h>

#include "app/gui/logic/op_colors.h"
#include "core/model_source.h"

namespace kvscope::gui {

namespace {

// Text for the tokenizer, several lines if need be, or token ids; the label says which.
void draw_prompt_field(AppState& app) {
  const bool text = app.prompt.kind == PromptKind::Text;
  ImGui::TextUnformatted(text ? "prompt (text)" : "prompt (token ids)");
  ImGui::SameLine();
  if (ImGui::RadioButton("text", text)) set_prompt_kind(app, PromptKind::Text);
  ImGui::SameLine();
  if (ImGui::RadioButton("ids", !text)) set_prompt_kind(app, PromptKind::Ids);
  if (text) ImGui::InputTextMultiline("##prompt", &app.prompt.value, {-FLT_MIN, ImGui::GetTextLineHeight() * 3.2f});
  else ImGui::InputText("##prompt", &app.prompt.value);
  if (app.prompt.value.empty()) ImGui::TextDisabled("%s", empty_prompt_hint(app.pending).c_str());
}

void draw_scenario_buttons(AppState& app) {
  ImGui::TextUnformatted("Scenarios");
  for (const Scenario& s : scenarios()) {
    ImGui::SameLine();
    if (ImGui::SmallButton(std::string(s.label).c_str())) attempt(app, [&] { load_scenario(app, s.name); });
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", std::string(s.help).c_str());
  }
}

}  // namespace

void draw_model_controls(AppState& app, UiState& ui) {
  ImGui::TextUnformatted("Model");
  app::RunSpec& p = app.pending;
  if (ImGui::BeginCombo("model", p.model.c_str())) {
    for (const auto& name : core::model_names())
      if (ImGui::Selectable(name.c_str(), name == p.model)) choose_model(app, name);
    ImGui::EndCombo();
  }
  if (ImGui::InputText("HF dir", &ui.model_dir, ImGuiInputTextFlags_EnterReturnsTrue) && !ui.model_dir.empty())
    choose_model(app, ui.model_dir);
  int seed = static_cast<int>(p.seed);
  if (ImGui::InputInt("seed", &seed) && seed >= 0) p.seed = static_cast<uint64_t>(seed);
  draw_prompt_field(app);
  ImGui::InputInt("prompt len", &p.prompt_len);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("a random prompt of this many ids, when the prompt field is empty");
  ImGui::InputInt("batch", &p.batch);
  ImGui::InputInt("new tokens", &p.new_tokens);
  bool all = p.prefill == core::PrefillScheme::All;
  if (ImGui::Checkbox("prefill all prompt tokens", &all))
    p.prefill = all ? core::PrefillScheme::All : core::PrefillScheme::AllButLast;
  ImGui::Checkbox("meta (shapes only)", &p.meta);
  if (ImGui::Button("Load")) attempt(app, [&] { load_with_prompt_field(app); });
  ImGui::SameLine();
  ImGui::TextDisabled("%s%s", app.session->model().config().name.c_str(), app.session->meta() ? " (meta)" : "");
  draw_scenario_buttons(app);
}

void draw_run_controls(AppState& app, UiState& ui) {
  if (ImGui::Button("Reset")) attempt(app, [&] { do_reset(app); });
  ImGui::SameLine();
  if (ImGui::Button("Prefill")) attempt(app, [&] { do_prefill(app); });
  ImGui::SameLine();
  if (ImGui::Button("Step")) attempt(app, [&] { do_step(app); });
  ImGui::SameLine();
  if (ImGui::Button(app.playing ? "Pause" : "Play")) app.playing = !app.playing;
  ImGui::SliderFloat("steps/s", &app.speed, 0.25f, 20.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
  ImGui::InputInt("##runto", &ui.run_to);
  ImGui::SameLine();
  if (ImGui::Button("Run to")) attempt(app, [&] { do_run_to(app, ui.run_to); });
  ImGui::TextDisabled("Space: step  R: reset  F: fit");
  if (!app.status.empty()) {
    const ImVec4 colour = app.status_error ? ImVec4{0.8f, 0.1f, 0.1f, 1} : ImVec4{0.1f, 0.5f, 0.1f, 1};
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(colour, "%s", app.status.c_str());
    ImGui::PopTextWrapPos();
  }
}

void draw_view_controls(AppState& app) {
  int mode = static_cast<int>(app.mode);
  ImGui::TextUnformatted("View");
  bool changed = ImGui::RadioButton("cached", &mode, 0);
  ImGui::SameLine();
  changed |= ImGui::RadioButton("uncached", &mode, 1);
  ImGui::SameLine();
  changed |= ImGui::RadioButton("both", &mode, 2);
  if (changed) {
    app.mode = static_cast<ViewMode>(mode);
    app.fit_requested = true;
  }
  ViewOptions o = app.view;
  bool edit = ImGui::Checkbox("folded", &o.fold);
  ImGui::SameLine();
  bool zh = o.labels == trace::Labels::Zh;
  if (ImGui::Checkbox("中文 labels", &zh)) {
    o.labels = zh ? trace::Labels::Zh : trace::Labels::En;
    edit = true;
  }
  edit |= ImGui::Checkbox("with the prefill step (seed 000)", &o.with_prefill);
  const int layers = app.session->model().config().num_hidden_layers;
  if (o.fold) edit |= ImGui::SliderInt("layer", &o.layer, 0, layers - 1);
  if (edit) attempt(app, [&] { set_view_options(app, o); });
  if (ImGui::Button("Fit view")) {
    app.fit_requested = true;
  }
}

void draw_legend(const AppState& app) {
  ImGui::TextUnformatted("Op colours");
  std::vector<trace::Op> ops = pane(app, Side::Cached).ops;
  for (trace::Op op : pane(app, Side::Uncached).ops)
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
  std::sort(ops.begin(), ops.end());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float h = ImGui::GetTextLineHeight();
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i % 2) ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.5f + ImGui::GetStyle().WindowPadding.x);
    const Rgb c = op_color(ops[i]);
    ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(p, {p.x + h, p.y + h}, rgba(c.r, c.g, c.b));
    ImGui::Dummy({h, h});
    ImGui::SameLine();
    ImGui::TextUnformatted(std::string(trace::op_name(ops[i])).c_str());
  }
  ImGui::TextDisabled("purple border: KV cache; red dot: differs\nbetween the sides; yellow glow: changed");
}

void draw_export_controls(AppState& app, UiState& ui) {
  ImGui::TextUnformatted("Export the view");
  ImGui::Combo("format", &ui.export_format, kExportFormats, IM_ARRAYSIZE(kExportFormats));
  ImGui::InputText("path", &ui.export_path);
  if (ImGui::Button("Export"))
    attempt(app, [&] { export_view(app, kExportFormats[ui.export_format], ui.export_path); });
}

namespace {

struct ChipColours {
  ImU32 prompt = rgba(200, 205, 220), generated = rgba(170, 215, 170), newest = rgba(250, 200, 80);
};

// A token as a chip showing its piece; the tooltip gives its position and id.
void token_chip(const TokenView& token, ImU32 fill) {
  const std::string label = token.label();
  const ImVec2 size = ImGui::CalcTextSize(label.c_str());
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::Dummy({size.x + 8, size.y + 2});
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, {p.x + size.x + 8, p.y + size.y + 2}, fill, 3);
  dl->AddText({p.x + 4, p.y + 1}, rgba(20, 20, 20), label.c_str());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", token_tooltip(token).c_str());
}

// Continues the line with an item `width` wide when it fits, else starts the next line.
void same_line_if_fits(float width, float gap) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + gap + width < right) ImGui::SameLine(0, gap);
}

// The height of a box that grows with what it held last frame, from one line up to `most`; beyond, it scrolls.
float box_height(float content, float line, float most) { return std::clamp(content, line, most); }

// "prompt" and "generated" head their tokens in the flow, so the chips' colours need no legend. The chips wrap
// in a box of up to two rows that scrolls to the newest token when one arrives.
void draw_token_chips(const TokenStrip& strip, UiState& ui) {
  const ChipColours colours;
  const float row = ImGui::GetTextLineHeight() + 2 + ImGui::GetStyle().ItemSpacing.y;
  ImGui::BeginChild("tokens", {0, box_height(ui.chips_height, row, 2 * row)}, false);
  const auto& tokens = strip.tokens;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const bool starts_part = i == 0 || tokens[i].generated != tokens[i - 1].generated;
    if (starts_part) {
      const char* part = tokens[i].generated ? "generated" : "prompt";
      if (i > 0) same_line_if_fits(ImGui::CalcTextSize(part).x, 10);
      ImGui::TextDisabled("%s", part);
    }
    same_line_if_fits(ImGui::CalcTextSize(tokens[i].label().c_str()).x + 8, starts_part ? 6 : 2);
    const bool newest = tokens[i].generated && i + 1 == tokens.size();
    token_chip(tokens[i], newest ? colours.newest : tokens[i].generated ? colours.generated : colours.prompt);
  }
  if (ui.tokens_shown != tokens.size()) ImGui::SetScrollHereY(1.0f);
  ui.chips_height = ImGui::GetCursorPosY() - ImGui::GetStyle().ItemSpacing.y;
  ImGui::EndChild();
}

// The decoded text in a box of up to two lines, scrolled to its end when it grows.
void draw_decoded_text(const TokenStrip& strip, UiState& ui) {
  ImGui::TextDisabled("text");
  ImGui::SameLine();
  const float line = ImGui::GetTextLineHeight();
  ImGui::BeginChild("text", {0, box_height(ui.text_height, line, 2 * ImGui::GetTextLineHeightWithSpacing())}, false);
  ImGui::TextWrapped("%s", strip.text.c_str());
  if (ui.tokens_shown != strip.tokens.size()) ImGui::SetScrollHereY(1.0f);
  ui.text_height = ImGui::GetCursorPosY() - ImGui::GetStyle().ItemSpacing.y;
  ImGui::EndChild();
}

}  // namespace

void draw_token_strip(const AppState& app, UiState& ui) {
  const TokenStrip& strip = app.strip;
  ImGui::TextUnformatted(strip.where.c_str());
  draw_token_chips(strip, ui);
  if (app.session->tokenizer()) draw_decoded_text(strip, ui);
  ui.tokens_shown = strip.tokens.size();
}

}  // namespace kvscope::gui
