// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <cpl_string.h>
#include <gdal_priv.h>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

// GDAL exports its SHA-256 but does not install cpl_sha256.h. The context is opaque here: GDAL's
// struct (64-bit length, 8 words, a counter and a 64-byte buffer) fits in the storage below.
extern "C" {
void CPL_SHA256Init(void* context);
void CPL_SHA256Update(void* context, const void* data, size_t length);
void CPL_SHA256Final(void* context, unsigned char hash[32]);
}

namespace areatwin::io {

std::string sha256_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(fmt::format("cannot open {} to compute its SHA-256", path.string()));
    alignas(16) std::array<unsigned char, 256> context{};
    CPL_SHA256Init(context.data());
    std::vector<char> chunk(1 << 20);
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const std::streamsize got = in.gcount();
        if (got > 0) CPL_SHA256Update(context.data(), chunk.data(), static_cast<size_t>(got));
    }
    if (in.bad()) throw DataError(fmt::format("reading {} failed while computing its SHA-256", path.string()));
    std::array<unsigned char, 32> digest{};
    CPL_SHA256Final(context.data(), digest.data());
    std::string hex;
    hex.reserve(64);
    for (unsigned char byte : digest) hex += fmt::format("{:02x}", byte);
    return hex;
}

namespace detail {

void record_dataset_files(GDALDataset& dataset, const std::string& role, LoadReport& report) {
    char** files = dataset.GetFileList();
    std::vector<std::filesystem::path> paths;
    for (char** f = files; f != nullptr && *f != nullptr; ++f) paths.emplace_back(*f);
    CSLDestroy(files);
    if (paths.empty()) paths.emplace_back(dataset.GetDescription());
    for (const std::filesystem::path& path : paths) {
        std::error_code ec;
        const std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
        const std::string key = absolute.string();
        const bool seen = std::any_of(report.files.begin(), report.files.end(),
                                      [&](const InputFileRecord& r) { return r.path == key; });
        if (seen) continue;
        const auto size = std::filesystem::file_size(absolute, ec);
        if (ec) continue;  // virtual or remote files have no local bytes to hash
        report.files.push_back({role, key, static_cast<std::uint64_t>(size), sha256_file(absolute)});
    }
}

}  // namespace detail

}  // namespace areatwin::io
