#ifndef CAIRN_TESTS_SUPPORT_SCOPED_UMASK_H_
#define CAIRN_TESTS_SUPPORT_SCOPED_UMASK_H_

#include <sys/stat.h>

namespace cairn::testing {

// Sets the process umask (process-wide, every thread's) for one test, and
// puts it back.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_SCOPED_UMASK_H_
