#include "store/postgres/pg_copy.h"

#include <bit>
#include <cstring>

#include "cairn/common/crypto.h"

namespace cairn::collector {
namespace {

// "PGCOPY\n\377\r\n\0", then flags and the header extension's length (0).
constexpr char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
constexpr size_t kHeaderBytes = 19;
static_assert(sizeof(kHeader) == kHeaderBytes + 1);

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

template <typename T>
void AppendBigEndian(T value, std::string& out) {
  using U = std::make_unsigned_t<T>;
  U bits = static_cast<U>(value);
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(bits & 0xff);
    bits = static_cast<U>(bits >> 8);
  }
  out.append(bytes, sizeof(T));
}

}  // namespace

PgCopyWriter::PgCopyWriter() { data_.append(kHeader, kHeaderBytes); }

void PgCopyWriter::BeginRow(int16_t fields) {
  AppendBigEndian(fields, data_);
  ++rows_;
}

void PgCopyWriter::AddLength(int32_t length) { AppendBigEndian(length, data_); }

void PgCopyWriter::AddNull() { AddLength(-1); }

void PgCopyWriter::AddInt16(int16_t value) {
  AddLength(2);
  AppendBigEndian(value, data_);
}

void PgCopyWriter::AddInt32(int32_t value) {
  AddLength(4);
  AppendBigEndian(value, data_);
}

void PgCopyWriter::AddInt64(int64_t value) {
  AddLength(8);
  AppendBigEndian(value, data_);
}

void PgCopyWriter::AddFloat8(double value) {
  AddLength(8);
  AppendBigEndian(std::bit_cast<uint64_t>(value), data_);
}

void PgCopyWriter::AddText(std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return AddBytes(text);
  std::string clean;
  clean.reserve(text.size() + 2);
  for (char c : text) {
    if (c == '\0') {
      clean.append(kReplacementChar);
    } else {
      clean.push_back(c);
    }
  }
  AddBytes(clean);
}

void PgCopyWriter::AddBytes(std::string_view bytes) {
  AddLength(static_cast<int32_t>(bytes.size()));
  data_.append(bytes);
}

void PgCopyWriter::AddUuid(std::string_view bytes16) { AddBytes(bytes16.substr(0, 16)); }

const std::string& PgCopyWriter::Finish() {
  AppendBigEndian(int16_t{-1}, data_);
  return data_;
}

std::string PgEventUuid(std::string_view key) {
  if (key.size() == 16) return std::string(key);
  const Digest256 digest = Sha256(key);
  return std::string(reinterpret_cast<const char*>(digest.data()), 16);
}

std::string UuidBytes(std::string_view text) {
  std::string hex;
  hex.reserve(32);
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  if (hex.size() != 32) return "";
  absl::StatusOr<std::string> bytes = HexDecode(hex, HexLetters::kEitherCase);
  return bytes.ok() ? *std::move(bytes) : "";
}

void AppendEventRow(const cairn::v1::Event& event, const EventRow& row, int64_t received_at_ms,
                    std::string_view install_id, std::string_view batch_id, PgCopyWriter& copy) {
  copy.BeginRow(17);
  if (row.id.size() == 16) {
    copy.AddUuid(row.id);
  } else {
    copy.AddUuid(PgEventUuid(row.id));
  }
  copy.AddInt64(row.occurred_at_ms);
  copy.AddInt64(row.corrected_at_ms);
  copy.AddInt64(received_at_ms);
  copy.AddInt64(static_cast<int64_t>(event.sequence()));  // wraps above 2^63
  if (row.milestone_value) {
    copy.AddFloat8(*row.milestone_value);
  } else {
    copy.AddNull();
  }
  if (row.session_duration_ms) {
    copy.AddInt64(*row.session_duration_ms);
  } else {
    copy.AddNull();
  }
  copy.AddInt32(static_cast<int32_t>(event.purpose()));
  copy.AddInt16(static_cast<int16_t>(row.body_case));
  copy.AddText(event.account_id());
  copy.AddText(event.user_id());
  copy.AddText(event.session_id());
  copy.AddText(install_id);
  copy.AddText(batch_id);
  if (event.has_milestone()) {
    copy.AddText(event.milestone().name());
  } else {
    copy.AddNull();
  }
  copy.AddText(row.attributes_json);
  copy.AddBytes(row.residual);
}

}  // namespace cairn::collector
