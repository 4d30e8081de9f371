#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

std::string WithoutNul(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\0') {
      out.append(kReplacementChar);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// libpq's messages end with a newline; logs want one line.
std::string OneLine(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

PgParams& PgParams::Add(std::string_view text) {
  values_.emplace_back(text.find('\0') == std::string_view::npos ? std::string(text)
                                                                 : WithoutNul(text));
  return *this;
}

PgParams& PgParams::Add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::AddBytes(std::string_view bytes) {
  values_.emplace_back(absl::StrCat("\\x", HexEncode(bytes)));
  return *this;
}

void PgArrayLiteral::Separate() {
  if (text_.size() > 1) text_.push_back(',');
}

PgArrayLiteral& PgArrayLiteral::Add(std::string_view text) {
  Separate();
  text_.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
  return *this;
}

PgArrayLiteral& PgArrayLiteral::Add(int64_t value) {
  Separate();
  absl::StrAppend(&text_, value);
  return *this;
}

PgArrayLiteral& PgArrayLiteral::Add(double value) {
  Separate();
  absl::StrAppend(&text_, absl::StrFormat("%.17g", value));
  return *this;
}

std::string PgArrayLiteral::Finish() {
  text_.push_back('}');
  return std::move(text_);
}

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::columns() const { return result_ == nullptr ? 0 : PQnfields(result_); }

int PgResult::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }

bool PgResult::IsNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }

std::string_view PgResult::Text(int row, int col) const {
  return std::string_view(PQgetvalue(result_, row, col),
                          static_cast<size_t>(PQgetlength(result_, row, col)));
}

int64_t PgResult::Int(int row, int col) const {
  int64_t value = 0;
  if (IsNull(row, col) || !absl::SimpleAtoi(ToAbsl(Text(row, col)), &value)) return 0;
  return value;
}

std::optional<std::string> PgResult::Bytes(int row, int col) const {
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, col)), &length);
  if (bytes == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

int64_t PgResult::AffectedRows() const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(result_), &value)) return 0;
  return value;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& uri) {
  // The URI expands into its parts; later keys add what it lacks.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {uri.c_str(), "10", "cairn-collector", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", message));
  }
  // NOTICEs (e.g. "relation already exists, skipping") are not errors and
  // would otherwise go to stderr unformatted.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::ResultStatus(PGresult* result, std::string_view sql) {
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) {
    return absl::OkStatus();
  }
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string_view code = state == nullptr ? "" : state;
  // The statement's first words say which one failed, without values.
  size_t start = sql.find_first_not_of(" \n");
  std::string_view head = start == std::string_view::npos ? sql : sql.substr(start);
  head = head.substr(0, std::min<size_t>(head.size(), 40));
  std::string message = absl::StrCat(
      "PostgreSQL [", ToAbsl(code), "] ",
      OneLine(result == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(result)),
      " (in: ", ToAbsl(head), "...)");
  if (PQstatus(conn_) == CONNECTION_BAD || code.substr(0, 2) == "08" ||
      code.substr(0, 3) == "57P") {
    return absl::UnavailableError(message);
  }
  if (code == "40001" || code == "40P01") return absl::AbortedError(message);
  if (code == "23505") return absl::AlreadyExistsError(message);
  if (code.substr(0, 2) == "53") return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

absl::StatusOr<PgResult> PgConnection::Exec(std::string_view sql, const PgParams& params) {
  std::string text(sql);
  PGresult* result = nullptr;
  if (params.size() == 0) {
    result = PQexec(conn_, text.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::optional<std::string>& value : params.values()) {
      values.push_back(value ? value->c_str() : nullptr);
    }
    result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, /*resultFormat=*/0);
  }
  PgResult owned(result);
  if (absl::Status s = ResultStatus(result, sql); !s.ok()) return s;
  return owned;
}

absl::Status PgConnection::Run(std::string_view sql, const PgParams& params) {
  return Exec(sql, params).status();
}

absl::Status PgConnection::CopyIn(std::string_view copy_sql, std::string_view data) {
  absl::StatusOr<PgResult> started = Exec(copy_sql);
  if (!started.ok()) return started.status();
  absl::Status out = absl::OkStatus();
  // Whole chunks at once; libpq buffers and sends them.
  constexpr size_t kChunk = 1 << 20;
  for (size_t at = 0; at < data.size(); at += kChunk) {
    size_t n = std::min(kChunk, data.size() - at);
    if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) {
      out = absl::UnavailableError(
          absl::StrCat("PostgreSQL COPY failed: ", OneLine(PQerrorMessage(conn_))));
      break;
    }
  }
  if (PQputCopyEnd(conn_, out.ok() ? nullptr : "client gave up") != 1 && out.ok()) {
    out = absl::UnavailableError(
        absl::StrCat("PostgreSQL COPY failed: ", OneLine(PQerrorMessage(conn_))));
  }
  while (PGresult* result = PQgetResult(conn_)) {
    absl::Status s = ResultStatus(result, copy_sql);
    PQclear(result);
    if (out.ok()) out = s;
  }
  return out;
}

bool PgConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return true;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  ++generation_;
  return true;
}

void PgConnection::RollbackQuietly() {
  if (PQstatus(conn_) != CONNECTION_OK) return;
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

void AppendCopyText(std::string_view value, std::string* line) {
  for (char c : value) {
    switch (c) {
      case '\\':
        line->append("\\\\");
        break;
      case '\t':
        line->append("\\t");
        break;
      case '\n':
        line->append("\\n");
        break;
      case '\r':
        line->append("\\r");
        break;
      case '\0':
        line->append(kReplacementChar);
        break;
      default:
        line->push_back(c);
    }
  }
}

void AppendCopyBytes(std::string_view bytes, std::string* line) {
  line->append("\\\\x");  // COPY text unescapes "\\x" to the bytea input "\x"
  line->append(HexEncode(bytes));
}

}  // namespace cairn::collector
