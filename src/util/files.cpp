#include "util/files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "moesim/error.hpp"

namespace moesim {

std::string read_file(const std::string& path, const std::string& where) {
  // "PATH: cannot open file", or "WHERE: cannot open 'PATH'".
  auto cannot = [&](const std::string& verb) {
    if (where.empty()) fail(path, "", verb + " file");
    fail(where, "", verb + " '" + path + "'");
  };
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (where.empty()) fail(path, "", "a folder, not a file");
    fail(where, "", "'" + path + "' is a folder, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) cannot("cannot open");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) cannot("cannot read");
  return text;
}

std::string temp_root() {
  const char* dir = std::getenv("TMPDIR");
  return dir && *dir ? dir : P_tmpdir;
}

TempDir::TempDir(const std::string& prefix) {
  std::string root = temp_root();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::string pattern = root + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) fail(pattern, "", std::string("cannot make a work folder: ") + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor cannot throw; a folder left behind is harmless
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace moesim
