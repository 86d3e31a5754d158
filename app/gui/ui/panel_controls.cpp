#include "app/gui/ui/panels.h"

#include <imgui_stdlib.h>

#include "app/common/token_ids.h"
#include "app/gui/logic/op_colors.h"
#include "core/config.h"

namespace kvscope::gui {

void draw_model_controls(AppState& app, UiState& ui) {
  ImGui::TextUnformatted("Model");
  app::RunSpec& p = app.pending;
  const bool preset = core::is_preset(p.model);
  if (ImGui::BeginCombo("preset", preset ? p.model.c_str() : "(HF directory)")) {
    for (const auto& name : core::preset_names())
      if (ImGui::Selectable(name.c_str(), name == p.model)) p.model = name;
    ImGui::EndCombo();
  }
  if (ImGui::InputText("HF dir", &ui.model_dir, ImGuiInputTextFlags_EnterReturnsTrue) && !ui.model_dir.empty())
    p.model = ui.model_dir;
  int seed = static_cast<int>(p.seed);
  if (ImGui::InputInt("seed", &seed) && seed >= 0) p.seed = static_cast<uint64_t>(seed);
  ImGui::InputText("prompt ids", &ui.prompt_text);
  ImGui::InputInt("prompt len", &p.prompt_len);
  ImGui::InputInt("batch", &p.batch);
  ImGui::InputInt("new tokens", &p.new_tokens);
  bool all = p.prefill == core::PrefillScheme::All;
  if (ImGui::Checkbox("prefill all prompt tokens", &all))
    p.prefill = all ? core::PrefillScheme::All : core::PrefillScheme::AllButLast;
  ImGui::Checkbox("meta (shapes only)", &p.meta);
  if (ImGui::Button("Load")) {
    attempt(app, [&] {
      if (!ui.prompt_text.empty()) p.prompts = {app::parse_token_ids(ui.prompt_text)};
      else p.prompts.clear();
      apply_pending(app);
    });
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%s%s", app.session->model().config().name.c_str(), app.session->meta() ? " (meta)" : "");
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

void draw_token_strip(const AppState& app) {
  const Session& s = *app.session;
  const int step = s.current_step(Side::Cached);
  std::string where = step < 0 ? "not started: press Prefill or Step"
                               : "step " + std::to_string(step) + " (" +
                                     std::string(trace::phase_name(s.run(Side::Cached).steps.at(step).phase)) + ")";
  ImGui::Text("%s | generated %d of %d | prompt:", where.c_str(), s.generated(), s.spec().new_tokens);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  auto chip = [&](int id, ImU32 fill) {
    ImGui::SameLine();
    const std::string text = std::to_string(id);
    ImVec2 p = ImGui::GetCursorScreenPos(), size = ImGui::CalcTextSize(text.c_str());
    dl->AddRectFilled(p, {p.x + size.x + 8, p.y + size.y + 2}, fill, 3);
    dl->AddText({p.x + 4, p.y + 1}, rgba(20, 20, 20), text.c_str());
    ImGui::Dummy({size.x + 8, size.y + 2});
  };
  for (int id : s.prompt()) chip(id, rgba(200, 200, 210));
  ImGui::SameLine();
  ImGui::TextUnformatted("->");
  const auto generated = s.generated_tokens();
  for (size_t i = 0; i < generated.size(); ++i)
    chip(generated[i], i + 1 == generated.size() ? rgba(250, 200, 80) : rgba(170, 210, 170));
}

}  // namespace kvscope::gui
