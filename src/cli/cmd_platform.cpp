// moesim platform: a platform's size and analytic parameters, or the
// platform written as SimGrid XML, DOT, GraphML or a Graphviz picture.
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/picture.hpp"
#include "engine/analytic.hpp"
#include "moesim/compute.hpp"
#include "moesim/platform.hpp"
#include "moesim/simulator.hpp"
#include "platform/graph_io.hpp"

namespace moesim::cli {
namespace {

struct PlatformOptions {
  std::string path, xml, dot, graphml, picture;
};

int platform(const PlatformOptions& o) {
  const bool piped = claims_stdout({{"--xml", o.xml}, {"--dot", o.dot}, {"--graphml", o.graphml}});
  const PlatformSpec spec = load_platform_spec(o.path);
  const Topology t = load_any_topology(spec);
  if (!o.xml.empty()) write_output(o.xml, to_simgrid_xml(t), "--xml");
  if (!o.dot.empty()) write_output(o.dot, write_dot(t), "--dot");
  if (!o.graphml.empty()) write_output(o.graphml, write_graphml(t), "--graphml");
  if (!o.picture.empty()) render_picture(t, spec, o.picture);
  if (!piped) {
    const CommParams c = resolved_comm_params(spec, t);
    std::cout << "platform " << spec.name << ": " << t.num_chips() << " chips, " << t.num_physical_links()
              << " links (" << t.links.size() << " directed)\n"
              << "analytic: inter_bw " << c.inter_bw_Bps / 1e9 << " GB/s, c2c_bw " << c.c2c_bw_Bps / 1e9
              << " GB/s, bandwidth_utilization " << c.bandwidth_utilization << ", start_lat "
              << start_latency_us(c) << " us (c2c " << *c.c2c_latency_us << " us), dispatch_start_lat "
              << dispatch_start_latency_us(c) << " us\n";
    if (!spec.calibration.empty())
      std::cout << "calibration: " << calibration_knobs(spec.calibration) << "\n  fitted: "
                << (spec.calibration.fitted.empty() ? "(no source given)" : spec.calibration.fitted) << "\n";
    if (!spec.compute.empty()) std::cout << "compute: " << chip_compute_text(spec.compute) << "\n";
  }
  return 0;
}

}  // namespace

Body setup_platform(CLI::App& c) {
  auto o = std::make_shared<PlatformOptions>();
  c.add_option("file", o->path, kPlatformFiles)->required();
  c.add_option("--xml", o->xml, "Write the platform as SimGrid XML to this file ('-' for stdout)");
  c.add_option("--dot", o->dot, "Write its nodes and links as Graphviz DOT ('-' for stdout)");
  c.add_option("--graphml", o->graphml, "Write its nodes and links as GraphML ('-' for stdout)");
  c.add_option("--picture", o->picture, "Draw it with Graphviz to this .svg, .png or .pdf file");
  return [o] { return platform(*o); };
}

}  // namespace moesim::cli
