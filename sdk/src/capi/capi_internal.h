#ifndef CAIRN_SDK_SRC_CAPI_CAPI_INTERNAL_H_
#define CAIRN_SDK_SRC_CAPI_CAPI_INTERNAL_H_

// What every file of the C API shares: the handles behind the opaque types,
// the thread's last error, and the one guard each extern "C" function runs
// its body in, so no exception crosses into C.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cairn/cairn.h"
#include "cairn/client.h"
#include "cairn/options.h"

// The handle behind cairn_options: the C++ options as the setters built them.
struct cairn_options {
  cairn::Options options;
};

// The handle behind cairn_client.
struct cairn_client {
  std::unique_ptr<cairn::Client> client;
};

namespace cairn::capi {

// The number a C caller passed for an enum parameter or member. C allows any
// int there; in C++ reading a value outside the enum's range is undefined
// (UBSan's enum check), so the bytes are read as the int they are, and the
// callers switch on that.
template <typename E>
int RawEnum(const E& value) {
  static_assert(sizeof(E) == sizeof(int));
  int raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

// Sets the calling thread's last error to `message` (truncated, never
// allocating) and returns `code`. OK clears the message.
cairn_status_code SetError(cairn_status_code code, std::string_view message);

// The status as a C code, its message kept as the thread's last error.
cairn_status_code FromStatus(const absl::Status& status);

// The success of a call: clears the thread's last error.
inline cairn_status_code Ok() { return SetError(CAIRN_OK, {}); }

// INVALID_ARGUMENT naming what was missing or wrong.
inline cairn_status_code Invalid(std::string_view message) {
  return SetError(CAIRN_INVALID_ARGUMENT, message);
}

// Runs `body` (returning cairn_status_code) and turns any exception into a
// code: allocation failures are RESOURCE_EXHAUSTED, anything else INTERNAL.
template <typename Body>
cairn_status_code Guard(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SetError(CAIRN_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return SetError(CAIRN_INTERNAL, "unexpected exception inside the Cairn SDK");
  }
}

// A timeout in ms as a deadline from now; nullopt (and the thread's last
// error set) when it is negative.
std::optional<absl::Time> DeadlineIn(int64_t timeout_ms, std::string_view what);

// True when a caller's struct of `struct_size` bytes holds the member that
// ends at `member_end` (offsetof + sizeof): older callers pass smaller
// structs and their missing members read as zero.
constexpr bool Holds(size_t struct_size, size_t member_end) { return struct_size >= member_end; }

// A copy of `text` in memory the caller frees with cairn_string_free; null
// when out of memory.
char* CopyOut(std::string_view text);

}  // namespace cairn::capi

#define CAIRN_CAPI_MEMBER_END(type, member) (offsetof(type, member) + sizeof(type::member))

#endif  // CAIRN_SDK_SRC_CAPI_CAPI_INTERNAL_H_
