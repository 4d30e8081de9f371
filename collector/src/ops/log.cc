#include "ops/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

std::atomic<bool> logging_enabled{true};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void AppendValue(std::string_view value, std::string* line) {
  bool quote = value.empty() || value.find_first_of(" \"=\t") != std::string_view::npos;
  if (!quote) {
    for (char c : value) {
      // Control bytes would let a value forge extra lines.
      line->push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
    }
    return;
  }
  line->push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') line->push_back('\\');
    line->push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  line->push_back('"');
}

}  // namespace

void SetLoggingEnabled(bool enabled) { logging_enabled.store(enabled); }

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!logging_enabled.load(std::memory_order_relaxed)) return;
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", ToAbsl(LevelName(level)), " event=");
  AppendValue(event, &line);
  for (const LogField& field : fields) {
    line.push_back(' ');
    line.append(field.first);
    line.push_back('=');
    AppendValue(field.second, &line);
  }
  line.push_back('\n');
  // One write per line: concurrent lines from several threads stay whole.
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n <= 0) return;
    written += static_cast<size_t>(n);
  }
}

int LogFailure(int code, std::string_view what, const absl::Status& status) {
  Log(LogLevel::kError, what, {{"error", std::string(status.message())}});
  return code;
}

std::string IdRef(std::string_view id) { return "h:" + ToHex(Sha256(id)).substr(0, 8); }

}  // namespace cairn::collector
