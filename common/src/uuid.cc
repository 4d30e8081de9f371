#include "cairn/common/uuid.h"

#include <array>
#include <random>

#include "absl/strings/ascii.h"
#include "cairn/common/crypto.h"

namespace cairn {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t OsRandom64() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

void AppendHex(std::string& out, const uint8_t* bytes, int n) {
  out += HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n)));
}

}  // namespace

UuidV7Generator::UuidV7Generator() : state_(OsRandom64()) {}

std::string UuidV7Generator::Next(absl::Time now) {
  int64_t ms = absl::ToUnixMillis(now);
  uint32_t counter;
  uint64_t random;
  {
    std::lock_guard lock(mu_);
    if (ms <= last_ms_) {
      ms = last_ms_;
      if (++counter_ > 0xfff) {  // counter exhausted: borrow the next ms
        ms = ++last_ms_;
        counter_ = 0;
      }
    } else {
      last_ms_ = ms;
      counter_ = 0;
    }
    counter = counter_;
    random = SplitMix64(state_);
  }
  std::array<uint8_t, 16> b;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<uint8_t>(counter & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(random >> (8 * i));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));
  std::string out;
  out.reserve(36);
  AppendHex(out, b.data(), 4);
  out.push_back('-');
  AppendHex(out, b.data() + 4, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 6, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 8, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 10, 6);
  return out;
}

bool IsCanonicalUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  char variant = absl::ascii_tolower(static_cast<unsigned char>(s[19]));
  return variant == '8' || variant == '9' || variant == 'a' || variant == 'b';
}

int UuidVersion(std::string_view s) {
  if (!IsCanonicalUuid(s)) return -1;
  // One hex digit is the low half of the byte "0" and it spells.
  absl::StatusOr<std::string> version = HexDecode(std::string{'0', s[14]}, HexLetters::kEitherCase);
  return version.ok() ? static_cast<int>((*version)[0]) : -1;
}

std::string RandomHexId() {
  std::random_device rd;
  std::array<uint8_t, 16> b;
  for (size_t i = 0; i < b.size(); i += 4) {
    uint32_t r = rd();
    for (int j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  std::string out;
  AppendHex(out, b.data(), 16);
  return out;
}

}  // namespace cairn
