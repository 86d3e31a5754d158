// The app itself, driven by scripts under Xvfb: what it drew (screenshot, view model dump) and what it wrote.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>
#include <stb_image.h>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "trace/document_json.h"

namespace fs = std::filesystem;
using kvscope::test::read_file;
using nlohmann::json;
// Each test's working directory: the app writes its files there; removed even when the test fails.
using Workdir = kvscope::test::TempDir;

namespace {

struct Result {
  int exit_code;
  std::string output;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs kvscope-gui in `dir` under its own X server. In sanitizer builds its leak check is off: Mesa's
// driver leaks from a module it unloads before LeakSanitizer looks, so those reports name no library to
// suppress. AddressSanitizer and UBSan still check the app, and test_gui_logic leak-checks its logic.
Result gui(const Workdir& dir, const std::string& args) {
  const std::string xvfb = KVSCOPE_XVFB_RUN;
  const std::string launcher = std::string("ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" ") +
                               (xvfb.empty() ? "" : xvfb + " -a -s '-screen 0 1920x1200x24' ");
  const fs::path log = dir / "gui.log";
  const std::string cmd = "cd " + quote(dir.path.string()) + " && " + launcher + quote(KVSCOPE_GUI_BIN) + " " + args +
                          " > " + quote(log.string()) + " 2>&1";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(log)};
}

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

Image load_png(const fs::path& p) {
  Image img;
  int channels = 0;
  unsigned char* data = stbi_load(p.string().c_str(), &img.width, &img.height, &channels, 3);
  REQUIRE(data);
  img.rgb.assign(data, data + static_cast<size_t>(img.width) * img.height * 3);
  stbi_image_free(data);
  return img;
}

// Not blank: many colours, and much of the picture differs from its most common colour.
void require_drawn(const Image& img) {
  std::map<uint32_t, int> counts;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3)
    ++counts[(uint32_t{img.rgb[i]} << 16) | (uint32_t{img.rgb[i + 1]} << 8) | img.rgb[i + 2]];
  int most = 0;
  for (const auto& [c, n] : counts) most = std::max(most, n);
  const double pixels = static_cast<double>(img.width) * img.height;
  CHECK(counts.size() > 50);
  CHECK(1.0 - most / pixels > 0.10);
}

}  // namespace

TEST_CASE(
    "the issue's script: screenshot drawn, view lists the trace's tensors, inspector shows the shape, export parses") {
  Workdir dir("issue-script");
  const Result r = gui(
      dir, "--model seed-tiny --ids 12,81,92,52,65 --script " +
               quote("prefill; step; step; unfold; select pos_key_states; export mermaid out.mmd; dump view.json") +
               " --screenshot out.png --size 1280x800");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  const Image img = load_png(dir / "out.png");
  CHECK(img.width == 1280);
  CHECK(img.height == 800);
  require_drawn(img);

  // The same run recorded by the CLI, independently of the app.
  const fs::path trace_file = dir / "trace.json";
  const std::string cli = std::string(KVSCOPE_CLI) + " trace --model seed-tiny --ids 12,81,92,52,65 --steps 2 -o " +
                          quote(trace_file.string());
  REQUIRE(std::system(cli.c_str()) == 0);
  const auto doc = kvscope::trace::document_from_json(json::parse(read_file(trace_file)));
  const auto& events = doc.runs.at(0).events;
  std::map<int, std::vector<int64_t>> expected;  // step 2's tensors and the earlier ones they read
  for (const auto& e : events)
    if (e.step == 2) {
      expected[e.id] = e.shape;
      for (int in : e.inputs) expected[in] = events.at(in).shape;
    }

  const json view = json::parse(read_file(dir / "view.json"));
  const json& cached = view.at("panes").at(0);
  REQUIRE(cached.at("side") == "cached");
  CHECK(cached.at("step") == 2);
  std::map<int, std::vector<int64_t>> drawn;
  for (const auto& n : cached.at("nodes")) {
    drawn[n.at("event").get<int>()] = n.at("shape").get<std::vector<int64_t>>();
    CHECK(n.at("name") == events.at(n.at("event").get<int>()).name);
  }
  CHECK(drawn == expected);
  CHECK(cached.at("nodes").size() == expected.size());

  const auto lines = view.at("selected").at("lines").get<std::vector<std::string>>();
  CHECK(std::find(lines.begin(), lines.end(), "shape: 4, 6, 64") != lines.end());
  CHECK(view.at("generated").size() == 2);

  const std::string mmd = read_file(dir / "out.mmd");
  CHECK(mmd.find("graph TD") != std::string::npos);
  CHECK(mmd.find("L0_pos_key_states") != std::string::npos);
  CHECK(mmd.find("L1_pos_key_states") != std::string::npos);
}

TEST_CASE("export png saves the graph panes as drawn") {
  Workdir dir("export-png");
  const Result r = gui(dir, "--script " + quote("prefill; step; labels zh; export png graph.png") + " --size 1200x800");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const Image img = load_png(dir / "graph.png");
  CHECK(img.width > 400);
  CHECK(img.width < 1200);  // the graph area, not the whole window
  require_drawn(img);
}

TEST_CASE("the unfolded openllama-3b seed scenario opens in meta mode and draws") {
  Workdir dir("openllama");
  const Result r = gui(dir, "--model openllama-3b --prompt-len 7 --script " +
                                quote("prefill; step; unfold; view cached; dump view.json") + " --screenshot big.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json view = json::parse(read_file(dir / "view.json"));
  CHECK(view.at("meta") == true);
  CHECK(view.at("panes").at(0).at("nodes").size() > 26 * 24);  // every layer of the decode step
  require_drawn(load_png(dir / "big.png"));
}

TEST_CASE("a failing script command stops the app with the line and a non-zero exit") {
  Workdir dir("bad-script");
  const Result r = gui(dir, "--script " + quote("prefill\nselect no_such_tensor") + " --screenshot never.png");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("line 2") != std::string::npos);
  CHECK(r.output.find("no_such_tensor") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "never.png"));
}

TEST_CASE("the app opens on kjv-char with the text prompt: the strip shows its pieces, the heatmap its tokens") {
  Workdir dir("kjv-char");
  const Result r = gui(dir, "--script " + quote("prefill; step 2; view cached; select attn_weights; dump view.json") +
                                " --screenshot text.png --size 1024x640");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json view = json::parse(read_file(dir / "view.json"));
  CHECK(view.at("model") == "kjv-char");
  CHECK(view.at("prompt_field") == json{{"kind", "text"}, {"value", "And God said"}});
  const json& strip = view.at("strip");
  CHECK(strip.at("text").get<std::string>().rfind("And God said", 0) == 0);
  const auto& tokens = strip.at("tokens");
  REQUIRE(tokens.size() == 15);
  CHECK(tokens.at(1) == json{{"id", tokens.at(1).at("id")}, {"piece", "A"}, {"label", "A"}, {"generated", false}});
  CHECK(tokens.at(4).at("label") == "␣");
  CHECK(tokens.at(14).at("generated") == true);
  const json& heatmap = view.at("selected").at("heatmap");
  CHECK(heatmap.at("rows") == 1);
  CHECK(heatmap.at("col_axis").at("labels").size() == 14);
  CHECK(heatmap.at("col_axis").at("labels").at(0) == "<s>");
  CHECK(heatmap.at("row_axis").at("labels").at(0) == tokens.at(13).at("label"));
  const Image img = load_png(dir / "text.png");
  CHECK(img.width == 1024);
  require_drawn(img);
}

TEST_CASE("the flags: text from --prompt, ids from --ids, another model's tokenizer from --tokenizer") {
  Workdir dir("prompt-flags");
  Result r = gui(dir, "--prompt " + quote("In the beginning") + " --script " + quote("dump text.json"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(read_file(dir / "text.json")).at("prompt_field").at("value") == "In the beginning");

  r = gui(dir, "--model seed-tiny --ids 1,2,3 --script " + quote("dump ids.json"));
  REQUIRE(r.exit_code == 0);
  const json ids = json::parse(read_file(dir / "ids.json"));
  CHECK(ids.at("prompt_field") == json{{"kind", "ids"}, {"value", "1,2,3"}});
  CHECK(ids.at("strip").at("tokens").at(0).at("label") == "1");

  // seed-tiny has kjv-char's vocabulary size, so kjv-char's tokenizer can name its ids.
  r = gui(dir, "--model seed-tiny --tokenizer " + quote(KVSCOPE_ASSETS_DIR "/models/kjv-char") + " --prompt Amen" +
                   " --script " + quote("prefill; dump tokenizer.json"));
  REQUIRE(r.exit_code == 0);
  const json tok = json::parse(read_file(dir / "tokenizer.json"));
  CHECK(tok.at("strip").at("text") == "Amen");
  CHECK(tok.at("strip").at("tokens").at(1).at("piece") == "A");

  r = gui(dir, "--model seed-tiny --prompt Amen --script " + quote("dump never.json"));
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("has no tokenizer") != std::string::npos);
}

TEST_CASE("the seed 004 scenario is one command away from the default model") {
  Workdir dir("seed004");
  const Result r = gui(dir, "--script " + quote("scenario seed004; prefill; step; dump view.json"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json view = json::parse(read_file(dir / "view.json"));
  CHECK(view.at("model") == "seed-tiny");
  CHECK(view.at("prompt_field") == json{{"kind", "ids"}, {"value", "12,81,92,52,65"}});
}

TEST_CASE("the dump shows the heatmap's colour scale and head, the Work charts' axes, and no time in a meta run") {
  Workdir dir("heatmap-charts");
  const Result r = gui(dir, "--model seed-tiny --ids 12,81,92,52,65 --script " +
                                quote("prefill; step 3; select attn_weights; dump real.json; meta on; prefill; step 2; "
                                      "dump meta.json") +
                                " --size 1280x720");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json real = json::parse(read_file(dir / "real.json"));
  const json& h = real.at("selected").at("heatmap");
  CHECK(h.at("scale") == "probability");
  CHECK(h.at("fixed_scale") == true);
  CHECK(h.at("scale_min") == 0.0);
  CHECK(h.at("scale_max") == 1.0);
  CHECK(h.at("colour_bar_ticks") == json{0.0, 0.5, 1.0});
  CHECK(h.at("slice_text") == "head 1 of 4");
  const json& charts = real.at("charts");
  REQUIRE(charts.size() == 3);
  CHECK(charts.at(0).at("unit") == "MACs");
  CHECK(charts.at(0).at("cached").size() == 3);  // the prefill predicts nothing
  CHECK(charts.at(0).at("x_ticks") == json{1, 2, 3});
  CHECK(charts.at(1).at("unit") == "bytes");
  CHECK(real.at("timing").at("available") == true);

  const json meta = json::parse(read_file(dir / "meta.json"));
  CHECK(meta.at("meta") == true);
  CHECK(meta.at("timing").at("available") == false);
  CHECK(meta.at("timing").dump().find("ms") == std::string::npos);
  CHECK(meta.at("charts").dump().find("_ms") == std::string::npos);
  CHECK(meta.at("charts").at(0).at("cached").size() == 2);
}

TEST_CASE("with the app's own fonts, every shown pane draws its node names at 11 px or more, at each window size") {
  for (const char* size : {"1024x640", "1280x720", "1600x1000", "1920x1080"}) {
    INFO(size);
    Workdir dir("readable");
    // As the app lands after a few steps, then after the window is resized and after switching to one pane.
    const Result r = gui(dir, std::string("--size ") + size + " --script " +
                                  quote("prefill; step 2; dump landed.json; resize 1100x700; frames 3; "
                                        "dump resized.json; view cached; dump cached.json"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    for (const char* file : {"landed.json", "resized.json", "cached.json"}) {
      INFO(file);
      const json view = json::parse(read_file(dir / file));
      int shown = 0;
      for (const auto& p : view.at("panes")) {
        if (!p.at("shown").get<bool>()) continue;
        ++shown;
        CHECK(p.at("label_px").get<double>() >= 11.0 - 1e-3);
        CHECK(p.at("visible").size() >= 3);
        const auto screen = p.at("screen").get<std::vector<double>>();
        CHECK(screen.at(2) <= view.at("window").at(0).get<double>());
      }
      CHECK(shown == (std::string(file) == "cached.json" ? 1 : 2));
    }
    CHECK(json::parse(read_file(dir / "resized.json")).at("window") == json::array({1100, 700}));
  }
}

TEST_CASE("at 1024x640 side by side, the uncached pane starts right after the cached one and fits in the window") {
  Workdir dir("compare-small");
  const Result r = gui(dir, "--size 1024x640 --script " + quote("view compare; prefill; step 3; dump view.json") +
                                " --screenshot out.png");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json view = json::parse(read_file(dir / "view.json"));
  const auto a = view.at("panes").at(0).at("screen").get<std::vector<double>>();
  const auto b = view.at("panes").at(1).at("screen").get<std::vector<double>>();
  CHECK(b.at(0) > a.at(2));
  CHECK(b.at(0) - a.at(2) <= 12);
  CHECK(b.at(2) <= 1024);
  CHECK(a.at(2) - a.at(0) >= 160);
  CHECK(b.at(1) == a.at(1));
  // Both panes are drawn where the view model says: each has the graph's background and node colours.
  const Image img = load_png(dir / "out.png");
  for (const auto& s : {a, b}) {
    std::map<uint32_t, int> colours;
    for (int y = static_cast<int>(s[1]) + 5; y < static_cast<int>(s[3]) - 5; y += 3)
      for (int x = static_cast<int>(s[0]) + 5; x < static_cast<int>(s[2]) - 5; x += 3) {
        const size_t i = (static_cast<size_t>(y) * img.width + x) * 3;
        ++colours[(uint32_t{img.rgb[i]} << 16) | (uint32_t{img.rgb[i + 1]} << 8) | img.rgb[i + 2]];
      }
    CHECK(colours.size() > 20);
  }
}

TEST_CASE("the inspector follows the selected tensor across steps in the running app") {
  Workdir dir("follow");
  const Result r = gui(dir, "--model seed-tiny --ids 12,81,92,52,65 --script " +
                                quote("view cached; prefill; step; select attn_weights; step; step; dump sel.json"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json view = json::parse(read_file(dir / "sel.json"));
  CHECK(view.at("selected").at("name") == "attn_weights");
  CHECK(view.at("selected").at("step") == 3);
  CHECK(view.at("selected").at("shape") == json::array({4, 1, 7}));
}
