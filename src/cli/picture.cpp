// Runs Graphviz on a platform's picture DOT.
#include "cli/picture.hpp"

#include <spdlog/spdlog.h>

#include "moesim/error.hpp"
#include "platform/picture_dot.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"

namespace moesim {

void render_picture(const Topology& t, const PlatformSpec& spec, const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string format = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (format != "svg" && format != "png" && format != "pdf")
    fail("--picture", "", "'" + path + "' does not end in .svg, .png or .pdf");
  const PictureDot picture = picture_dot(t, spec);
  std::vector<std::string> argv = {"dot", "-K" + picture.layout};
  if (picture.fixed_positions) argv.push_back("-n2");  // positions given: draw only
  argv.push_back("-T" + format);
  argv.push_back("-o" + path);
  // Graphviz's own layouts take minutes past a few hundred nodes: say so
  // where a user sees it by default.
  auto log = spdlog::get("moesim");
  const bool slow = !picture.fixed_positions && picture.nodes > 300;
  if (log)
    log->log(slow ? spdlog::level::warn : spdlog::level::info,
             "picture: Graphviz {} {} {} nodes and {} edges into {}{}", picture.layout,
             picture.fixed_positions ? "draws" : "lays out", picture.nodes, picture.edges, path,
             slow ? " (this can take minutes)" : "");
  const double start = seconds_now();
  pipe_to_program(argv, picture.text, "--picture", "install it with apt-get install graphviz");
  if (log) log->info("picture: {} written in {:.1f} s", path, seconds_now() - start);
}

}  // namespace moesim
