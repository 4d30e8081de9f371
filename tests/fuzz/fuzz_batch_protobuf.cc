// libFuzzer target: a POST /v1/batch body as application/x-protobuf, through
// the collector's decoder (parse, batch checks, CheckEvent, attribute limits).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "ingest/batch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  cairn::fuzz::DecodeAndCheck(cairn::collector::BatchFormat::kProtobuf, cairn::Codec::kIdentity,
                              body);
  return 0;
}
