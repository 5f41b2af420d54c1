#include "partition/checksum.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"

namespace tango::partition {

std::string sha256_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  TANGO_CHECK_INPUT(file != nullptr, "cannot open '{}' to checksum it: {}", path, std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  TANGO_CHECK(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1,
              "cannot start a SHA-256 digest");
  std::vector<unsigned char> block(1 << 20);
  size_t got = 0;
  while ((got = std::fread(block.data(), 1, block.size(), file.get())) > 0)
    TANGO_CHECK(EVP_DigestUpdate(ctx.get(), block.data(), got) == 1, "SHA-256 update failed on '{}'", path);
  TANGO_CHECK_INPUT(!std::ferror(file.get()), "reading '{}' failed while checksumming it", path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  TANGO_CHECK(EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1, "SHA-256 final failed on '{}'", path);
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace tango::partition
