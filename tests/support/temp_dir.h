#pragma once

#include <string>

namespace qeil::test {

// A temporary directory removed with everything under it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `rel` is relative to the directory; missing parent directories are created.
  std::string file(const std::string& rel) const { return path_ + "/" + rel; }
  void write(const std::string& rel, const std::string& content) const;
  std::string read(const std::string& rel) const;
  void mkdirs(const std::string& rel) const;

 private:
  std::string path_;
};

// Creates `path` and its parents (mkdir -p). Aborts the test on failure.
void makeDirs(const std::string& path);
void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

}  // namespace qeil::test
