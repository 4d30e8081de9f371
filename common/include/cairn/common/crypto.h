#ifndef CAIRN_COMMON_CRYPTO_H_
#define CAIRN_COMMON_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cairn {

// A SHA-256 or HMAC-SHA256 result.
using Digest256 = std::array<uint8_t, 32>;

// SHA-256 of `data` (OpenSSL's libcrypto). Cost: about 2 ns per byte.
Digest256 Sha256(std::string_view data);

// HMAC-SHA256 of `data` under `key` (RFC 2104). Used to pseudonymise user ids
// on the device and to key the collector's suppression list and tombstones:
// without the key the hash cannot be reversed by trying likely ids. An empty
// key is allowed by the algorithm but callers should refuse one.
Digest256 HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of `bytes` (two characters a byte). The one hex encoder
// of the tree (absl's, behind a name that says what it is).
std::string HexEncode(std::string_view bytes);

// Lowercase hex of `digest` (64 characters).
std::string ToHex(const Digest256& digest);

// Which letters HexDecode accepts: what we write ourselves is lowercase, so
// stored hex must be; URLs and other outside text may use either case.
enum class HexLetters { kLowercase, kEitherCase };

// The bytes hex `hex` spells; the one hex decoder of the tree. InvalidArgument
// for an odd length or any character outside [0-9a-f] ([0-9a-fA-F] with
// kEitherCase). Cost: linear.
absl::StatusOr<std::string> HexDecode(std::string_view hex,
                                      HexLetters letters = HexLetters::kLowercase);

// True if `a` and `b` hold the same bytes. Takes time that depends only on
// the sizes, not on where the contents differ (CRYPTO_memcmp), so it leaks
// nothing about secrets compared with it.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
bool ConstantTimeEquals(const Digest256& a, const Digest256& b);

}  // namespace cairn

#endif  // CAIRN_COMMON_CRYPTO_H_
