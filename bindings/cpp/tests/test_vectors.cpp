// Shared conformance vectors (tests/vectors/*.json, format in tests/vectors/README.md), run
// through the wrapper's generic call path. Files are discovered by globbing at run time.
#include <gtest/gtest.h>

#include <hv/hypervisor.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json_value.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> vector_files() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(HV_VECTORS_DIR)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Vectors : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(VectorFiles, Discovered) {
    const auto files = vector_files();
    EXPECT_FALSE(files.empty()) << "no vectors in " << HV_VECTORS_DIR;
    for (const auto& f : files) std::cout << "[ vector   ] " << fs::path(f).filename().string() << "\n";
}

TEST_P(Vectors, Conforms) {
    const testjson::Value doc = testjson::parse(read_file(GetParam()));
    const testjson::Value* config = doc.find("config");
    hv::Hypervisor engine(config && config->kind != testjson::Value::Kind::Null ? testjson::dump(*config) : "");
    const auto& steps = doc.at("steps").items;
    ASSERT_FALSE(steps.empty());
    for (std::size_t k = 0; k < steps.size(); ++k) {
        const testjson::Value& step = steps[k];
        const std::string method = step.at("method").text;
        const testjson::Value* req = step.find("request");
        const std::string request = req ? testjson::dump(*req) : "{}";
        const std::string want_status = step.at("status").text;
        std::string got_status = "OK";
        std::string response;
        try {
            response = engine.call(method, request);
        } catch (const hv::Error& e) {
            got_status = hv::to_string(e.status());
            response = e.raw();
        }
        const std::string where = fs::path(GetParam()).filename().string() + " step " + std::to_string(k) + " (" +
                                  method + " " + request + ")";
        EXPECT_EQ(got_status, want_status) << where << "\nresponse: " << response;
        if (const testjson::Value* expect = step.find("expect")) {
            const std::string mismatch = testjson::subset_mismatch(*expect, testjson::parse(response));
            EXPECT_EQ(mismatch, "") << where << "\nresponse: " << response;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shared, Vectors, ::testing::ValuesIn(vector_files()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             std::string n = fs::path(p.param).stem().string();
                             for (auto& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });
