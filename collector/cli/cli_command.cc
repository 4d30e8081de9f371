#include "cli_command.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace cairn::cli {

std::optional<std::string> TextOption(const Args& args, std::string_view name) {
  auto it = args.options.find(name);
  if (it == args.options.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> IntOption(const Args& args, std::string_view name, int64_t min,
                                 int64_t max) {
  auto it = args.options.find(name);
  if (it == args.options.end()) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(ToAbsl(it->second), &value) || value < min || value > max) return min - 1;
  return value;
}

bool IsDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

bool OnlyOptions(const Args& args, std::initializer_list<std::string_view> allowed,
                 std::string* bad) {
  auto ok = [&](std::string_view name) {
    for (std::string_view a : allowed) {
      if (a == name) return true;
    }
    return name == "--url" || name == "--admin-token-file" || name == "--json" || name == "--help";
  };
  for (const auto& [name, value] : args.options) {
    if (!ok(name)) {
      *bad = name;
      return false;
    }
  }
  for (const std::string& name : args.flags) {
    if (!ok(name)) {
      *bad = name;
      return false;
    }
  }
  return true;
}

}  // namespace cairn::cli
