// Writes the fuzz targets' seed corpora: small valid and nearly valid inputs
// (a batch of each event kind, its JSON form, compressed forms, request
// heads) and bombs the decoder must refuse in bounded memory. Usage: cairn-fuzz-seeds OUTPUT_DIR;
// makes OUTPUT_DIR/<target>/.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cairn/common/codec.h"
#include "decode_bombs.h"
#include "google/protobuf/util/json_util.h"
#include "test_batches.h"

namespace {

using cairn::testing::EmptyEventsBatch;
using cairn::testing::EmptyEventsJson;
using cairn::testing::MakeBatch;
using cairn::testing::ManyAttributesBatch;
using cairn::testing::UnknownFieldsBatch;

void Put(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cairn-fuzz-seeds OUTPUT_DIR\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  absl::Time at = absl::FromUnixSeconds(1789990000);
  cairn::v1::Event attributed = cairn::testing::MakeLogin("acct", "user", at);
  (*attributed.mutable_attributes())["plan"] = "pro";
  std::vector<cairn::v1::Batch> batches = {
      MakeBatch({cairn::testing::MakeLogin("acct", "user", at)}),
      MakeBatch({cairn::testing::MakeMilestone("acct", "user", "quote_done", 2.5, at),
                 cairn::testing::MakeLogout("acct", "user", at), attributed}),
      MakeBatch(cairn::testing::GrantsFor("acct", {"user"})),
      MakeBatch({cairn::testing::MakeFeedback("acct", "user", cairn::v1::FEEDBACK_KIND_NPS, 9, at,
                                              "caf\xc3\xa9 ok")}),
      MakeBatch({}),
  };
  int n = 0;
  for (const cairn::v1::Batch& batch : batches) {
    std::string proto = batch.SerializeAsString();
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(batch, &json).ok()) return 1;
    std::string name = "seed" + std::to_string(n++);
    Put(out / "fuzz_batch_protobuf", name, proto);
    Put(out / "fuzz_batch_json", name, json);
    // First byte: bit 0 gzip, bit 1 JSON (see fuzz_decompress.cc).
    Put(out / "fuzz_decompress", name + "_zstd_pb",
        std::string(1, '\0') + cairn::Compress(cairn::Codec::kZstd, proto).value());
    Put(out / "fuzz_decompress", name + "_gzip_json",
        std::string(1, '\3') + cairn::Compress(cairn::Codec::kGzip, json).value());
  }
  // Bodies that inflate into millions of elements (decode_bombs.h): the
  // decoder must refuse them within -rss_limit_mb. The identity ones sit
  // just over the event limit and raise libFuzzer's input length past it.
  using cairn::Codec;
  const std::string id = cairn::testing::NewUuidV7();
  const std::string zstd_pb(1, '\0');
  const std::string zstd_json(1, '\2');
  Put(out / "fuzz_decompress", "bomb_events_pb",
      zstd_pb + cairn::Compress(Codec::kZstd, EmptyEventsBatch(id, 2'000'000)).value());
  Put(out / "fuzz_decompress", "bomb_events_json",
      zstd_json + cairn::Compress(Codec::kZstd, EmptyEventsJson(id, 2'000'000)).value());
  Put(out / "fuzz_decompress", "bomb_unknown_fields",
      zstd_pb + cairn::Compress(Codec::kZstd, UnknownFieldsBatch(id, 4'000'000)).value());
  Put(out / "fuzz_decompress", "bomb_attributes",
      zstd_pb + cairn::Compress(Codec::kZstd, ManyAttributesBatch(id, 1'000'000)).value());
  Put(out / "fuzz_batch_protobuf", "events_over_limit", EmptyEventsBatch(id, 5001));
  Put(out / "fuzz_batch_json", "events_over_limit", EmptyEventsJson(id, 5001));

  Put(out / "fuzz_request_head", "batch",
      "POST /v1/batch HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer fuzz-write-key\r\n"
      "Content-Type: application/x-protobuf\r\nContent-Encoding: zstd\r\n"
      "Content-Length: 10\r\n\r\n");
  Put(out / "fuzz_request_head", "json",
      "POST /v1/batch HTTP/1.1\r\nHost: c\r\nAuthorization: bearer fuzz-write-key\r\n"
      "Content-Type: application/json; charset=utf-8\r\nContent-Encoding: gzip\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  Put(out / "fuzz_request_head", "admin",
      "GET /v1/renewal-notifications/recipients?account_id=a%2Fb&after=x+y HTTP/1.1\r\n"
      "Authorization: Bearer nope\r\n\r\n");
  Put(out / "fuzz_request_head", "health", "GET /healthz HTTP/1.1\r\nHost: c\r\n\r\n");
  // Dashboard paths are answered from the head alone (file, 308, 404, 405).
  Put(out / "fuzz_request_head", "dashboard", "HEAD /customer HTTP/1.1\r\nHost: c\r\n\r\n");
  // Framings the server refuses: the body would otherwise be a request.
  Put(out / "fuzz_request_head", "te_gzip",
      "POST /v1/batch HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: gzip\r\n\r\n"
      "GET /metrics HTTP/1.1\r\n\r\n");
  Put(out / "fuzz_request_head", "te_and_length",
      "POST /v1/batch HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked, identity\r\n"
      "Content-Length: 4\r\n\r\n");
  Put(out / "fuzz_request_head", "asset", "GET /dashboard/index.html HTTP/1.1\r\nHost: c\r\n\r\n");
  return 0;
}
