#include <catch2/catch.hpp>

#include "app/common/token_ids.h"
#include "app/gui/logic/script.h"
#include "gui_test_helpers.h"

using kvscope::app::parse_token_ids;
using kvscope::gui::parse_script;

TEST_CASE("a script splits on semicolons and newlines and keeps each command's words") {
  auto cmds = parse_script("prefill; step; step 3\n# a comment\nselect pos_key_states 1 ; export mermaid out.mmd");
  REQUIRE(cmds.size() == 5);
  CHECK(cmds[0].verb == "prefill");
  CHECK(cmds[2].verb == "step");
  CHECK(cmds[2].args == std::vector<std::string>{"3"});
  CHECK(cmds[3].verb == "select");
  CHECK(cmds[3].args == std::vector<std::string>{"pos_key_states", "1"});
  CHECK(cmds[3].line == 3);
  CHECK(cmds[4].args == std::vector<std::string>{"mermaid", "out.mmd"});
}

TEST_CASE("unknown commands and wrong argument counts name the line") {
  CHECK_THROWS_WITH(parse_script("prefill\nwobble"), Catch::Contains("line 2") && Catch::Contains("wobble"));
  CHECK_THROWS_WITH(parse_script("export mermaid"), Catch::Contains("export") && Catch::Contains("got 1"));
  CHECK_THROWS_WITH(parse_script("prefill now"), Catch::Contains("takes 0"));
}

TEST_CASE("a script argument is a file when one exists by that name, else the commands") {
  CHECK(kvscope::gui::script_text_from_argument("prefill; step") == "prefill; step");
  CHECK(kvscope::gui::script_text_from_argument("no-such-file.txt") == "no-such-file.txt");
}

TEST_CASE("prompt ids parse from a comma list and reject anything else") {
  CHECK(parse_token_ids("12,81, 92") == std::vector<int32_t>{12, 81, 92});
  CHECK_THROWS_WITH(parse_token_ids("12,x"), Catch::Contains("'x'"));
  CHECK_THROWS(parse_token_ids("3.5"));
  CHECK_THROWS_WITH(parse_token_ids("12,-5"), Catch::Contains("'-5' is not a token id"));
  CHECK_THROWS_WITH(parse_token_ids("12,,5"), Catch::Contains("empty token id"));
  CHECK_THROWS_WITH(parse_token_ids("2147483648"), Catch::Contains("'2147483648'"));
  CHECK(kvscope::app::parse_token_id_sequences("1,2; 3,4") == std::vector<std::vector<int32_t>>{{1, 2}, {3, 4}});
}

TEST_CASE("the script's prompt refuses a negative id when it is typed, and keeps the run as it was") {
  using namespace kvscope::gui::testing;
  kvscope::gui::AppState app = make_app();
  const std::string words = "'-5' is not a token id (token ids are whole numbers from 0, like 12,81,92)";
  CHECK_THROWS_WITH(run(app, "prompt 12,-5"), Catch::Contains("line 1, 'prompt': " + words));
  CHECK(app.pending.prompts == std::vector<std::vector<int32_t>>{kvscope::app::kSeed004Prompt});
}

TEST_CASE("new-tokens sets how many tokens the run may generate, and so does its old name tokens") {
  using namespace kvscope::gui::testing;
  kvscope::gui::AppState app = make_app();
  run(app, "new-tokens 5");
  CHECK(app.session->spec().new_tokens == 5);
  run(app, "tokens 4");
  CHECK(app.session->spec().new_tokens == 4);
  CHECK_THAT(kvscope::gui::script_reference(), Catch::Contains("new-tokens N") && Catch::Contains("tokens N"));
}

TEST_CASE("frames needs a count of 0 or more") {
  kvscope::gui::AppState app = kvscope::gui::testing::make_app();
  CHECK_THROWS_WITH(kvscope::gui::testing::run(app, "frames x"), Catch::Contains("'frames' needs a whole number"));
  CHECK_THROWS_WITH(kvscope::gui::testing::run(app, "frames -1"), Catch::Contains("0 or more"));
}
