#include "cairn/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace cairn {

Digest256 Sha256(std::string_view data) {
  Digest256 out{};
  unsigned int length = 0;
  // Fails only if libcrypto itself is broken (e.g. out of memory); a wrong
  // digest would silently break authentication, so stop instead.
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    std::abort();
  }
  return out;
}

Digest256 HmacSha256(std::string_view key, std::string_view data) {
  Digest256 out{};
  unsigned int length = 0;
  // HMAC() reads no key bytes when the length is 0 but wants a non-null
  // pointer.
  static const unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    std::abort();
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

std::string ToHex(const Digest256& digest) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<std::string> HexDecode(std::string_view hex, HexLetters letters) {
  // absl's decoder does not validate, so the alphabet is checked first.
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex of odd length");
  const bool either_case = letters == HexLetters::kEitherCase;
  for (char c : hex) {
    bool digit =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (either_case && c >= 'A' && c <= 'F');
    if (!digit) return absl::InvalidArgumentError(either_case ? "not hex" : "not lowercase hex");
  }
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals(const Digest256& a, const Digest256& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cairn
