// moesim merge: results databases (Slurm shards, other machines) into one.
#include <iostream>
#include <memory>

#include "campaign/results_db.hpp"
#include "cli/command.hpp"

namespace moesim::cli {
namespace {

struct MergeOptions {
  std::string out;
  std::vector<std::string> inputs;
};

int merge(const MergeOptions& o) {
  for (const auto& in : o.inputs) ResultsDb check(in, ResultsDb::Mode::kRead);  // before creating the output
  ResultsDb db(o.out);
  for (const auto& in : o.inputs) {
    const std::size_t added = db.merge_from(in);
    std::cout << "merged " << added << " new runs from " << in << "\n";
  }
  std::cout << o.out << ": " << db.runs().size() << " runs\n";
  return 0;
}

}  // namespace

Body setup_merge(CLI::App& c) {
  auto o = std::make_shared<MergeOptions>();
  c.add_option("out", o->out, "Database to merge into (created if missing)")->required();
  c.add_option("inputs", o->inputs, "Databases to merge from")->required();
  return [o] { return merge(*o); };
}

}  // namespace moesim::cli
