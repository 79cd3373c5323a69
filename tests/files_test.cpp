// util/files and util/process: reading a whole file, temporary folders,
// children and their last words.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "moesim/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

using namespace moesim;

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Sets an environment variable for a scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

}  // namespace

TEST_CASE("a temporary folder goes under $TMPDIR and is removed with its files", "[files]") {
  const TempDir outer("moesim-files-test");  // a $TMPDIR of our own
  std::string inner_path;
  {
    const ScopedEnv tmpdir("TMPDIR", outer.path().c_str());
    CHECK(temp_root() == outer.path());
    const TempDir inner("moesim-inner");
    inner_path = inner.path();
    CHECK(inner_path.rfind(outer.path() + "/moesim-inner.", 0) == 0);
    CHECK(inner.file("a.json") == inner_path + "/a.json");
    std::ofstream(inner.file("a.json")) << "{}";
    REQUIRE(exists(inner.file("a.json")));
  }
  CHECK_FALSE(exists(inner_path));
  {
    const ScopedEnv unset("TMPDIR", nullptr);
    CHECK(temp_root() == P_tmpdir);
    const ScopedEnv empty("TMPDIR", "");
    CHECK(temp_root() == P_tmpdir);
  }
  const ScopedEnv missing("TMPDIR", (outer.path() + "/no/such/folder").c_str());
  CHECK_THROWS_WITH(TempDir("moesim-x"), Catch::Contains("/no/such/folder/moesim-x.XXXXXX: cannot make a work folder"));
}

TEST_CASE("read_file: the whole file, or one line naming it", "[files]") {
  const TempDir dir("moesim-files-test");
  const std::string path = dir.file("text");
  const std::string text = std::string("line 1\nline 2\n") + '\0' + "after a NUL";
  std::ofstream(path, std::ios::binary) << text;
  CHECK(read_file(path) == text);
  std::ofstream(dir.file("empty"));
  CHECK(read_file(dir.file("empty")).empty());
  const std::string missing = dir.file("missing.yaml");
  CHECK_THROWS_WITH(read_file(missing), missing + ": cannot open file");
  CHECK_THROWS_WITH(read_file(missing, "--measurements"), "--measurements: cannot open '" + missing + "'");
  CHECK_THROWS_WITH(read_file(dir.path()), dir.path() + ": a folder, not a file");
  CHECK_THROWS_AS(read_file(missing), InputError);
}

TEST_CASE("children: started with their files, waited for, their last line of stderr", "[files][process]") {
  const TempDir dir("moesim-process-test");
  ChildFiles files;
  files.out = dir.file("out");
  files.err = dir.file("err");
  const pid_t pid = spawn_child({"sh", "-c", "echo hello; echo oops >&2; echo '  ^' >&2; exit 3"}, files, "test");
  const int status = wait_child(pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK(read_file(dir.file("out")) == "hello\n");
  CHECK(last_line(read_file(dir.file("err"))) == "oops");
  CHECK(last_line("") == "");
  CHECK(last_line("a\r\nb\r\n\n") == "b");
  CHECK_THROWS_WITH(spawn_child({"/no/such/program"}, files, "--flag", "install it"),
                    Catch::StartsWith("--flag: cannot run /no/such/program (") && Catch::EndsWith("); install it"));
  CHECK(run_program({"tr", "a-z", "A-Z"}, "shout\n", "--flag", "") == "SHOUT\n");
  CHECK_THROWS_WITH(run_program({"sh", "-c", "cat >/dev/null; echo 'bad input' >&2; exit 1"}, "x", "--out", ""),
                    "--out: sh failed: bad input");
}

TEST_CASE("forked workers hand back every unit, whatever the number at once", "[process]") {
  for (std::size_t jobs : {1, 2, 5}) {
    std::vector<std::string> got(7);
    std::size_t calls = 0;
    int parent_state = 0;
    run_forked(
        7, jobs,
        [&](std::size_t i) {
          parent_state += 100;  // a child's change stays in the child
          return std::string(i * 40000, static_cast<char>('a' + i)) + std::to_string(parent_state);
        },
        [&](std::size_t i, std::string&& bytes) {
          got[i] = std::move(bytes);
          ++calls;
        },
        "unit");
    CHECK(calls == 7);
    CHECK(parent_state == 0);
    for (std::size_t i = 0; i < 7; ++i) CHECK(got[i] == std::string(i * 40000, static_cast<char>('a' + i)) + "100");
  }
}

TEST_CASE("a worker's error or death reaches the parent as one message", "[process]") {
  auto none = [](std::size_t, std::string&&) {};
  CHECK_THROWS_MATCHES(run_forked(
                           3, 2,
                           [](std::size_t i) -> std::string {
                             if (i == 1) throw InputError("bad input");
                             return "ok";
                           },
                           none, "layer"),
                       InputError, Catch::Matchers::Message("bad input (layer 1)"));
  CHECK_THROWS_MATCHES(run_forked(
                           2, 1,
                           [](std::size_t i) -> std::string {
                             if (i == 0) _exit(7);
                             return "ok";
                           },
                           none, "layer"),
                       std::runtime_error, Catch::Matchers::Message("the worker of layer 0 died"));
}
