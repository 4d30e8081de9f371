#ifndef CAIRN_COLLECTOR_SUCCESS_CSV_TEXT_H_
#define CAIRN_COLLECTOR_SUCCESS_CSV_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace cairn::collector {

// Appends one RFC 4180 row (CRLF-terminated) to `out`: a cell holding a
// comma, quote, CR or LF is quoted with its quotes doubled, and a cell that
// a spreadsheet would run as a formula (starting with =, +, -, @, tab or
// CR) is prefixed with a single quote, so an account id or owner name from
// the API cannot become a formula in the CSM's spreadsheet. A plain number
// (digits with an optional leading minus and one dot) is left as it is.
// Cost: one pass over the cells.
void AppendCsvRow(const std::vector<std::string>& cells, std::string* out);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_SUCCESS_CSV_TEXT_H_
