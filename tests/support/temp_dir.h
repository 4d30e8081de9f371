#ifndef CAIRN_TESTS_SUPPORT_TEMP_DIR_H_
#define CAIRN_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace cairn::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes. Aborts the test binary if the directory cannot be made.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name (the file is not created).
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_TEMP_DIR_H_
