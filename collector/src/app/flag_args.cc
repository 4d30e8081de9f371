#include "app/flag_args.h"

#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cairn::collector {
namespace {

constexpr int kMaxDepth = 4;
constexpr std::streamsize kMaxFileBytes = 1 << 20;
constexpr std::string_view kFlagfile = "--flagfile";

std::string Normalize(std::string arg) {
  if (arg.size() < 3 || arg[0] != '-' || arg[1] != '-') return arg;
  size_t end = arg.find('=');
  if (end == std::string::npos) end = arg.size();
  for (size_t i = 2; i < end; ++i) {
    if (arg[i] == '-') arg[i] = '_';
  }
  return arg;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

absl::Status Expand(const std::vector<std::string>& args, size_t first, int depth,
                    std::vector<std::string>* out);

absl::Status ExpandFile(const std::string& path, int depth, std::vector<std::string>* out) {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag files nest more than ", kMaxDepth, " deep at ", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read flag file ", path));
  std::string contents(kMaxFileBytes + 1, '\0');
  in.read(contents.data(), kMaxFileBytes + 1);
  if (in.gcount() > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("flag file ", path, " is over 1 MiB"));
  }
  contents.resize(static_cast<size_t>(in.gcount()));
  std::vector<std::string> lines;
  std::istringstream stream(contents);
  std::string line;
  int number = 0;
  while (std::getline(stream, line)) {
    ++number;
    std::string_view flag = Trim(line);
    if (flag.empty() || flag.front() == '#') continue;
    if (flag.size() < 3 || flag.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("flag file ", path, " line ", number, " is not a --flag"));
    }
    lines.emplace_back(flag);
  }
  return Expand(lines, 0, depth, out);
}

absl::Status Expand(const std::vector<std::string>& args, size_t first, int depth,
                    std::vector<std::string>* out) {
  for (size_t i = first; i < args.size(); ++i) {
    if (args[i] == "--") {
      out->insert(out->end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return absl::OkStatus();
    }
    std::string arg = Normalize(args[i]);
    std::string_view view = arg;
    if (view.substr(0, kFlagfile.size()) == kFlagfile &&
        (view.size() == kFlagfile.size() || view[kFlagfile.size()] == '=')) {
      std::string path;
      if (view.size() > kFlagfile.size()) {
        path = std::string(view.substr(kFlagfile.size() + 1));
      } else if (i + 1 < args.size()) {
        path = args[++i];
      }
      if (path.empty()) return absl::InvalidArgumentError("--flagfile needs a path");
      if (absl::Status s = ExpandFile(path, depth + 1, out); !s.ok()) return s;
      continue;
    }
    out->push_back(std::move(arg));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExpandFlagArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  if (args.empty()) return out;
  out.push_back(args[0]);
  if (absl::Status s = Expand(args, 1, 0, &out); !s.ok()) return s;
  return out;
}

}  // namespace cairn::collector
