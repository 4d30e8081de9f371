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

// "VmHWM" (peak resident set) of a process, in KiB; -1 if unreadable.
long PeakRssKib(pid_t pid);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_RAW_HTTP_H_
