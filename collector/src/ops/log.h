#ifndef CAIRN_COLLECTOR_OPS_LOG_H_
#define CAIRN_COLLECTOR_OPS_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace cairn::collector {

enum class LogLevel { kInfo, kWarning, kError };

// One key=value field of a log line. Values are quoted when they contain
// spaces, quotes or '='. Callers must never pass personal data (user or
// account ids, keys, IP addresses): log counts, codes and fixed reasons.
using LogField = std::pair<std::string_view, std::string>;

// Writes one line to stderr: `ts=<RFC 3339> level=<level> event=<event> k=v...`.
// Thread-safe (one write(2) per line, so lines never interleave). Cost: a
// small string build and a syscall. Write failures are ignored.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Logs `status`'s message at error level as event `what` and returns `code`:
// the one line a process prints on its way out with an exit code.
int LogFailure(int code, std::string_view what, const absl::Status& status);

// A short reference to an account or user id for a log line, never the id:
// "h:" and the first 8 hex digits of its SHA-256. Lines about the same id
// can be matched up, and an operator who has the id can check it; the line
// alone does not tell it. Cost: one SHA-256.
std::string IdRef(std::string_view id);

// Silences (or re-enables) Log for tests that exercise error paths on purpose.
void SetLoggingEnabled(bool enabled);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_OPS_LOG_H_
