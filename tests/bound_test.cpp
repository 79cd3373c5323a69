// The link-load lower bound.
#include "engine/bound.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

TEST_CASE("one flow on one link: latency + bytes / bandwidth", "[bound]") {
  Topology t = make_torus("two", TorusSpec{{2}, 45e9, 1e-6});
  Stage p;
  p.flows = {Flow{0, 1, 4500000}};
  p.network_bytes = 4500000;
  PhaseResult r = bound_phase(t, p);
  CHECK(r.latency_us == Approx(1 + 100));
  CHECK(r.critical_link == "ici-x-0_UP");
  CHECK(r.drain_us == Approx(100));
  // The other direction is a separate resource: both ways at once cost the same.
  p.flows.push_back(Flow{1, 0, 4500000});
  CHECK(bound_phase(t, p).latency_us == Approx(101));
  // Two flows the same way share the link.
  p.flows.push_back(Flow{0, 1, 4500000});
  CHECK(bound_phase(t, p).latency_us == Approx(201));
}

TEST_CASE("the bound is the worst link, counted from its earliest flow", "[bound]") {
  // Ring of 4, 1 us a hop: 0->2 (2 hops) and 1->2 share link ici-x-1_UP.
  Topology t = make_torus("ring", TorusSpec{{4}, 1e9, 1e-6});
  Stage p;
  p.flows = {Flow{0, 2, 1000}, Flow{1, 2, 1000}};
  PhaseResult r = bound_phase(t, p);
  CHECK(r.critical_link == "ici-x-1_UP");
  CHECK(r.critical_link_bytes == 2000);
  CHECK(r.max_path_latency_us == Approx(2));
  // 1->2 pays 1 us, so the shared link drains no earlier than 1 + 2000 B / 1 GB/s.
  CHECK(r.latency_us == Approx(1 + 2));
  // A lone long flow dominates when it is big enough: 2 us + 5000 B / 1 GB/s.
  p.flows = {Flow{0, 2, 5000}, Flow{1, 2, 1000}};
  CHECK(bound_phase(t, p).latency_us == Approx(2 + 5));
}

TEST_CASE("bound grows with bytes and falls with bandwidth", "[bound]") {
  for (double bw : {10e9, 45e9, 90e9}) {
    Topology t = make_torus("t", TorusSpec{{4, 4}, bw, 1e-6});
    double last = 0;
    for (std::uint64_t bytes : {1000ull, 100000ull, 10000000ull}) {
      LayerBytes b{1, bytes, 2 * bytes};
      std::vector<ChipId> g(16);
      for (ChipId i = 0; i < 16; ++i) g[i] = i;
      Stage d = uniform_layer(b, g, 1).phases[0].stages()[0];
      double us = bound_phase(t, d).latency_us;
      CHECK(us > last);
      last = us;
    }
  }
  LayerBytes b{1, 1000000, 2000000};
  std::vector<ChipId> g(16);
  for (ChipId i = 0; i < 16; ++i) g[i] = i;
  Stage d = uniform_layer(b, g, 1).phases[0].stages()[0];
  CHECK(bound_phase(make_torus("slow", TorusSpec{{4, 4}, 10e9, 1e-6}), d).latency_us >
        bound_phase(make_torus("fast", TorusSpec{{4, 4}, 90e9, 1e-6}), d).latency_us);
}

TEST_CASE("a fat pipe is not shared", "[bound]") {
  Topology t;
  t.name = "fat";
  t.chips = {"a", "b", "c"};
  t.links = {Link{"fat", 1e9, 0, Sharing::kFatpipe, "", true, "", "", "", false}};
  for (ChipId s = 0; s < 3; ++s)
    for (ChipId d = 0; d < 3; ++d)
      if (s != d) t.add_route(s, d, {0});
  Stage p;
  p.flows = {Flow{0, 1, 1000}, Flow{0, 2, 3000}, Flow{1, 2, 2000}};
  CHECK(bound_phase(t, p).latency_us == Approx(3));
}

TEST_CASE("uniform all-to-all on a ring of k: the closed form, derived by hand", "[bound]") {
  // Each chip receives D bytes, D / k from every chip (itself included).
  // Dimension order sends a pair the short way, a tie (distance k / 2) the
  // positive way, so the positive link i -> i+1 carries every pair whose
  // positive path crosses it: distances 1 .. floor(k / 2) from the chips
  // behind it, sum_{d=1}^{floor(k/2)} d pairs of D / k bytes. A flow pays
  // one hop's latency before the nearest flow reaches the link.
  for (std::uint64_t k : {3, 4, 5, 6, 8}) {
    const double bw = 25e9, lat = 0.5e-6;
    const std::uint64_t D = 8000000 * k;  // divisible by k
    const Topology t = make_torus("ring", TorusSpec{{k}, bw, lat});
    std::vector<ChipId> g(k);
    for (ChipId i = 0; i < k; ++i) g[i] = i;
    const Stage d = uniform_layer(LayerBytes{1, D, 2 * D}, g, 1).phases[0].stages()[0];
    const std::uint64_t h = k / 2;
    const double positive_pairs = static_cast<double>(h * (h + 1) / 2);
    const double share = static_cast<double>(D / k);
    const double link = lat + positive_pairs * share / bw;
    const double longest_flow = static_cast<double>(h) * lat + share / bw;
    INFO("ring of " << k);
    CHECK(bound_phase(t, d).latency_us == Approx(std::max(link, longest_flow) * 1e6).epsilon(1e-12));
    CHECK(bound_phase(t, d).critical_link_bytes == Approx(positive_pairs * share));
  }
}
