// Runs Graphviz on a topology's DOT.
#include "cli/picture.hpp"

#include "moesim/error.hpp"
#include "platform/graph_io.hpp"
#include "util/process.hpp"

namespace moesim {

void render_picture(const Topology& t, const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string format = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (format != "svg" && format != "png" && format != "pdf")
    fail("--picture", "", "'" + path + "' does not end in .svg, .png or .pdf");
  const std::string text = picture_dot(t);
  const std::string layout = t.switches.empty() ? "-Kneato" : "-Kdot";
  const std::string type = "-T" + format, out = "-o" + path;
  pipe_to_program({"dot", layout, type, out}, text, "--picture", "install it with apt-get install graphviz");
}

}  // namespace moesim
