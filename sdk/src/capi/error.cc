// The calling thread's last error, the names of the status codes, and the
// library's version.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sdk/src/capi/capi_internal.h"

namespace cairn::capi {
namespace {

// A fixed buffer, so recording an error never allocates (it also reports
// out-of-memory). Messages longer than this are cut.
constexpr size_t kMessageCapacity = 512;
thread_local char last_message[kMessageCapacity] = "";

// The codes' names are abseil's (StatusCodeToString), kept once in static
// storage so cairn_status_code_name can hand out a pointer that lives on.
constexpr int kCodeCount = CAIRN_UNAUTHENTICATED + 1;
const std::array<std::string, kCodeCount>& CodeNames() {
  static const auto* names = [] {
    auto* table = new std::array<std::string, kCodeCount>;
    for (int code = 0; code < kCodeCount; ++code) {
      (*table)[code] = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    }
    return table;
  }();
  return *names;
}

// The enum's numbers are abseil's, so a code converts by value.
static_assert(CAIRN_OK == static_cast<int>(absl::StatusCode::kOk));
static_assert(CAIRN_INVALID_ARGUMENT == static_cast<int>(absl::StatusCode::kInvalidArgument));
static_assert(CAIRN_DEADLINE_EXCEEDED == static_cast<int>(absl::StatusCode::kDeadlineExceeded));
static_assert(CAIRN_PERMISSION_DENIED == static_cast<int>(absl::StatusCode::kPermissionDenied));
static_assert(CAIRN_RESOURCE_EXHAUSTED == static_cast<int>(absl::StatusCode::kResourceExhausted));
static_assert(CAIRN_FAILED_PRECONDITION == static_cast<int>(absl::StatusCode::kFailedPrecondition));
static_assert(CAIRN_UNAVAILABLE == static_cast<int>(absl::StatusCode::kUnavailable));
static_assert(CAIRN_UNAUTHENTICATED == static_cast<int>(absl::StatusCode::kUnauthenticated));

}  // namespace

cairn_status_code SetError(cairn_status_code code, std::string_view message) {
  const size_t n = std::min(message.size(), kMessageCapacity - 1);
  // An empty message's data() may be null, which memcpy must never get.
  if (n > 0) std::memcpy(last_message, message.data(), n);
  last_message[n] = '\0';
  return code;
}

cairn_status_code FromStatus(const absl::Status& status) {
  const int raw = static_cast<int>(status.code());
  // abseil only ever returns its 17 codes; anything else is reported, not cast.
  const cairn_status_code code =
      raw >= 0 && raw < kCodeCount ? static_cast<cairn_status_code>(raw) : CAIRN_UNKNOWN;
  const absl::string_view message = status.message();
  return SetError(code, std::string_view(message.data(), message.size()));
}

std::optional<absl::Time> DeadlineIn(int64_t timeout_ms, std::string_view what) {
  if (timeout_ms < 0) {
    Invalid(what);
    return std::nullopt;
  }
  return absl::Now() + absl::Milliseconds(timeout_ms);
}

char* CopyOut(std::string_view text) {
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

}  // namespace cairn::capi

extern "C" {

const char* cairn_last_error_message(void) { return cairn::capi::last_message; }

const char* cairn_status_code_name(int code) {
  if (code < 0 || code >= cairn::capi::kCodeCount) return "UNKNOWN_CODE";
  return cairn::capi::CodeNames()[code].c_str();
}

const char* cairn_version(void) {
  // kSdkVersion is a literal, so its data is NUL-terminated.
  return cairn::kSdkVersion.data();
}

int cairn_abi_version(void) { return CAIRN_ABI_VERSION; }

void cairn_string_free(char* s) { std::free(s); }

}  // extern "C"
