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

TEST_CASE("the script's ids refuses a negative id when it is typed, and keeps the run as it was") {
  using namespace kvscope::gui::testing;
  kvscope::gui::AppState app = make_app();
  const std::string words = "'-5' is not a token id (token ids are whole numbers from 0, like 12,81,92)";
  CHECK_THROWS_WITH(run(app, "ids 12,-5"), Catch::Contains("line 1, 'ids': " + words));
  CHECK(app.pending.prompts == std::vector<std::vector<int32_t>>{kvscope::app::kSeed004Prompt});
}

TEST_CASE("prompt takes the rest of its command as text, spaces and all, or one quoted string with escapes") {
  auto cmds = parse_script("prompt And God  said \nstep; prompt In the beginning # a comment");
  REQUIRE(cmds.size() == 3);
  CHECK(cmds[0].args == std::vector<std::string>{"And God  said"});
  CHECK(cmds[1].verb == "step");
  CHECK(cmds[2].args == std::vector<std::string>{"In the beginning"});

  cmds = parse_script("prompt \" a;b # c\\n\\\"q\\\" \\x41\\\\ \"; step");
  REQUIRE(cmds.size() == 2);
  CHECK(cmds[0].args == std::vector<std::string>{" a;b # c\n\"q\" A\\ "});
  CHECK(cmds[1].verb == "step");

  cmds = parse_script("prompt \"two\nlines\"\nstep");  // a newline inside quotes is text, and counts as a line
  REQUIRE(cmds.size() == 2);
  CHECK(cmds[0].args == std::vector<std::string>{"two\nlines"});
  CHECK(cmds[1].line == 3);
}

TEST_CASE("a text command without text, with a quote left open or an unknown escape names the line") {
  CHECK_THROWS_WITH(parse_script("step\nprompt"), Catch::Contains("line 2") && Catch::Contains("'prompt' takes 1"));
  CHECK_THROWS_WITH(parse_script("prompt \"open; step"), Catch::Contains("line 1: a quote is not closed"));
  CHECK_THROWS_WITH(parse_script("prompt \"a\\qb\""), Catch::Contains("unknown escape '\\q'"));
  CHECK_THROWS_WITH(parse_script("prompt \"a\" b"), Catch::Contains("after its closing quote"));
}

TEST_CASE("the script reference names the text and id prompts, the tokenizer and the scenarios") {
  const std::string reference = kvscope::gui::script_reference();
  CHECK_THAT(reference, Catch::Contains("prompt TEXT") && Catch::Contains("ids 12,81,92") &&
                            Catch::Contains("tokenizer PATH|model") && Catch::Contains("scenario seed004|seed000"));
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
