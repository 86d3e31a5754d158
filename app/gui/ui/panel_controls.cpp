#include "app/gui/ui/panels.h"

#include <imgui_internal.h>
#include <imgui_stdlib.h>

#include "app/gui/logic/op_colors.h"
#include "app/gui/logic/search.h"
#include "core/model_source.h"

namespace kvscope::gui {

namespace {

// Continues the line with an item `width` wide when it fits, else starts the next line.
void same_line_if_fits(float width, float gap) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + gap + width < right) ImGui::SameLine(0, gap);
}

// Text for the tokenizer, several lines if need be, or token ids; the label says which.
void draw_prompt_field(AppState& app) {
  const bool text = app.prompt.kind == PromptKind::Text;
  ImGui::TextUnformatted(text ? tr("prompt (text)") : tr("prompt (token ids)"));
  ImGui::SameLine();
  if (ImGui::RadioButton(tr("text"), text)) set_prompt_kind(app, PromptKind::Text);
  ImGui::SameLine();
  if (ImGui::RadioButton(tr("ids"), !text)) set_prompt_kind(app, PromptKind::Ids);
  if (text) ImGui::InputTextMultiline("##prompt", &app.prompt.value, {-FLT_MIN, ImGui::GetTextLineHeight() * 3.2f});
  else ImGui::InputText("##prompt", &app.prompt.value);
  if (app.prompt.value.empty()) ImGui::TextDisabled("%s", empty_prompt_hint(app.pending).c_str());
}

void draw_scenario_buttons(AppState& app) {
  ImGui::TextUnformatted(tr("Scenarios"));
  for (const Scenario& s : scenarios()) {
    ImGui::SameLine();
    if (ImGui::SmallButton(std::string(s.label).c_str())) attempt(app, [&] { load_scenario(app, s.name); });
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", std::string(s.help).c_str());
  }
}

}  // namespace

void draw_model_controls(AppState& app, UiState& ui) {
  ImGui::TextUnformatted(tr("Model"));
  app::RunSpec& p = app.pending;
  if (ImGui::BeginCombo(tr("model"), p.model.c_str())) {
    for (const auto& name : core::model_names())
      if (ImGui::Selectable(name.c_str(), name == p.model)) choose_model(app, name);
    ImGui::EndCombo();
  }
  if (ImGui::InputText(tr("model path"), &ui.model_dir, ImGuiInputTextFlags_EnterReturnsTrue) && !ui.model_dir.empty())
    choose_model(app, ui.model_dir);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", tr("an HF model directory, a GGUF file or a llama2.c checkpoint; Enter, then Load"));
  int seed = static_cast<int>(p.seed);
  if (ImGui::InputInt(tr("seed"), &seed) && seed >= 0) p.seed = static_cast<uint64_t>(seed);
  draw_prompt_field(app);
  ImGui::InputInt(tr("prompt len"), &p.prompt_len);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", tr("a random prompt of this many ids, when the prompt field is empty"));
  ImGui::InputInt(tr("batch"), &p.batch);
  ImGui::InputInt(tr("new tokens"), &p.new_tokens);
  bool all = p.prefill == core::PrefillScheme::All;
  if (ImGui::Checkbox(tr("prefill all prompt tokens"), &all))
    p.prefill = all ? core::PrefillScheme::All : core::PrefillScheme::AllButLast;
  ImGui::Checkbox(tr("meta (shapes only)"), &p.meta);
  ImGui::BeginDisabled(model_busy(app));  // one piece of model work at a time; the status bar shows it
  if (ImGui::Button(tr("Load"))) attempt(app, [&] { load_with_prompt_field(app); });
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("%s%s", app.session->model().config().name.c_str(), app.session->meta() ? " (meta)" : "");
  ImGui::BeginDisabled(model_busy(app));
  draw_scenario_buttons(app);
  ImGui::EndDisabled();
}

namespace {

float button_width(const char* label) { return ImGui::CalcTextSize(label).x + 2 * ImGui::GetStyle().FramePadding.x; }

// A button that flows onto the next line when the toolbar is too narrow, with a tooltip.
bool tool_button(const char* label, const char* help, bool first = false) {
  if (!first) same_line_if_fits(button_width(label), 6);
  const bool clicked = ImGui::Button(label);
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", help);
  return clicked;
}

void draw_find_field(AppState& app, UiState& ui) {
  const float width = ImGui::GetFontSize() * 9;
  same_line_if_fits(width, 12);
  ImGui::SetNextItemWidth(width);
  const bool enter = ImGui::InputTextWithHint("##find", tr("find a tensor"), &ui.search,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  const bool active = ImGui::IsItemActive();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", tr("Type part of a tensor's name; Enter selects the first match"));
  const ImVec2 below{ImGui::GetItemRectMin().x, ImGui::GetItemRectMax().y + 2};
  const std::vector<TensorMatch> matches = find_tensors(app, ui.search);
  auto choose = [&](const TensorMatch& m) {
    attempt(app, [&] {
      select_by_name(app, m.name, m.layer);
      focus_selection(app);
    });
    ui.search.clear();
    ui.find_list_hovered = false;
  };
  if (enter && !matches.empty()) choose(matches.front());
  if (ui.search.empty() || (!active && !ui.find_list_hovered)) return;
  // A window of its own, not a popup: a popup would take the keyboard from the field being typed in.
  ImGui::SetNextWindowPos(below);
  ImGui::Begin("##find_list", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  ImGui::BringWindowToDisplayFront(ImGui::GetCurrentWindow());
  if (matches.empty()) ImGui::TextDisabled("%s", tr("no tensor of that name is drawn"));
  for (const TensorMatch& m : matches)
    if (ImGui::Selectable(m.name.c_str())) choose(m);
  ui.find_list_hovered = ImGui::IsWindowHovered();
  ImGui::End();
}

}  // namespace

void draw_toolbar(AppState& app, UiState& ui) {
  if (tool_button(app.panels.left_open ? tr("< Settings") : tr("Settings >"),
                  tr("Show or hide the settings: model, prompt, view options, export, colours"), true)) {
    app.panels.left_open = !app.panels.left_open;
    app.panels.left_auto = false;
    app.fit_requested = true;
  }
  // While the model works, Step queues more steps behind the one computing; the others wait for it (a load
  // disables all of them).
  const bool busy = model_busy(app), loading = app.job.running() && app.job.kind() == BackgroundJob::Kind::Load;
  ImGui::BeginDisabled(busy);
  if (tool_button(tr("Reset"), tr("Start the generation again (R)"))) attempt(app, [&] { do_reset(app); });
  if (tool_button(tr("Prefill"), tr("Run the prompt through the cached model: it fills the KV cache")))
    attempt(app, [&] { do_prefill(app); });
  ImGui::EndDisabled();
  ImGui::BeginDisabled(loading);
  if (tool_button(tr("Step"), busy ? tr("Queue one more step after the one computing (Space)")
                                   : tr("Generate one more token in both runs (Space)")))
    attempt(app, [&] { do_step(app); });
  ImGui::EndDisabled();
  if (tool_button(app.playing ? tr("Pause") : tr("Play"), tr("Step automatically at the speed set in Settings")))
    app.playing = !app.playing;
  same_line_if_fits(ImGui::GetFontSize() * 3 + button_width(tr("Run to")) + 4, 12);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3);
  ImGui::InputInt("##runto", &ui.run_to, 0);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("How many tokens Run to generates in all"));
  ImGui::SameLine(0, 4);
  ImGui::BeginDisabled(busy);
  if (ImGui::Button(tr("Run to"))) attempt(app, [&] { do_run_to(app, ui.run_to); });
  ImGui::EndDisabled();
  int mode = static_cast<int>(app.mode);
  const float radios = ImGui::CalcTextSize(tr("cached")).x + ImGui::CalcTextSize(tr("uncached")).x +
                       ImGui::CalcTextSize(tr("both")).x + 3 * (ImGui::GetFrameHeight() + 12);
  same_line_if_fits(radios, 12);
  bool changed = ImGui::RadioButton(tr("cached"), &mode, 0);
  ImGui::SameLine();
  changed |= ImGui::RadioButton(tr("uncached"), &mode, 1);
  ImGui::SameLine();
  changed |= ImGui::RadioButton(tr("both"), &mode, 2);
  if (changed) set_view_mode(app, static_cast<ViewMode>(mode));
  if (tool_button(tr("Fit"), tr("Fit the graph to its pane at a readable size (F)"))) app.fit_requested = true;
  draw_find_field(app, ui);
  if (tool_button("?", tr("Keys, mouse and what the colours mean (?)"))) app.help_open = true;
  if (tool_button(app.panels.right_open ? tr("Inspector >") : tr("< Inspector"), tr("Show or hide the inspector"))) {
    app.panels.right_open = !app.panels.right_open;
    app.fit_requested = true;
  }
}

void draw_view_controls(AppState& app) {
  ImGui::TextUnformatted(tr("View"));
  ViewOptions o = app.view;
  bool edit = ImGui::Checkbox(tr("folded"), &o.fold);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("One representative layer instead of every layer"));
  ImGui::SameLine();
  bool zh = o.labels == trace::Labels::Zh;
  if (ImGui::Checkbox(tr("Chinese axis labels"), &zh)) {
    o.labels = zh ? trace::Labels::Zh : trace::Labels::En;
    edit = true;
  }
  edit |= ImGui::Checkbox(tr("with the prefill step (seed 000)"), &o.with_prefill);
  const int layers = app.session->model().config().num_hidden_layers;
  if (o.fold) edit |= ImGui::SliderInt(tr("layer"), &o.layer, 0, layers - 1);
  if (edit) attempt(app, [&] { set_view_options(app, o); });
  ImGui::SliderFloat(tr("steps/s"), &app.speed, 0.25f, 20.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("How fast Play steps"));
  int language = ui_language() == UiLanguage::Zh ? 1 : 0;
  ImGui::TextUnformatted(tr("Interface"));
  ImGui::SameLine();
  bool relabel = ImGui::RadioButton("English", &language, 0);
  ImGui::SameLine();
  relabel |= ImGui::RadioButton("中文", &language, 1);
  if (relabel) attempt(app, [&] { set_interface_language(app, language ? UiLanguage::Zh : UiLanguage::En); });
  ImGui::Checkbox(tr("dark theme"), &app.dark);
}

void draw_legend(const AppState& app) {
  ImGui::TextUnformatted(tr("Op colours"));
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
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("%s", tr("Purple border: the KV cache. Orange outline: shape changed since the previous step. "
                               "Red corner: shape differs in the other run. Hover a node for details; ? for help."));
  ImGui::PopTextWrapPos();
}

void draw_export_controls(AppState& app, UiState& ui) {
  ImGui::TextUnformatted(tr("Export the view"));
  ImGui::Combo(tr("format"), &ui.export_format, kExportFormats, IM_ARRAYSIZE(kExportFormats));
  ImGui::InputText(tr("path"), &ui.export_path);
  if (ImGui::Button(tr("Export")))
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
      const char* part = tokens[i].generated ? tr("generated") : tr("prompt");
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
  ImGui::TextDisabled("%s", tr("text"));
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
