// Files: reading one whole, and temporary folders that remove themselves.
#pragma once

#include <string>

namespace moesim {

// The whole file, byte for byte. Throws InputError, one line: "PATH: cannot
// open file" when `where` is empty, else "WHERE: cannot open 'PATH'" (where:
// the option or file:line that named it).
std::string read_file(const std::string& path, const std::string& where = "");

// Where temporary folders go: $TMPDIR, or P_tmpdir when it is unset or empty.
std::string temp_root();

// A new folder under temp_root(), made with mkdtemp (PREFIX.XXXXXX, private
// to this user), removed with everything in it when the object goes. Throws
// InputError naming the folder if it cannot be made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the folder.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace moesim
