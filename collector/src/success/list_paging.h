#ifndef CAIRN_COLLECTOR_SUCCESS_LIST_PAGING_H_
#define CAIRN_COLLECTOR_SUCCESS_LIST_PAGING_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "http/http_types.h"

namespace cairn::collector {

// The paging every customer-success list takes (?limit=&page_token=) and
// its CSV switch (?format=csv).
inline constexpr size_t kMaxPage = 1000;
inline constexpr size_t kDefaultPage = 100;
// Most rows one CSV export carries; the last line says when more matched.
inline constexpr size_t kMaxCsvRows = 100000;

struct Paging {
  size_t offset = 0;
  size_t limit = kDefaultPage;
  bool csv = false;
};

// limit (1-kMaxPage), page_token (an offset) and format (json or csv);
// InvalidArgument naming the parameter. Free.
absl::StatusOr<Paging> ParsePaging(const HttpRequest& request);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_LIST_PAGING_H_
