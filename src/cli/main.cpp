// The moesim command line: the app, logging, the command table (command.hpp)
// and the mapping of errors to exit codes (2: a user error, 3: a bug).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "moesim/error.hpp"

using namespace moesim;

namespace {

void setup_logging(const std::string& level) {
  auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    fail("--log-level", "", "'" + level + "' is not a level (allowed: trace, debug, info, warn, error, off)");
  for (const char* name : {"run", "replay", "moesim"}) {
    auto logger = spdlog::stderr_color_mt(name);
    logger->set_level(lv);
    logger->set_pattern("[%n] %^%l%$: %v");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"moesim: simulate the all-to-all traffic of MoE layers on a chip network (SimGrid)"};
  app.set_version_flag("--version", std::string(MOESIM_VERSION));
  app.require_subcommand(1);
  app.fallthrough();  // --log-level also after the subcommand
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  std::vector<std::pair<const CLI::App*, cli::Body>> bodies;
  for (const cli::Command& c : cli::kCommands) {
    CLI::App* command = app.add_subcommand(c.name, c.help);
    bodies.emplace_back(command, c.setup(*command));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "moesim: error: " << e.what() << " (see moesim --help)\n";
    return 2;
  }

  try {
    setup_logging(log_level);
    for (const auto& [command, body] : bodies)
      if (*command) return body();
  } catch (const InputError& e) {
    // One line, whatever a library put in the message.
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    std::cerr << "moesim: error: " << what << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "moesim: error: internal error (please report): " << e.what() << "\n";
    return 3;
  }
  return 0;
}
