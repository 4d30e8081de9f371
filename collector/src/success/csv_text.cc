#include "success/csv_text.h"

#include <algorithm>

namespace cairn::collector {
namespace {

bool IsPlainNumber(std::string_view cell) {
  if (!cell.empty() && cell.front() == '-') cell.remove_prefix(1);
  if (cell.empty()) return false;
  int dots = 0;
  for (char c : cell) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots <= 1 && cell != ".";
}

bool LooksLikeFormula(std::string_view cell) {
  if (cell.empty() || IsPlainNumber(cell)) return false;
  const char c = cell.front();
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

}  // namespace

void AppendCsvRow(const std::vector<std::string>& cells, std::string* out) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out->push_back(',');
    std::string cell = LooksLikeFormula(cells[i]) ? "'" + cells[i] : cells[i];
    const bool quote = std::any_of(cell.begin(), cell.end(), [](char c) {
      return c == ',' || c == '"' || c == '\r' || c == '\n';
    });
    if (!quote) {
      out->append(cell);
      continue;
    }
    out->push_back('"');
    for (char c : cell) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  }
  out->append("\r\n");
}

}  // namespace cairn::collector
