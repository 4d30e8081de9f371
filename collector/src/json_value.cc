#include "json_value.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    JsonValue value;
    if (!ParseValue(value, 0)) return absl::InvalidArgumentError(error_);
    SkipSpace();
    if (pos_ != text_.size()) return absl::InvalidArgumentError("trailing characters after JSON");
    return value;
  }

 private:
  bool Fail(const char* why) {
    error_ = why;
    return false;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("invalid JSON literal");
    pos_ += word.size();
    return true;
  }
  bool ParseValue(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return Fail("JSON nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of JSON");
    char c = text_[pos_];
    if (c == 'n') {
      out.type = JsonValue::Type::kNull;
      return Literal("null");
    }
    if (c == 't' || c == 'f') {
      out.type = JsonValue::Type::kBool;
      out.boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == '"') {
      out.type = JsonValue::Type::kString;
      return ParseString(out.text);
    }
    if (c == '[') {
      out.type = JsonValue::Type::kArray;
      ++pos_;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      while (true) {
        if (!ParseValue(out.items.emplace_back(), depth + 1)) return false;
        SkipSpace();
        if (pos_ >= text_.size()) return Fail("unterminated JSON array");
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (text_[pos_] == ']') {
          ++pos_;
          return true;
        }
        return Fail("expected , or ] in JSON array");
      }
    }
    if (c == '{') {
      out.type = JsonValue::Type::kObject;
      ++pos_;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      while (true) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a JSON key");
        auto& member = out.members.emplace_back();
        if (!ParseString(member.first)) return false;
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected : in JSON object");
        ++pos_;
        if (!ParseValue(member.second, depth + 1)) return false;
        SkipSpace();
        if (pos_ >= text_.size()) return Fail("unterminated JSON object");
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (text_[pos_] == '}') {
          ++pos_;
          return true;
        }
        return Fail("expected , or } in JSON object");
      }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      if (text_[pos_] == '-') ++pos_;
      while (pos_ < text_.size() &&
             ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.' ||
              text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' ||
              text_[pos_] == '-')) {
        ++pos_;
      }
      out.type = JsonValue::Type::kNumber;
      out.text = std::string(text_.substr(start, pos_ - start));
      double ignored = 0;
      if (!absl::SimpleAtod(ToAbsl(out.text), &ignored)) return Fail("invalid JSON number");
      return true;
    }
    return Fail("unexpected character in JSON");
  }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool ReadHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return Fail("bad \\u escape in JSON string");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(text_[pos_++]);
      if (h < 0) return Fail("bad \\u escape in JSON string");
      out = out * 16 + static_cast<uint32_t>(h);
    }
    return true;
  }
  bool ParseString(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in JSON string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!ReadHex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return Fail("lone surrogate in JSON string");
            pos_ += 2;
            if (!ReadHex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return Fail("lone surrogate in JSON string");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Fail("lone surrogate in JSON string");
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Fail("bad escape in JSON string");
      }
    }
    return Fail("unterminated JSON string");
  }

  std::string_view text_;
  size_t pos_ = 0;
  const char* error_ = "invalid JSON";
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  const JsonValue* found = nullptr;
  if (type != Type::kObject) return nullptr;
  for (const auto& [k, v] : members) {
    if (k == key) found = &v;
  }
  return found;
}

std::optional<int64_t> JsonValue::AsInt() const {
  if (type != Type::kNumber) return std::nullopt;
  if (text.find_first_of(".eE") != std::string::npos) return std::nullopt;
  int64_t v = 0;
  if (!absl::SimpleAtoi(ToAbsl(text), &v)) return std::nullopt;
  return v;
}

absl::StatusOr<JsonValue> ParseJson(std::string_view text) { return Parser(text).ParseDocument(); }

}  // namespace cairn::collector
