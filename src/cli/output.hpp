// What the commands share: option validators and writing outputs, where
// '-' means stdout for every output option.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace moesim::cli {

// A positive integer (CLI11's PositiveNumber prints its range as a 300-digit number).
extern const CLI::Validator kPositive;

extern const char* const kPlatformFiles;  // the help text of a platform argument

// Writes text to `path`, or to stdout for "-"; `flag` names the option in errors.
void write_output(const std::string& path, const std::string& text, const std::string& flag);

// The outputs a command was asked for, as (flag, path), unset ones empty:
// whether one goes to stdout. Throws InputError if more than one does.
bool claims_stdout(const std::vector<std::pair<std::string, std::string>>& outputs);

}  // namespace moesim::cli
