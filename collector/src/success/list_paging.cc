#include "success/list_paging.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cairn::collector {

absl::StatusOr<Paging> ParsePaging(const HttpRequest& request) {
  Paging p;
  if (std::optional<std::string> text = request.QueryParam("limit")) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*text, &parsed) || parsed == 0 || parsed > kMaxPage) {
      return absl::InvalidArgumentError(absl::StrCat("limit must be 1-", kMaxPage));
    }
    p.limit = static_cast<size_t>(parsed);
  }
  if (std::optional<std::string> token = request.QueryParam("page_token");
      token && !token->empty()) {
    uint64_t parsed = 0;
    if (!absl::SimpleAtoi(*token, &parsed) || parsed > kMaxCsvRows * 100) {
      return absl::InvalidArgumentError("bad page_token");
    }
    p.offset = static_cast<size_t>(parsed);
  }
  if (std::optional<std::string> format = request.QueryParam("format")) {
    if (*format != "json" && *format != "csv") {
      return absl::InvalidArgumentError("format must be json or csv");
    }
    p.csv = *format == "csv";
  }
  return p;
}

}  // namespace cairn::collector
