// kvscope: run a small LLaMA with and without a KV cache and trace every intermediate tensor.
#include <csignal>
#include <iostream>
#include <new>
#include <string>

#include "app/cli/commands.h"
#include "app/common/flag_checks.h"
#include "trace/atomic_file.h"

int main(int argc, char** argv) {
  // Past `ulimit -f` a write fails with EFBIG, reported like a full disk, instead of SIGXFSZ killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"kvscope: see every intermediate tensor of LLaMA inference, with and without a KV cache"};
  app.require_subcommand(1);
  kvscope::cli::add_generate_command(app);
  kvscope::cli::add_trace_command(app);
  kvscope::cli::add_export_command(app);
  kvscope::cli::add_compare_command(app);
  kvscope::cli::add_tokenize_command(app);
  kvscope::cli::add_eval_command(app);
  // CLI11 says only "A subcommand is required" for a misspelt one: name it, and the ones there are.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      known = known || sub->get_name() == argv[1];
    }
    if (!known) {
      std::cerr << "kvscope: error: unknown command '" << argv[1] << "'; the commands are " << names
                << " (kvscope --help)\n";
      return kvscope::app::kUsageError;
    }
  }
  try {
    app.parse(argc, argv);
    kvscope::trace::finish_standard_output();  // a full disk or a closed pipe under stdout is a failure
  } catch (const CLI::ParseError& e) {
    return kvscope::app::exit_on_parse_error(app, e, "kvscope");
  } catch (const std::bad_alloc&) {
    std::cerr << "kvscope: error: out of memory: the run needs more than this machine (or ulimit -v) allows; "
                 "--meta traces shapes without weights\n";
    return 1;
  } catch (const std::exception& e) {
    // Runtime errors of a command: one line that names the flag or file at fault.
    std::cerr << "kvscope: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
