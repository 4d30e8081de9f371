#ifndef CAIRN_TESTS_SUPPORT_RAW_HTTP_H_
#define CAIRN_TESTS_SUPPORT_RAW_HTTP_H_

#include <sys/types.h>

#include <chrono>
#include <string>

namespace cairn::testing {

// What a raw connection received, and whether the server closed it.
struct RawReply {
  std::string bytes;
  bool closed = false;
};

// Sends `request` as is on a fresh loopback connection to `port` (then
// half-closes it if asked) and reads until the server closes it or `wait`
// passes without a byte. For framing tests that no HTTP client would send.
RawReply RawExchange(int port, const std::string& request, bool half_close = false,
                     std::chrono::milliseconds wait = std::chrono::seconds(10));

// Sanitizer allocators keep freed memory aside (quarantine) and shadow it:
// memory bounds of process tests are this many times wider in those builds.
// GCC says so with __SANITIZE_*__, clang only through __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CAIRN_TESTS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CAIRN_TESTS_SANITIZED 1
#endif
#endif
#ifdef CAIRN_TESTS_SANITIZED
inline constexpr long kSanitizerMemoryFactor = 4;
#else
inline constexpr long kSanitizerMemoryFactor = 1;
#endif

// "VmHWM" (peak resident set) of a process, in KiB; -1 if unreadable.
long PeakRssKib(pid_t pid);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_RAW_HTTP_H_
